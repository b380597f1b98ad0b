"""Accounts: creating users, checking passwords with throttling, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import LoginFailure, Unit, User
from webapp.models.types import utcnow
from webapp.models.user import PASSWORD_METHOD, ROLES
from webapp.services import DomainError
from webapp.services.audit import record_event

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


def authenticate(username: str, password: str, ip: str, *, max_per_account: int,
                 max_per_ip: int, window_seconds: int) -> LoginResult:
    """Check a login. Unknown user and wrong password look the same to the caller."""
    username = (username or "").strip()[:50]
    since = utcnow() - timedelta(seconds=window_seconds)
    with write_transaction():
        by_account = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.at >= since))
        by_ip = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.ip == ip, LoginFailure.at >= since))
        if by_account >= max_per_account or by_ip >= max_per_ip:
            return LoginResult(throttled=True)
        user = db.session.scalar(select(User).where(User.username == username))
        ok = user.check_password(password) if user else _check_dummy(password)
        if ok and user.active:
            db.session.execute(LoginFailure.__table__.delete().where(LoginFailure.username == username))
            return LoginResult(user=user)
        db.session.add(LoginFailure(username=username, ip=ip[:45]))
        return LoginResult()


def _check_dummy(password: str) -> bool:
    from werkzeug.security import check_password_hash

    check_password_hash(_dummy_hash(), password)
    return False


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


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)
