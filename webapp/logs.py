"""Structured logs: one JSON line per request with user, route, status and duration.

Under gunicorn its JSON access log (gunicorn.conf.py) writes that line, reading the user and route
the app leaves in the WSGI environ; under `flask run` and in tests the app writes it itself.
Lines never hold a query string (the register's search may carry an ID number), and anything
shaped like a resident ID number is masked in every line the app logs.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, current_app, g, request
from flask.logging import default_handler

REQUEST_LOGGER = logging.getLogger("webapp.request")
# 18-character resident ID (6 region + 8 birth date + 3 sequence + check digit or X).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
ENV_USER, ENV_ROUTE, ENV_REQUEST_ID = "webapp.user", "webapp.route", "webapp.request_id"


def scrub(text: str) -> str:
    """Mask the birth date part of resident ID numbers: 370306********123X."""
    return ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)


class JSONFormatter(logging.Formatter):
    """One JSON object per line; a record's `fields` (from extra=) become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": scrub(record.getMessage())}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def init_app(app: Flask) -> None:
    # Flask's own handler (exceptions, warnings) writes JSON with ID numbers masked too.
    default_handler.setFormatter(JSONFormatter())
    app.logger.debug("logging configured")  # creates the app logger now, with Flask's handler, for request lines
    REQUEST_LOGGER.setLevel(logging.INFO)
    app.before_request(_start_clock)
    app.after_request(_log_request)


def _start_clock() -> None:
    g.request_started = time.perf_counter()
    request.environ[ENV_REQUEST_ID] = _request_id()


def _request_id() -> str:
    """nginx's $request_id when it sends one (safe characters only), else a new one."""
    given = request.headers.get("X-Request-ID", "")
    if 0 < len(given) <= 64 and all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in given):
        return given
    return uuid.uuid4().hex


def _user_label() -> str | None:
    """The logged-in user's name if this request loaded one (never loads a user just to log it)."""
    user = g.get("_login_user")
    return user.username if user is not None and user.is_authenticated else None


def request_entry(environ: dict, *, method: str, path: str, status: int, duration_ms: float) -> dict:
    return {"event": "request", "request_id": environ.get(ENV_REQUEST_ID), "method": method,
            "route": environ.get(ENV_ROUTE), "path": scrub(path), "status": status,
            "duration_ms": round(duration_ms, 1), "user": environ.get(ENV_USER)}


def _log_request(response):
    environ = request.environ
    environ[ENV_USER] = _user_label()
    environ[ENV_ROUTE] = request.url_rule.rule if request.url_rule else None
    response.headers.setdefault("X-Request-ID", environ.get(ENV_REQUEST_ID) or _request_id())
    if current_app.config["REQUEST_LOG"] and request.endpoint != "static":
        started = g.get("request_started", time.perf_counter())
        entry = request_entry(environ, method=request.method, path=request.path, status=response.status_code,
                              duration_ms=(time.perf_counter() - started) * 1000)
        entry["remote"] = request.remote_addr
        REQUEST_LOGGER.info("%s %s %s", request.method, entry["route"] or request.path, response.status_code,
                            extra={"fields": entry})
    return response


def gunicorn_access_entry(environ: dict, status: int, duration_s: float, sent: int | None,
                          remote: str | None) -> str:
    """The JSON access-log line gunicorn writes (see gunicorn.conf.py)."""
    path = environ.get("PATH_INFO", "")
    entry = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
             **request_entry(environ, method=environ.get("REQUEST_METHOD", ""), path=path, status=status,
                             duration_ms=duration_s * 1000),
             "bytes": sent, "remote": remote,
             "user_agent": (environ.get("HTTP_USER_AGENT") or "")[:200]}
    return json.dumps(entry, ensure_ascii=False)
