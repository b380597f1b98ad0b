"""Login, logout, session and bearer-token users."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.extensions import login_manager
from webapp.models import User
from webapp.services.accounts import authenticate, user_by_id, user_for_token

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 10:
        return None
    return user_by_id(int(user_id))


def bearer_token(req) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None without one."""
    header = req.headers.get("Authorization", "")
    return header[len("Bearer "):].strip() if header.startswith("Bearer ") else None


@login_manager.request_loader
def load_user_from_bearer(req) -> User | None:
    token = bearer_token(req)
    return user_for_token(token) if token else None


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login page cannot redirect elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.home"))
    form = {"username": request.form.get("username", ""), "next": request.values.get("next", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        if not form["username"].strip():
            errors["username"] = "请输入用户名"
        if not password:
            errors["password"] = "请输入密码"
        if not errors:
            cfg = current_app.config
            result = authenticate(
                form["username"], password, request.remote_addr or "unknown",
                max_per_account=cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
                max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"],
                window_seconds=cfg["LOGIN_THROTTLE_WINDOW_SECONDS"],
            )
            if result.throttled:
                minutes = cfg["LOGIN_THROTTLE_WINDOW_SECONDS"] // 60
                errors["username"] = f"登录失败次数过多，请 {minutes} 分钟后再试"
                return render_template("auth/login.html", form=form, errors=errors), 429
            if result.user:
                login_user(result.user)
                flash(f"欢迎，{result.user.display_name}。", "success")
                return redirect(_safe_next(form["next"]))
            errors["username"] = "用户名或密码不正确"
        return render_template("auth/login.html", form=form, errors=errors), 422
    return render_template("auth/login.html", form=form, errors=errors)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))
