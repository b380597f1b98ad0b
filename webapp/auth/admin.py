"""登录安全 (admin): current lockouts and slow-downs, clearing them, resetting a user's second factor."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from webapp.auth import bp, limits
from webapp.services import accounts, policy, throttle
from webapp.services import mfa as mfa_svc


def admin_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not policy.can(current_user, "manage_users"):
            abort(403, description="只有管理员可以管理用户和登录安全")
        return view(*args, **kwargs)

    return wrapper


@bp.get("/admin/security")
@admin_only
def security():
    users = accounts.all_users()
    return render_template("auth/admin_security.html", lockouts=throttle.current_lockouts(limits()),
                           users=users, required_roles=current_app.config["MFA_REQUIRED_ROLES"])


@bp.post("/admin/security/lockouts/<id:lockout_id>/clear")
@admin_only
def clear_lockout(lockout_id: int):
    throttle.clear_lockout(lockout_id, actor_id=current_user.id)
    flash("已解除该锁定。", "success")
    return redirect(url_for("auth.security"))


@bp.post("/admin/security/users/<id:user_id>/reset-mfa")
@admin_only
def reset_mfa(user_id: int):
    user = accounts.user_by_id(user_id)
    if user is None:
        abort(404, description="用户不存在")
    name = user.display_name
    mfa_svc.reset_mfa(user_id, actor_id=current_user.id)
    flash(f"已重置 {name} 的两步验证；其登录已结束，下次登录时需重新设置。", "success")
    return redirect(url_for("auth.security"))
