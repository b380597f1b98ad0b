"""档案 (issue 11): stored document versions, attachments, and the year archive from a page.

Views only: parse → service → render. Uploads get their size limit before anything reads the
body (url_value_preprocessor runs before the CSRF check parses the form).
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.pdf.formatting import file_size
from webapp.services import attachments

bp = Blueprint("archive", __name__)
UPLOAD_ENDPOINTS = frozenset({"archive.upload", "api.upload_attachment"})
MULTIPART_ROOM = 64 * 1024  # the form's other fields and the part headers around the file


def init_app(app: Flask) -> None:
    from webapp.archive import files, jobs  # noqa: F401 — registers the routes

    app.register_blueprint(bp)
    app.url_value_preprocessor(_upload_limit)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.add_template_global(_record_files, "record_files")
    app.add_template_filter(file_size, "file_size")


def _upload_limit(endpoint, _values):
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["ATTACHMENT_MAX_BYTES"] + MULTIPART_ROOM


def _too_large(_exc):
    from webapp.errors import DEFAULT_MESSAGES, error_response
    from webapp.htmx import htmx

    if request.endpoint in UPLOAD_ENDPOINTS:
        message = attachments.too_large_message()
        if htmx and not request.path.startswith("/api/"):
            # Only the form's message line changes; the list of attachments stays as it is.
            response = current_app.make_response((message, 413))
            response.headers["HX-Retarget"] = "#upload-message"
            response.headers["HX-Reswap"] = "innerHTML"
            return response
        return error_response(413, message)
    return error_response(413, DEFAULT_MESSAGES[413])


def _record_files(record):
    """The record's stored documents and attachments, for the record and edit pages (once per request)."""
    cache = g.setdefault("record_files", {})
    if record.id not in cache:
        cache[record.id] = attachments.record_files(current_user, record)
    return cache[record.id]
