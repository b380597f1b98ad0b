"""Accounts: creating users, checking passwords with throttling, ending sessions, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import Unit, User
from webapp.models.user import PASSWORD_METHOD, ROLES
from webapp.services import DomainError, NotFound
from webapp.models.types import utcnow
from webapp.services.audit import record_event
from webapp.services.passwords import initial_password, password_problem
from webapp.services.throttle import Limits, normalise, reserve_attempt

# Checked against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = None


class FieldError(DomainError):
    """A refusal about one input (the form shows it at that field)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        from werkzeug.security import generate_password_hash

        _DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method=PASSWORD_METHOD)
    return _DUMMY_HASH


def create_user(*, username: str, password: str, role: str, unit_name: str,
                display_name: str | None = None, actor_id: int | None = None) -> User:
    username = username.strip()
    if not username or len(username) > 50:
        raise FieldError("username", "用户名不能为空，且不超过 50 个字符")
    if role not in ROLES:
        raise FieldError("role", f"角色无效：{role}（可选：{', '.join(ROLES)}）")
    _check_password(password, username)
    with write_transaction():
        unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            raise FieldError("unit", f"单位不存在：{unit_name}")
        if db.session.scalar(select(User).where(User.username == username)):
            raise FieldError("username", f"用户名已存在：{username}")
        user = User(username=username, display_name=display_name or username, role=role, unit=unit)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        record_event(entity="user", entity_id=user.id, action="create", user_id=actor_id,
                     changes={"username": {"before": None, "after": username},
                              "role": {"before": None, "after": role},
                              "unit": {"before": None, "after": unit_name}})
    return user


@dataclass
class LoginResult:
    user: User | None = None
    throttled: bool = False
    retry_after: int = 0  # seconds, when throttled
    scope: str | None = None  # which counter refused: account_ip | account | ip


def authenticate(username: str, password: str, ip: str, *, limits: Limits) -> LoginResult:
    """Check a login. Unknown user and wrong password look the same to the caller.

    The try is counted before the password is checked (see services.throttle); the caller gives
    it back with throttle.release_attempt or throttle.clear_after_login when the password was right.
    """
    username = normalise(username)
    verdict = reserve_attempt(username, ip, limits)
    if not verdict.allowed:
        return LoginResult(throttled=True, retry_after=verdict.retry_after, scope=verdict.scope)
    user = db.session.scalar(select(User).where(User.username == username))
    ok = user.check_password(password) if user else _check_dummy(password)
    if ok and user.active:
        return LoginResult(user=user)
    return LoginResult()


def _check_dummy(password: str) -> bool:
    from werkzeug.security import check_password_hash

    check_password_hash(_dummy_hash(), password)
    return False


def _bump_epoch(user_id: int) -> None:
    db.session.execute(update(User).where(User.id == user_id)
                       .values(session_epoch=User.session_epoch + 1))


def end_sessions(user_id: int, *, actor_id: int | None = None, audit: bool = True) -> None:
    """Every session of this user ends at its next request (logout, "log out everywhere")."""
    with write_transaction():
        _bump_epoch(user_id)
        if audit:
            record_event(entity="user", entity_id=user_id, action="end_sessions", user_id=actor_id)


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise DomainError("用户不存在")
    return user


def _check_password(password: str, username: str | None) -> None:
    problem = password_problem(password, username=username if username and len(username) >= 3 else None)
    if problem:
        raise FieldError("new_password", problem)


def change_password(user_id: int, new_password: str, *, actor_id: int | None) -> None:
    """A new password ends every session of the user, the one that changed it included."""
    with write_transaction():
        user = _user(user_id)
        _check_password(new_password, user.username)
        user.set_password(new_password)
        user.must_change_password = False
        _bump_epoch(user_id)
        record_event(entity="user", entity_id=user_id, action="change_password", user_id=actor_id)


def change_role(user_id: int, role: str, *, actor_id: int | None) -> None:
    """A new role takes effect at once: the user logs in again (and meets the MFA rule of the role)."""
    if role not in ROLES:
        raise DomainError(f"角色无效：{role}（可选：{', '.join(ROLES)}）")
    with write_transaction():
        user = _user(user_id)
        before, user.role = user.role, role
        _bump_epoch(user_id)
        record_event(entity="user", entity_id=user_id, action="change_role", user_id=actor_id,
                     changes={"role": {"before": before, "after": role}})


def set_active(user_id: int, active: bool, *, actor_id: int | None) -> None:
    """Disabling a user ends their sessions at once (and their API token stops working)."""
    with write_transaction():
        user = _user(user_id)
        before, user.active = user.active, active
        _bump_epoch(user_id)
        record_event(entity="user", entity_id=user_id, action="enable" if active else "disable",
                     user_id=actor_id, changes={"active": {"before": before, "after": active}})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(username: str, actor_id: int | None = None) -> str:
    """A new bearer token; only its hash is stored, so it is shown exactly once."""
    token = "gd_" + secrets.token_urlsafe(32)
    with write_transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise DomainError(f"用户不存在：{username}")
        user.api_token_hash = hash_token(token)
        record_event(entity="user", entity_id=user.id, action="issue_token", user_id=actor_id)
    return token


def revoke_api_token(username: str, actor_id: int | None = None) -> None:
    with write_transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise DomainError(f"用户不存在：{username}")
        user.api_token_hash = None
        record_event(entity="user", entity_id=user.id, action="revoke_token", user_id=actor_id)


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    user = db.session.scalar(select(User).where(User.api_token_hash == hash_token(token)))
    return user if user and user.active else None


def user_by_id(user_id) -> User | None:
    return db.session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id <= 2**31 - 1 else None


def all_users() -> list[User]:
    return db.session.scalars(select(User).join(Unit).order_by(Unit.sort_order, User.username)).all()


# --- user administration (admin) and the user's own password -------------------------------------


def user_by_username(username: str) -> User | None:
    if not isinstance(username, str) or not username or len(username) > 50:
        return None
    return db.session.scalar(select(User).where(User.username == username))


def _named(username: str) -> User:
    user = user_by_username(username)
    if user is None:
        raise NotFound(f"用户不存在：{username[:50]}")
    return user


def _unit(unit_name: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
    if unit is None:
        raise FieldError("unit", f"单位不存在：{unit_name[:100]}")
    return unit


def admin_create_user(*, username: str, display_name: str | None, role: str, unit_name: str,
                      actor_id: int) -> tuple[User, str]:
    """A new user with a one-time initial password (returned once, never stored in clear);
    the user must choose their own password at first login."""
    if display_name is not None and len(display_name.strip()) > 50:
        raise FieldError("display_name", "姓名不超过 50 个字符")
    password = initial_password()
    with write_transaction():
        user = create_user(username=username, password=password, role=role, unit_name=unit_name,
                           display_name=(display_name or "").strip() or None, actor_id=actor_id)
        user.must_change_password = True
    return user, password


def reset_password(username: str, *, actor_id: int) -> str:
    """A new one-time password: the old one and every session stop working at once."""
    password = initial_password()
    with write_transaction():
        user = _named(username)
        user.set_password(password)
        user.must_change_password = True
        _bump_epoch(user.id)
        record_event(entity="user", entity_id=user.id, action="reset_password", user_id=actor_id)
    return password


def change_own_password(user_id: int, current: str, new: str) -> None:
    """The user's own change: the current password first, then the rules; other sessions end."""
    with write_transaction():
        user = _user(user_id)
        if not user.check_password(current or ""):
            raise FieldError("current_password", "当前密码不正确")
        if new == current:
            raise FieldError("new_password", "新密码不能与当前密码相同")
        change_password(user_id, new, actor_id=user_id)


USER_FIELDS = ("display_name", "role", "unit", "active")


def update_user(username: str, changes: dict, *, actor_id: int) -> User:
    """Any of display_name, role, unit (by name), active; one audit event with what changed.
    A new role, unit or a disabling ends the user's sessions at once."""
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise DomainError(f"只能修改 {'、'.join(USER_FIELDS)}，不接受：{'、'.join(sorted(map(str, unknown)))}")
    with write_transaction():
        user = _named(username)
        if "active" in changes and user.id == actor_id and changes["active"] is False:
            raise FieldError("active", "不能停用自己的账户")
        if "role" in changes and user.id == actor_id and changes["role"] != user.role:
            raise FieldError("role", "不能修改自己的角色：请由另一位管理员修改")
        before = {"display_name": user.display_name, "role": user.role, "unit": user.unit.name,
                  "active": user.active}
        if "display_name" in changes:
            name = (changes["display_name"] or "").strip()
            if not name or len(name) > 50:
                raise FieldError("display_name", "姓名不能为空，且不超过 50 个字符")
            user.display_name = name
        if "role" in changes:
            if changes["role"] not in ROLES:
                raise FieldError("role", f"角色无效：{changes['role']}（可选：{', '.join(ROLES)}）")
            user.role = changes["role"]
        if "unit" in changes:
            user.unit = _unit(changes["unit"])
        if "active" in changes:
            if not isinstance(changes["active"], bool):
                raise FieldError("active", "active 应为 true 或 false")
            user.active = changes["active"]
        db.session.flush()
        after = {"display_name": user.display_name, "role": user.role, "unit": user.unit.name,
                 "active": user.active}
        diff = {k: {"before": before[k], "after": after[k]} for k in USER_FIELDS if before[k] != after[k]}
        if diff:
            if any(k in diff for k in ("role", "unit", "active")):
                _bump_epoch(user.id)
            action = "update"
            if set(diff) == {"active"}:
                action = "enable" if user.active else "disable"
            record_event(entity="user", entity_id=user.id, action=action, user_id=actor_id, changes=diff)
    return user


def record_login(user_id: int) -> None:
    with write_transaction():
        db.session.execute(update(User).where(User.id == user_id).values(last_login_at=utcnow()))


def admin_revoke_token(username: str, *, actor_id: int) -> None:
    _named(username)
    revoke_api_token(username, actor_id=actor_id)


def user_events(user_id: int, limit: int = 20):
    from webapp.models import AuditEvent

    return db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == user_id)
                              .order_by(AuditEvent.id.desc()).limit(limit)).all()


@dataclass
class UserRow:
    """One line of the user administration list (and of GET /api/v1/users)."""

    user: User
    locked: bool  # failed logins lock or slow the account right now (登录安全 clears it)

    def as_dict(self) -> dict:
        u = self.user
        return {"username": u.username, "display_name": u.display_name, "role": u.role, "unit": u.unit.name,
                "active": u.active, "locked": self.locked, "last_login_at": u.last_login_at, "mfa": u.has_mfa,
                "api_token": u.api_token_hash is not None, "must_change_password": u.must_change_password}


def user_rows(limits: Limits) -> list[UserRow]:
    from webapp.services.throttle import current_lockouts

    locked = {lo.username for lo in current_lockouts(limits) if lo.username and lo.state != "counting"}
    return [UserRow(user, user.username in locked) for user in all_users()]
