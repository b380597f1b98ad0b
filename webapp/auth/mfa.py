"""The second step of a login (TOTP or a recovery code) and setting up the authenticator app."""
from __future__ import annotations

import time

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup

from webapp.auth import (PENDING, bp, client_address, finish_login, limits, safe_next, sessions,
                         throttled_page)
from webapp.models import User
from webapp.services import DomainError, accounts, throttle
from webapp.services import mfa as svc
from webapp.services.accounts import LoginResult

PENDING_MAX_SECONDS = 300  # the second factor must follow the password within five minutes
CODE_ERROR = "验证码不正确或已使用：请输入验证器应用当前显示的 6 位数字，或一个未用过的恢复码"


def begin_second_step(user: User, next_url: str):
    session.clear()
    session[PENDING] = {"uid": user.id, "epoch": user.session_epoch, "at": time.time(), "next": next_url}
    return redirect(url_for("auth.mfa_verify" if user.has_mfa else "auth.mfa_setup"))


def _pending_user() -> User | None:
    """The user whose password was just accepted, if that was recent and nothing ended it since."""
    data = session.get(PENDING)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_MAX_SECONDS:
        return None
    user = accounts.user_by_id(data.get("uid") or 0)
    if user is None or not user.active or user.session_epoch != data.get("epoch"):
        return None
    return user


def _back_to_login():
    session.pop(PENDING, None)
    flash("请重新输入用户名和密码。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/verify", methods=["GET", "POST"])
def mfa_verify():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _back_to_login()
    if not user.has_mfa:
        return redirect(url_for("auth.mfa_setup"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        code = request.form.get("code", "")
        if not code.strip():
            errors["code"] = "请输入验证码"
        else:
            result = throttle.reserve_attempt(user.username, client_address(), limits())
            if not result.allowed:
                return throttled_page("auth/mfa_verify.html", LoginResult(
                    throttled=True, retry_after=result.retry_after, scope=result.scope), field="code")
            kind = svc.verify_second_factor(user.id, code)
            if kind:
                next_url = session[PENDING].get("next")
                response = finish_login(user, next_url)
                if kind == "recovery":
                    left = svc.recovery_codes_left(user.id)
                    flash(f"您使用了一个恢复码，还剩 {left} 个。如手机已丢失，请在“账户安全”中重新设置两步验证。",
                          "info")
                return response
            errors["code"] = CODE_ERROR
        return render_template("auth/mfa_verify.html", errors=errors), 422
    return render_template("auth/mfa_verify.html", errors=errors)


def _setup_user() -> tuple[User | None, bool]:
    """Who is setting up: the logged-in user, or one in the middle of a login (required roles)."""
    if current_user.is_authenticated:
        return accounts.user_by_id(current_user.id), False
    return _pending_user(), True


def qr_svg(uri: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code (no script, no style: passes the CSP)."""
    svg = segno.make(uri, error="m", micro=False).svg_inline(scale=5, border=4, svgclass="qr-code",
                                                             lineclass=None, omitsize=False)
    return Markup(svg)


@bp.route("/mfa/setup", methods=["GET", "POST"])
def mfa_setup():
    user, during_login = _setup_user()
    if user is None:
        return _back_to_login()
    if user.has_mfa:
        if during_login:
            return redirect(url_for("auth.mfa_verify"))
        flash("两步验证已启用。", "info")
        return redirect(url_for("auth.account"))
    secret = svc.begin_enrolment(user.id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        code = request.form.get("code", "")
        if not code.strip():
            errors["code"] = "请输入验证器应用显示的 6 位验证码"
        else:
            try:
                codes = svc.confirm_enrolment(user.id, code)
            except DomainError as exc:
                errors["code"] = exc.message
            else:
                next_url = url_for("auth.account")
                if during_login:
                    next_url = safe_next(session[PENDING].get("next"))
                    throttle.clear_after_login(user.username, client_address())
                    sessions.start(user)
                return render_template("auth/mfa_recovery_codes.html", codes=codes, next_url=next_url,
                                       first_time=True)
    uri = svc.provisioning_uri(secret, user.username, current_app.config["MFA_ISSUER"])
    status = 422 if errors else 200
    return render_template("auth/mfa_setup.html", qr=qr_svg(uri), key=svc.grouped(secret), errors=errors,
                           during_login=during_login,
                           required=user.role in current_app.config["MFA_REQUIRED_ROLES"]), status
