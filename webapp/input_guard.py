"""Characters no request may carry: NUL and lone surrogates, in the path, the query and forms (400).

Checked once before any view, so the catalog look-up, the register filters and the login form
refuse them alike on SQLite and PostgreSQL (whose text columns cannot hold NUL at all).
JSON bodies are checked where they are parsed (webapp.api.bodies).
"""
from __future__ import annotations

from flask import Flask, request

from rules.limits import FORBIDDEN_CHARS, FORBIDDEN_MESSAGE
from webapp.services import DomainError


class ForbiddenCharacters(DomainError):
    status = 400


def init_app(app: Flask) -> None:
    app.before_request(refuse_forbidden_characters)


def _has_forbidden(pairs) -> str | None:
    for key, value in pairs:
        if FORBIDDEN_CHARS.search(key) or (isinstance(value, str) and FORBIDDEN_CHARS.search(value)):
            return key
    return None


def refuse_forbidden_characters():
    if FORBIDDEN_CHARS.search(request.path):
        raise ForbiddenCharacters("地址" + FORBIDDEN_MESSAGE)
    name = _has_forbidden(request.args.items(multi=True))
    if name is not None:
        raise ForbiddenCharacters(f"参数 {_printable(name)} " + FORBIDDEN_MESSAGE)
    # Multipart bodies (uploads) are read by their own routes, after their own size limit is set.
    if request.mimetype == "application/x-www-form-urlencoded":
        name = _has_forbidden(request.form.items(multi=True))
        if name is not None:
            raise ForbiddenCharacters(f"表单项 {_printable(name)} " + FORBIDDEN_MESSAGE)
    return None


def _printable(name: str) -> str:
    return FORBIDDEN_CHARS.sub("?", name)[:40]
