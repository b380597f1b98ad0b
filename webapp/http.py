"""The few helpers views share: reading form numbers, one record-page action, sending files.

Blueprints import from here, never from each other.
"""
from __future__ import annotations

from rules import vocabulary as vocab
from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.pdf import content_disposition
from webapp.services import DomainError
from webapp.services import catalog_versions, policy, queries
from webapp.services import records as svc
from webapp.services.presenting import errors_by_field, group_findings, record_view


def form_int(raw: str | None, *, high: int = 2**31 - 1) -> int | None:
    """A whole number typed or posted in a form, or None (never an exception)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if value <= high else None


def form_version() -> int | None:
    return form_int(request.form.get("version"))


def pdf_response(data: bytes, filename: str, ascii_name: str | None = None) -> Response:
    return file_response(data, filename, "application/pdf", ascii_name)


def file_response(data, filename: str, mimetype: str, ascii_name: str | None = None) -> Response:
    """A download: RFC 6266 name (with a plain ASCII fallback), never cached, never sniffed.
    `data` may be a generator."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, ascii_name)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def record_page(record, *, errors=None, values=None, status: int = 200, confirm: bool = False):
    """The record page (also re-shown with the message when an action on it is refused);
    confirm=True asks before a submit that sends the record to review."""
    report = record.draft_report if confirm and record.draft_report else record.last_report
    context = dict(
        record=record, view=record_view(current_user, record, queries.audit_trail(record.id)),
        report=report, confirm=confirm,
        groups=group_findings(report["findings"], reasons=record.warning_reasons) if report else None,
        errors=errors or {}, values=values or {},
        can=lambda action: policy.can(current_user, action, record), choices=vocab.FIELD_VOCABULARY,
        catalog_checked=catalog_versions.checked_against(record.catalog_version),
    )
    return render_template("records/view.html", **context), status


def already_moved(record_id: int, exc: DomainError):
    """A double click or a second tab: show the record as it is now, with the reason."""
    flash(exc.message, "error")
    return redirect(url_for("records.view", record_id=record_id))


def perform_action(record_id: int, action: str, call, *, field: str, values: dict, success,
                   next_url: str | None = None):
    """One record-page action: permission, the service call, and every way it can be refused.

    Refusals re-render the record page with the message at `field` and the user's input kept;
    a record that moved on meanwhile (double click, second tab) is shown as it is now.
    """
    record = policy.require(current_user, action, policy.visible_record(current_user, record_id))
    try:
        result = call(record)
    except svc.Conflict as exc:
        if not isinstance(exc, svc.StaleVersion):
            return already_moved(record_id, exc)
        return _action_refused(record_id, exc, field, values)
    except DomainError as exc:
        return _action_refused(record_id, exc, field, values)
    flash(success(result) if callable(success) else success, "success")
    return redirect(next_url or url_for("records.view", record_id=record_id))


def _action_refused(record_id: int, exc: DomainError, field: str, values: dict):
    record = policy.visible_record(current_user, record_id)
    if isinstance(exc, svc.Blocked):
        errors = errors_by_field(exc.report.findings)
    else:
        errors = {field: exc.message}
    return record_page(record, errors=errors, values=values, status=exc.status)
