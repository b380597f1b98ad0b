"""Sessions that end: a per-user epoch, an idle timeout and an absolute lifetime.

The cookie carries the user's session epoch from login time. Logout, a password or role change,
disabling and "log out everywhere" bump the epoch in the database, so every older cookie —
including one copied before logout — stops working at its next request.
"""
from __future__ import annotations

import time

from flask import current_app, g, session
from flask_login import login_user

from webapp.models import User

EPOCH, AUTH_AT, SEEN_AT, ENDED = "epoch", "auth_at", "seen_at", "ended"
SEEN_RESOLUTION = 60  # seconds: the cookie is rewritten at most once a minute, not on every request

ENDED_MESSAGES = {
    "idle": "由于 {idle} 分钟内没有操作，您已自动退出登录。请重新登录。",
    "expired": "登录已超过 {hours} 小时，为安全起见请重新登录。",
    "revoked": "您的登录已失效（已退出、修改了密码或角色，或管理员结束了您的会话）。请重新登录。",
}


def now() -> float:
    """The clock sessions are judged by (tests move it)."""
    return time.time()


def start(user: User) -> None:
    """Log the user in with a fresh session: a new CSRF token, the current epoch and clocks."""
    session.clear()  # also drops the CSRF token issued before login
    g.pop("csrf_token", None)  # Flask-WTF caches the token per request
    login_user(user)
    session[EPOCH] = user.session_epoch
    session[AUTH_AT] = session[SEEN_AT] = now()


def check(user: User) -> str | None:
    """Why this request's session may not act for the user any more, or None if it may."""
    if session.get(EPOCH) != user.session_epoch:
        return "revoked"
    at = now()
    config = current_app.config
    auth_at, seen_at = session.get(AUTH_AT, 0), session.get(SEEN_AT, 0)
    if at - auth_at > config["SESSION_MAX_HOURS"] * 3600:
        return "expired"
    if at - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    if at - seen_at > SEEN_RESOLUTION:
        session[SEEN_AT] = at
    return None


def end(reason: str | None) -> None:
    """Forget the login; remember why, for the login page."""
    session.clear()
    if reason:
        session[ENDED] = reason


def ended_message() -> str | None:
    """The login page's notice for a session that ended by itself (shown once)."""
    reason = session.pop(ENDED, None)
    template = ENDED_MESSAGES.get(reason)
    if template is None:
        return None
    config = current_app.config
    return template.format(idle=config["SESSION_IDLE_MINUTES"], hours=config["SESSION_MAX_HOURS"])
