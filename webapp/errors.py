"""Error pages in Chinese; JSON for the API; every 5xx rolls the session back."""
from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp.db_setup import is_lock_timeout
from webapp.extensions import db
from webapp.htmx import wants_partial
from webapp.services import Busy, DomainError

TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权操作",
    404: "页面不存在",
    405: "不支持的操作",
    409: "操作冲突",
    413: "提交内容过大",
    422: "内容有误",
    429: "请求过于频繁",
    500: "系统内部错误",
    503: "系统繁忙",
}

DEFAULT_MESSAGES = {
    400: "请求格式不正确，请检查后重试。",
    403: "您无权执行此操作。",
    404: "您要找的页面或记录不存在，或您无权查看。",
    405: "此地址不支持该操作。",
    413: "提交的内容超过大小限制，请删减后重试。",
    500: "系统出现错误，您的操作未生效。请稍后重试，或联系管理员。",
}


def wants_json() -> bool:
    """API routes, and API clients of the document routes (bearer header or JSON preferred)."""
    from webapp.auth import api_client

    return request.path.startswith("/api/") or api_client(request)


def error_response(status: int, message: str):
    if wants_json():
        return jsonify({"error": message, "findings": []}), status
    if wants_partial():  # a fragment request: the message goes to the page's alert region, not the target
        return (render_template("errors/_refusal.html", title=TITLES.get(status, "出错了"), message=message), status,
                {"HX-Retarget": "#action-error", "HX-Reswap": "innerHTML"})
    return render_template("errors/error.html", status=status, title=TITLES.get(status, "出错了"),
                           message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return error_response(400, "页面已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        response = make_response(error_response(exc.status, exc.message))
        response.headers.update(getattr(exc, "headers", {}))  # Busy: Retry-After
        return response

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError):
        db.session.rollback()
        if is_lock_timeout(exc):  # a write outside write_transaction() met the lock: rolled back
            return domain_error(Busy())
        app.logger.error("database error", exc_info=exc)
        return error_response(500, DEFAULT_MESSAGES[500])

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = exc.description if exc.description and _is_ours(exc) else DEFAULT_MESSAGES.get(
            status, exc.description or "请求无法处理。")
        response, status = error_response(status, message)
        response = app.make_response((response, status))
        for name, value in exc.get_headers():
            if name in ("Allow", "Retry-After", "WWW-Authenticate"):  # 405 names the methods (TRACE too)
                response.headers[name] = value
        return response

    @app.errorhandler(500)
    def internal_error(_exc):
        db.session.rollback()
        return error_response(500, DEFAULT_MESSAGES[500])


def _is_ours(exc: HTTPException) -> bool:
    """Our own aborts carry Chinese descriptions; werkzeug's defaults are English."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in exc.description or "")
