"""账户安全: the user's own second factor and "log out everywhere"."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from webapp.auth import bp
from webapp.services import DomainError
from webapp.services import mfa as svc
from webapp.services.accounts import end_sessions


def _page(errors: dict[str, str] | None = None, status: int = 200):
    return render_template(
        "auth/account.html", errors=errors or {},
        mfa_required=current_user.role in current_app.config["MFA_REQUIRED_ROLES"],
        codes_left=svc.recovery_codes_left(current_user.id) if current_user.has_mfa else 0,
    ), status


@bp.get("/account")
@login_required
def account():
    return _page()


@bp.post("/account/recovery-codes")
@login_required
def regenerate_recovery_codes():
    code = request.form.get("code", "")
    if not code.strip():
        return _page({"code": "请输入验证器应用当前显示的 6 位验证码"}, 422)
    try:
        codes = svc.regenerate_recovery_codes(current_user.id, code)
    except DomainError as exc:
        return _page({"code": exc.message}, 422)
    return render_template("auth/mfa_recovery_codes.html", codes=codes, next_url=url_for("auth.account"),
                           first_time=False)


@bp.post("/account/mfa/disable")
@login_required
def disable_mfa():
    code = request.form.get("disable_code", "")
    if not code.strip():
        return _page({"disable_code": "请输入验证器应用当前显示的 6 位验证码"}, 422)
    try:
        svc.disable_mfa(current_user.id, code, required_roles=current_app.config["MFA_REQUIRED_ROLES"])
    except DomainError as exc:
        return _page({"disable_code": exc.message}, 422)
    flash("两步验证已停用。", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end")
@login_required
def end_all_sessions():
    """Log out everywhere, this browser included."""
    end_sessions(current_user.id, actor_id=current_user.id)
    logout_user()
    session.clear()
    flash("已退出所有设备上的登录。请重新登录。", "info")
    return redirect(url_for("auth.login"))
