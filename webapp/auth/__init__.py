"""Login (password, then the second factor where needed), logout, sessions and bearer-token users."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required, logout_user
from flask_login.utils import login_url

from webapp.auth import sessions
from webapp.extensions import login_manager
from webapp.htmx import wants_partial
from webapp.models import User
from webapp.services import throttle
from webapp.services.accounts import (LoginResult, authenticate, end_sessions, record_login, user_by_id,
                                      user_for_token)

bp = Blueprint("auth", __name__)
PENDING = "mfa_pending"  # the password was right; the second factor is still to come


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    from webapp.auth import account, admin, discarded, mfa, users  # noqa: F401 — registers their routes on bp

    app.register_blueprint(bp)
    app.before_request(users.password_first)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 10:
        return None
    user = user_by_id(int(user_id))
    reason = "revoked" if user is None or not user.active else sessions.check(user)
    if reason:
        sessions.end(reason)
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """To the login page; without "请先登录" when the page will say why the session ended.

    API clients (a bearer header, or JSON preferred to HTML) get 401 JSON, never a redirect."""
    if api_client(request):
        response = jsonify({"error": "需要登录：请在 Authorization 头中提供有效的 Bearer 令牌，或先登录。",
                            "findings": []})
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response, 401
    if sessions.ENDED not in session:
        flash(login_manager.login_message, login_manager.login_message_category)
    target = login_url(login_manager.login_view, next_url=request.url)
    if wants_partial():  # a fragment request must not swap the login page into a panel
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def api_client(req) -> bool:
    """A program, not a browser: it sent Authorization, or it prefers JSON to HTML."""
    if "Authorization" in req.headers:
        return True
    accept = req.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def bearer_token(req) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None without one."""
    header = req.headers.get("Authorization", "")
    return header[len("Bearer "):].strip() if header.startswith("Bearer ") else None


@login_manager.request_loader
def load_user_from_bearer(req) -> User | None:
    token = bearer_token(req)
    return user_for_token(token) if token else None


def safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login page cannot redirect elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.home")


def client_address() -> str:
    """The client's address (ProxyFix has already applied the trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def limits() -> throttle.Limits:
    return throttle.Limits.from_config(current_app.config)


def throttled_message(scope: str | None, retry_after: int) -> str:
    if scope == "account":
        return f"该账户近期登录失败次数较多，请 {retry_after} 秒后再试"
    return f"登录失败次数过多，请 {max(1, -(-retry_after // 60))} 分钟后再试"


def throttled_page(template: str, result: LoginResult, **context):
    errors = {context.pop("field", "username"): throttled_message(result.scope, result.retry_after)}
    return render_template(template, errors=errors, **context), 429, {"Retry-After": str(result.retry_after)}


def finish_login(user: User, next_url: str | None):
    """Both factors are done: a fresh session, then on to where the user was going."""
    throttle.clear_after_login(user.username, client_address())
    record_login(user.id)
    sessions.start(user)
    flash(f"欢迎，{user.display_name}。", "success")
    return redirect(safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.home"))
    form = {"username": request.form.get("username", ""), "next": request.values.get("next", "")}
    errors: dict[str, str] = {}
    notice = sessions.ended_message()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not form["username"].strip():
            errors["username"] = "请输入用户名"
        if not password:
            errors["password"] = "请输入密码"
        if not errors:
            result = authenticate(form["username"], password, client_address(), limits=limits())
            if result.throttled:
                return throttled_page("auth/login.html", result, form=form, notice=None)
            if result.user:
                return _after_password(result.user, form["next"])
            errors["username"] = "用户名或密码不正确"
        return render_template("auth/login.html", form=form, errors=errors, notice=None), 422
    return render_template("auth/login.html", form=form, errors=errors, notice=notice)


def _after_password(user: User, next_url: str):
    from webapp.auth.mfa import begin_second_step

    required = user.role in current_app.config["MFA_REQUIRED_ROLES"]
    if user.has_mfa or required:
        throttle.release_attempt(user.username, client_address())
        return begin_second_step(user, next_url)
    return finish_login(user, next_url)


@bp.post("/logout")
@login_required
def logout():
    end_sessions(current_user.id, actor_id=current_user.id, audit=False)  # copies of the cookie die too
    logout_user()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))
