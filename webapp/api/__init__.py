"""JSON API v1 (SPEC §8): the same services and permissions as the HTML views, as JSON.

Bearer-token requests are exempt from CSRF; cookie-session requests are not. A request
without a valid login gets 401 JSON, never a redirect to the login page.
"""
from __future__ import annotations

import re
from functools import cache

from flask import Blueprint, Flask, jsonify, request
from flask_login import current_user

from rules.limits import API_BODY_MAX_BYTES
from webapp.auth import bearer_token
from webapp.extensions import csrf, db
from webapp.services import DomainError
from webapp.services import records as svc
from webapp.services.accounts import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.catalog"})


def init_app(app: Flask) -> None:
    from webapp.api import alerts, catalog, openapi, records, stats, users  # noqa: F401 — registers the routes

    csrf.exempt(bp)
    app.register_blueprint(bp)


def error_json(status: int, message: str, findings=()):
    return jsonify({"error": message, "findings": [f.to_dict() for f in findings]}), status


@bp.before_request
def _authenticate():
    if request.endpoint != "api.upload_attachment":  # uploads set their own limit (ATTACHMENT_MAX_BYTES)
        request.max_content_length = API_BODY_MAX_BYTES
    _refuse_undocumented_parameters()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = bearer_token(request)
    if token is not None:
        # A token decides alone: a cookie of another user sent alongside must not win.
        user = user_for_token(token) if token else None
        if user is None or not current_user.is_authenticated or current_user.id != user.id:
            return _unauthorized("API 令牌无效或已被撤销，请重新签发（flask --app webapp users token 用户名）。")
        return None
    if not current_user.is_authenticated:
        return _unauthorized("需要登录：请在 Authorization 头中提供 Bearer 令牌。")
    csrf.protect()  # cookie sessions are browsers: they need the CSRF token (X-CSRFToken)
    return None


def _refuse_undocumented_parameters() -> None:
    """The server refuses what its description refuses: a query parameter it does not name is a 400."""
    if request.url_rule is None or request.method == "OPTIONS":
        return
    known = _query_names(request.url_rule.rule, "get" if request.method == "HEAD" else request.method.lower())
    unknown = sorted(set(request.args) - known) if known is not None else ()
    if unknown:
        from webapp.api.bodies import BadRequest

        raise BadRequest(f"不支持的查询参数：{'、'.join(name[:40] for name in unknown[:5])}（见 /api/v1/openapi.json）。")


@cache
def _query_names(rule: str, method: str) -> frozenset[str] | None:
    """The documented query parameters; None for an operation the description does not list (yet)."""
    from webapp.api.openapi import document

    operation = document()["paths"].get(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule), {}).get(method)
    if operation is None:
        return None
    return frozenset(p["name"] for p in operation.get("parameters", ()) if p["in"] == "query")


def _unauthorized(message: str):
    response, status = error_json(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    if isinstance(exc, svc.InvalidInput):
        return error_json(exc.status, exc.message, exc.findings)
    if isinstance(exc, svc.Blocked):
        return error_json(exc.status, exc.message, exc.report.findings)
    response, status = error_json(exc.status, exc.message)
    response.headers.update(getattr(exc, "headers", {}))  # Busy: Retry-After
    return response, status
