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
from webapp.services import DomainError
from webapp.services.audit import record_event
from webapp.services.throttle import Limits, normalise, reserve_attempt

MIN_PASSWORD_LENGTH = 8
# Checked against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = None


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
        raise DomainError("用户名不能为空，且不超过 50 个字符")
    if role not in ROLES:
        raise DomainError(f"角色无效：{role}（可选：{', '.join(ROLES)}）")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    with write_transaction():
        unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            raise DomainError(f"单位不存在：{unit_name}")
        if db.session.scalar(select(User).where(User.username == username)):
            raise DomainError(f"用户名已存在：{username}")
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


def change_password(user_id: int, new_password: str, *, actor_id: int | None) -> None:
    """A new password ends every session of the user, the one that changed it included."""
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    with write_transaction():
        _user(user_id).set_password(new_password)
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
