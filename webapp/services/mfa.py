"""The second factor: TOTP (RFC 6238, 30 s steps, ±1 step) and ten one-time recovery codes.

Each accepted TOTP step is stored, and a code is accepted only for a later step than the last one
(one UPDATE … WHERE mfa_last_step < step), so a code seen over someone's shoulder or replayed by
two parallel requests works once. Recovery codes are kept as SHA-256 and spent by one UPDATE.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from sqlalchemy import func, or_, select, update

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import RecoveryCode, User
from webapp.models.types import utcnow
from webapp.services import DomainError
from webapp.services.audit import record_event

STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The manual key in groups of four, as authenticator apps print it."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def begin_enrolment(user_id: int) -> str:
    """A new key waiting for its first code; the same one while the set-up page is reloaded."""
    with write_transaction():
        user = db.session.get(User, user_id)
        if user.mfa_pending_secret is None:
            user.mfa_pending_secret = pyotp.random_base32()
        return user.mfa_pending_secret


def confirm_enrolment(user_id: int, code: str, *, now: float | None = None) -> list[str]:
    """The first valid code turns the pending key on; returns the recovery codes (shown once)."""
    now = time.time() if now is None else now
    with write_transaction():
        user = db.session.get(User, user_id)
        if user.mfa_pending_secret is None:
            raise DomainError("请重新打开两步验证设置页面")
        step = matching_step(user.mfa_pending_secret, code, now)
        if step is None:
            raise DomainError("验证码不正确：请输入验证器应用当前显示的 6 位数字")
        was_enabled = user.mfa_secret is not None
        user.mfa_secret, user.mfa_pending_secret = user.mfa_pending_secret, None
        user.mfa_enabled_at, user.mfa_last_step = utcnow(), step
        codes = _replace_recovery_codes(user_id)
        record_event(entity="user", entity_id=user_id, action="mfa_enable", user_id=user_id,
                     changes={"mfa": {"before": was_enabled, "after": True}})
    return codes


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (now, one before, one after) whose code this is, or None."""
    code = "".join((code or "").split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_second_factor(user_id: int, code: str, *, now: float | None = None) -> str | None:
    """Check a login's second factor: 'totp', 'recovery' (one of the ten, now spent) or None."""
    now = time.time() if now is None else now
    user = db.session.get(User, user_id)
    if user is None or user.mfa_secret is None:
        return None
    step = matching_step(user.mfa_secret, code, now)
    if step is not None:
        with write_transaction():
            used = db.session.execute(update(User).where(
                User.id == user_id, or_(User.mfa_last_step.is_(None), User.mfa_last_step < step))
                .values(mfa_last_step=step).execution_options(synchronize_session=False)).rowcount
        return "totp" if used == 1 else None
    normalised = normalise_recovery_code(code)
    if normalised is None:
        return None
    with write_transaction():
        spent = db.session.execute(update(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _hash(normalised),
            RecoveryCode.used_at.is_(None)).values(used_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if spent != 1:
            return None
        record_event(entity="user", entity_id=user_id, action="mfa_recovery_used", user_id=user_id,
                     note=f"剩余恢复码 {_unused_count(user_id)} 个")
    return "recovery"


def normalise_recovery_code(code: str) -> str | None:
    cleaned = "".join((code or "").lower().split()).replace("-", "")
    if len(cleaned) == 10 and all(ch in _RECOVERY_ALPHABET for ch in cleaned):
        return cleaned
    return None


def _hash(normalised_code: str) -> str:
    return hashlib.sha256(normalised_code.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user_id: int) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash(normalise_recovery_code(c)))
                       for c in codes)
    return codes


def _unused_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))


def recovery_codes_left(user_id: int) -> int:
    return _unused_count(user_id)


def regenerate_recovery_codes(user_id: int, code: str, *, now: float | None = None) -> list[str]:
    """Ten new codes (the old ones stop working); needs a current code from the app."""
    if verify_second_factor(user_id, code, now=now) != "totp":
        raise DomainError("验证码不正确或已使用：请输入验证器应用当前显示的 6 位数字")
    with write_transaction():
        codes = _replace_recovery_codes(user_id)
        record_event(entity="user", entity_id=user_id, action="mfa_recovery_codes", user_id=user_id)
    return codes


def _clear(user: User) -> None:
    user.mfa_secret = user.mfa_pending_secret = None
    user.mfa_enabled_at = user.mfa_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))


def disable_mfa(user_id: int, code: str, *, required_roles, now: float | None = None) -> None:
    """A user whose role does not require it turns the second factor off (with a current code)."""
    user = db.session.get(User, user_id)
    if user.role in required_roles:
        raise DomainError("您的角色必须使用两步验证，不能停用；如更换了手机，请联系管理员重置")
    if verify_second_factor(user_id, code, now=now) != "totp":
        raise DomainError("验证码不正确或已使用：请输入验证器应用当前显示的 6 位数字")
    with write_transaction():
        _clear(db.session.get(User, user_id))
        record_event(entity="user", entity_id=user_id, action="mfa_disable", user_id=user_id,
                     changes={"mfa": {"before": True, "after": False}})


def reset_mfa(user_id: int, *, actor_id: int) -> None:
    """An admin clears a user's second factor (lost phone); the user sets it up again at next login.

    The user's sessions end too, so nobody stays logged in on the strength of the old factor.
    """
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise DomainError("用户不存在")
        had = user.mfa_secret is not None
        _clear(user)
        user.session_epoch = user.session_epoch + 1
        record_event(entity="user", entity_id=user_id, action="mfa_reset", user_id=actor_id,
                     changes={"mfa": {"before": had, "after": False}})
