"""用户管理 (admin): list, create with a one-time password, change, disable, reset, revoke tokens;
and the user's own password change (forced after an admin set the password)."""
from __future__ import annotations

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.auth import bp, limits, sessions
from webapp.auth.admin import admin_only
from webapp.models.user import ROLES
from webapp.services import DomainError, accounts, queries
from webapp.services.passwords import MIN_PASSWORD_LENGTH

USER_FORM = ("username", "display_name", "role", "unit")


def _units() -> dict[str, str]:
    return {name: name for name in queries.unit_names()}


def _one_time_password(user, password: str, *, created: bool):
    """The initial password, shown on this one page and never again (not cached, not stored)."""
    response = make_response(render_template("auth/user_password.html", user=user, password=password,
                                              created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/users")
@admin_only
def users():
    return render_template("auth/users.html", rows=accounts.user_rows(limits()))


def _new_page(values: dict, errors: dict, status: int = 200):
    return render_template("auth/user_new.html", values=values, errors=errors, roles=ROLES,
                           units=_units()), status


@bp.get("/admin/users/new")
@admin_only
def new_user():
    return _new_page({}, {})


@bp.post("/admin/users/new")
@admin_only
def create_user():
    values = {key: request.form.get(key, "").strip() for key in USER_FORM}
    errors = {}
    if not values["username"]:
        errors["username"] = "请输入用户名（登录时使用，如 zhangsan）"
    if values["role"] not in ROLES:
        errors["role"] = "请选择角色"
    if not values["unit"]:
        errors["unit"] = "请选择单位"
    if not errors:
        try:
            user, password = accounts.admin_create_user(
                username=values["username"], display_name=values["display_name"] or None, role=values["role"],
                unit_name=values["unit"], actor_id=current_user.id)
        except DomainError as exc:
            errors[getattr(exc, "field", "username")] = exc.message
        else:
            return _one_time_password(user, password, created=True)
    return _new_page(values, errors, 422)


def _target(username: str):
    user = accounts.user_by_username(username)
    if user is None:
        abort(404, description="用户不存在")
    return user


def _user_page(user, errors: dict | None = None, values: dict | None = None, status: int = 200):
    row = next(r for r in accounts.user_rows(limits()) if r.user.id == user.id)
    return render_template("auth/user.html", row=row, user=user, errors=errors or {}, values=values or {},
                           roles=ROLES, units=_units(), events=accounts.user_events(user.id)), status


@bp.get("/admin/users/<username>")
@admin_only
def user(username: str):
    return _user_page(_target(username))


def _change(username: str, changes: dict, *, field: str, success: str, values: dict | None = None):
    user = _target(username)
    try:
        accounts.update_user(username, changes, actor_id=current_user.id)
    except DomainError as exc:
        return _user_page(user, {getattr(exc, "field", field): exc.message}, values, exc.status)
    flash(success, "success")
    return redirect(url_for("auth.user", username=username))


@bp.post("/admin/users/<username>")
@admin_only
def update_user(username: str):
    values = {key: request.form.get(key, "").strip() for key in ("display_name", "role", "unit")}
    if not values["display_name"]:
        return _user_page(_target(username), {"display_name": "请输入姓名"}, values, 422)
    return _change(username, values, field="display_name", success="已保存。角色或单位有变化时，该用户需重新登录。",
                   values=values)


@bp.post("/admin/users/<username>/active")
@admin_only
def set_active(username: str):
    active = request.form.get("active") == "1"
    return _change(username, {"active": active}, field="active",
                   success="已启用该用户。" if active else "已停用该用户：其登录和 API 令牌已立即失效。")


@bp.post("/admin/users/<username>/reset-password")
@admin_only
def reset_password(username: str):
    user = _target(username)
    password = accounts.reset_password(username, actor_id=current_user.id)
    return _one_time_password(user, password, created=False)


@bp.post("/admin/users/<username>/revoke-token")
@admin_only
def revoke_token(username: str):
    user = _target(username)
    if user.api_token_hash is None:
        return _user_page(user, {"api_token": "该用户没有有效的 API 令牌"}, status=409)
    accounts.admin_revoke_token(username, actor_id=current_user.id)
    flash("已撤销该用户的 API 令牌。", "success")
    return redirect(url_for("auth.user", username=username))


# --- the user's own password ---------------------------------------------------------------------


def _password_page(errors: dict, status: int = 200):
    return render_template("auth/password.html", errors=errors, forced=current_user.must_change_password,
                           min_length=MIN_PASSWORD_LENGTH), status


@bp.get("/account/password")
@login_required
def change_password():
    return _password_page({})


@bp.post("/account/password")
@login_required
def save_password():
    current, new = request.form.get("current_password", ""), request.form.get("new_password", "")
    errors = {}
    if not current:
        errors["current_password"] = "请输入当前密码" + ("（管理员给您的初始密码）" if current_user.must_change_password else "")
    if not new:
        errors["new_password"] = "请输入新密码"
    elif request.form.get("confirm_password", "") != new:
        errors["confirm_password"] = "两次输入的新密码不一致"
    if not errors:
        try:
            accounts.change_own_password(current_user.id, current, new)
        except DomainError as exc:
            errors[getattr(exc, "field", "new_password")] = exc.message
    if errors:
        return _password_page(errors, 422)
    user = accounts.user_by_id(current_user.id)
    sessions.start(user)  # the change ended every session; this browser carries on with a fresh one
    flash("密码已修改。其他设备上的登录已结束。", "success")
    return redirect(url_for("main.home"))


# Pages a user who must change the password may still reach.
PASSWORD_FIRST_OPEN = frozenset({"auth.change_password", "auth.save_password", "auth.logout", "auth.login",
                                 "static", "health.healthz"})


def password_first():
    """Until a user given a password by an admin has chosen their own, every page leads to the form.
    Bearer-token API calls are not affected (the token was issued to the user, not the password)."""
    from webapp.auth import bearer_token
    from webapp.htmx import wants_partial

    if bearer_token(request) is not None or request.endpoint in PASSWORD_FIRST_OPEN:
        return None
    if request.endpoint and request.endpoint.startswith("auth.mfa"):
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    target = url_for("auth.change_password")
    if request.path.startswith("/api/"):
        return jsonify({"error": "请先在网页上修改管理员设置的初始密码。", "findings": []}), 403
    if wants_partial():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)

