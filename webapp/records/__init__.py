"""Record capture: form, live findings, submit, record page, close, void, lists."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.auth.permissions import can, require, require_view
from webapp.extensions import db
from webapp.htmx import render_page_or_partial
from webapp.models import GuidanceRecord, Unit
from webapp.models.record import SHANGHAI, STATUSES
from webapp.records import queries
from webapp.records.findings import group_findings
from webapp.records.forms import (
    CHOICES, errors_by_field, form_int, form_from_record, form_values_from_request, officer_inputs,
    record_from_form,
)
from webapp.services import DomainError
from webapp.services import records as svc

bp = Blueprint("records", __name__, url_prefix="/records")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
@login_required
def _login_first():
    """Every record page needs a login; permissions per record are checked in each view."""


def record_or_404(record_id: int) -> GuidanceRecord:
    return require_view(current_user, db.session.get(GuidanceRecord, record_id))


def form_version() -> int | None:
    return form_int(request.form.get("version"))


def _form_page(record: GuidanceRecord | None, values: dict, *, errors=None, report=None,
               conflict: str | None = None, status: int = 200):
    values = dict(values)
    item = queries.catalog_item(values.get("catalog_code"))
    context = dict(
        record=record, values=values, errors=errors or {}, report=report,
        groups=group_findings(report["findings"]) if report else None,
        conflict=conflict, choices=CHOICES, catalog_items=queries.active_catalog_items(),
        catalog_item=item, officer_inputs=officer_inputs(values.get("officers") or []),
        officer_names=queries.unit_officer_names(current_user.unit_id),
        unit_names=db.session.scalars(db.select(Unit.name).order_by(Unit.sort_order)).all(),
    )
    response = current_app.make_response((render_template("records/form.html", **context), status))
    if record is not None and request.method == "POST":
        response.headers["HX-Push-Url"] = url_for("records.edit", record_id=record.id)
    return response


@bp.get("/new")
def new():
    require(current_user, "create_record")
    return _form_page(None, form_from_record(None, {"unit": current_user.unit.name,
                                                    "officers": [current_user.display_name]}))


@bp.post("/new")
def create():
    require(current_user, "create_record")
    return _save(None)


@bp.get("/<id:record_id>/edit")
def edit(record_id: int):
    record = require(current_user, "edit", record_or_404(record_id))
    if record.status != "draft":
        flash(f"记录当前状态为“{record.status_label}”，不能修改。", "info")
        return redirect(url_for("records.view", record_id=record.id))
    report = record.last_report
    return _form_page(record, form_from_record(record), report=report,
                      errors=errors_by_field(report["findings"]) if report else None)


@bp.post("/<id:record_id>/edit")
def update(record_id: int):
    require(current_user, "edit", record_or_404(record_id))
    return _save(record_id)


def _save(record_id: int | None):
    raw = record_from_form(request.form)
    values = form_values_from_request(request.form)
    record = db.session.get(GuidanceRecord, record_id) if record_id else None
    try:
        if record_id is None:
            record = svc.create_draft(current_user, raw)
        else:
            # A form without a readable version cannot prove it saw the latest save: version 0
            # matches no record, so it is refused as stale instead of overwriting blindly.
            record = svc.update_draft(current_user, record_id, raw, form_version() or 0)
    except svc.InvalidInput as exc:
        findings = [f.to_dict() for f in exc.findings]
        return _form_page(record, values, errors=errors_by_field(findings),
                          report={"outcome": "blocked", "findings": findings}, status=422)
    except svc.StaleVersion as exc:
        fresh = db.session.get(GuidanceRecord, record_id)
        return _form_page(fresh, values, conflict=exc.message, status=409)
    if request.form.get("action") != "submit":
        flash("草稿已保存。", "success")
        return redirect(url_for("records.edit", record_id=record.id))
    try:
        result = svc.submit_record(current_user, record.id, record.version)
    except svc.Blocked as exc:
        report = exc.report.to_dict()
        record = db.session.get(GuidanceRecord, record.id)
        return _form_page(record, values, errors=errors_by_field(report["findings"]), report=report,
                          status=422)
    _flash_submitted(result)
    return redirect(url_for("records.view", record_id=record.id))


def _flash_submitted(result: svc.SubmitResult) -> None:
    if result.record.status == "filed":
        flash(f"规则检查通过，已备案：{result.record.number}。", "success")
    else:
        flash(f"已提交，有 {len(result.report.warnings)} 项提示需政策法规科审查，状态：待审查。", "info")


@bp.post("/validate")
def validate():
    """Live findings while typing: only the panel is rendered; nothing is saved."""
    record_id = form_int(request.form.get("record_id"))
    if record_id is not None:
        record_or_404(record_id)
    report = svc.preview_report(record_from_form(request.form), record_id).to_dict()
    return render_template("records/_findings.html", report=report,
                           groups=group_findings(report["findings"]), live=True)


@bp.get("/catalog-item")
def catalog_item_info():
    item = queries.catalog_item(request.args.get("catalog_code"))
    return render_template("records/_catalog_item.html", catalog_item=item,
                           code=request.args.get("catalog_code", ""))


@bp.post("/<id:record_id>/submit")
def submit(record_id: int):
    record = require(current_user, "submit", record_or_404(record_id))
    try:
        result = svc.submit_record(current_user, record.id, form_version())
    except svc.Blocked as exc:
        report = exc.report.to_dict()
        return _form_page(record, form_from_record(record), errors=errors_by_field(report["findings"]),
                          report=report, status=422)
    except svc.Conflict as exc:
        return already_moved(record_id, exc)
    _flash_submitted(result)
    return redirect(url_for("records.view", record_id=record_id))


def already_moved(record_id: int, exc: DomainError):
    """A double click or a second tab: show the record as it is now, with the reason."""
    flash(exc.message, "error")
    return redirect(url_for("records.view", record_id=record_id))


@bp.get("/<id:record_id>")
def view(record_id: int):
    record = record_or_404(record_id)
    return _record_page(record)


def _record_page(record: GuidanceRecord, *, errors=None, values=None, status: int = 200):
    report = record.last_report
    context = dict(
        record=record, report=report, groups=group_findings(report["findings"]) if report else None,
        trail=queries.audit_trail(record.id), errors=errors or {}, values=values or {},
        can=lambda action: can(current_user, action, record), choices=CHOICES,
        mask=current_user.role == "viewer",
    )
    return render_template("records/view.html", **context), status


def perform_action(record_id: int, action: str, call, *, field: str, values: dict, success,
                   next_url: str | None = None):
    """One record-page action: permission, the service call, and every way it can be refused.

    Refusals re-render the record page with the message at `field` and the user's input kept;
    a record that moved on meanwhile (double click, second tab) is shown as it is now.
    """
    record = require(current_user, action, record_or_404(record_id))
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
    record = record_or_404(record_id)
    if isinstance(exc, svc.Blocked):
        errors = errors_by_field(exc.report.to_dict()["findings"])
    else:
        errors = {field: exc.message}
    return _record_page(record, errors=errors, values=values, status=exc.status)


@bp.post("/<id:record_id>/close")
def close(record_id: int):
    values = {"result": request.form.get("result", ""), "effect": request.form.get("effect", "")}
    payload = {"result": values["result"] or None, "effect": values["effect"].strip() or None}
    return perform_action(record_id, "close",
                          lambda record: svc.close_record(current_user, record.id, payload, form_version()),
                          field="effect", values=values, success="已办结。")


@bp.post("/<id:record_id>/void")
def void(record_id: int):
    values = {"reason": request.form.get("reason", "")}
    return perform_action(record_id, "void",
                          lambda record: svc.void_record(current_user, record.id, values["reason"], form_version()),
                          field="reason", values=values,
                          success=lambda record: f"已作废（文号 {record.number} 保留）。")


@bp.get("/mine")
def mine():
    require(current_user, "create_record")
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    page = queries.paginate(queries.unit_records(current_user.unit_id, status),
                            request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_page_or_partial("records/mine.html", "records/_table.html", page=page,
                                  status=status, counts=queries.unit_status_counts(current_user.unit_id),
                                  endpoint="records.mine")


@bp.get("/filed")
def filed():
    require(current_user, "view_register")
    page = queries.paginate(queries.filed_records(), request.args.get("page", 1, type=int),
                            current_app.config["PAGE_SIZE"])
    return render_page_or_partial("records/filed.html", "records/_table.html", page=page, status=None,
                                  endpoint="records.filed", this_year=datetime.now(SHANGHAI).year)


