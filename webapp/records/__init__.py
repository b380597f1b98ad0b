"""Record capture: form, live findings, submit, record page, close, void, lists."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from rules import vocabulary as vocab

from webapp.htmx import render_page_or_partial
from webapp.http import already_moved, form_int, form_version, perform_action, record_page
from webapp.records.forms import (
    CHECKED, CHOICES, FORM_ORDER, SECTIONS, anchor_input, filled_inputs, form_from_interchange,
    new_form_values, officer_inputs, read_form, record_from_form, section_complete, touched_inputs,
    warning_reasons,
)
from webapp.services import DomainError, policy, queries
from webapp.services import records as svc
from webapp.services.presenting import errors_by_field, group_findings, input_name
from webapp.services.rules_bridge import rules_catalog

bp = Blueprint("records", __name__, url_prefix="/records")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
@login_required
def _login_first():
    """Every record page needs a login; permissions per record are checked in each view."""


def _errors(findings) -> dict[str, str]:
    return errors_by_field(findings, FORM_ORDER)


def _form_page(record, values: dict, *, errors=None, report=None, conflict: str | None = None,
               status: int = 200, confirm: bool = False, attempted: bool = False, reasons=None):
    values = dict(values)
    errors = errors or {}
    if reasons is None:
        reasons = (record.warning_reasons if record is not None else None) or {}
    # After a submit attempt every finding shows; before it, only those about touched inputs.
    touched = filled_inputs(values) if record is not None else ""
    shown = None if attempted or report is None else set(touched.split(",")) | {"catalog_code"}
    code = values.get("catalog_code") or ""
    # A section with an error or a warning stays open: the officer may want to change it.
    flagged = {**{input_name(f["field"]): f for f in (report or {}).get("findings", ())}, **errors}
    context = dict(
        record=record, values=values, errors=errors, report=report,
        groups=group_findings(report["findings"], shown=shown, reasons=reasons,
                              anchor=lambda name: anchor_input(name, values)) if report else None,
        conflict=conflict, choices=CHOICES, catalog_items=queries.active_catalog_items(),
        catalog_item=queries.catalog_item(code), catalog_candidates=rules_catalog().resolve(code)[1], code=code,
        officer_inputs=officer_inputs(values.get("officers") or []),
        officer_names=queries.unit_officer_names(current_user.unit_id),
        unit_names=queries.unit_names(), sections=SECTIONS,
        open_section=lambda names: not section_complete(names, values, flagged),
        anchors={name: anchor_input(name, values) for name in errors},
        confirm=confirm, attempted=attempted or confirm, touched=touched, reason_inputs=True,
        warnings=[f for f in report["findings"] if f["severity"] == "warning"] if report else [],
    )
    response = current_app.make_response((render_template("records/form.html", **context), status))
    if record is not None and request.method == "POST":
        response.headers["HX-Push-Url"] = url_for("records.edit", record_id=record.id)
    return response


@bp.get("/new")
def new():
    policy.require(current_user, "create_record")
    return _form_page(None, new_form_values({"unit": current_user.unit.name,
                                             "officers": [current_user.display_name]}))


@bp.post("/new")
def create():
    policy.require(current_user, "create_record")
    return _save(None)


@bp.get("/<id:record_id>/edit")
def edit(record_id: int):
    record = policy.require(current_user, "edit", policy.visible_record(current_user, record_id))
    if record.status != "draft":
        flash(f"记录当前状态为“{record.status_label}”，不能修改。", "info")
        return redirect(url_for("records.view", record_id=record.id))
    report = record.last_report
    return _form_page(record, form_from_interchange(record.to_interchange()), report=report,
                      errors=_errors(report["findings"]) if report else None)


@bp.post("/<id:record_id>/edit")
def update(record_id: int):
    policy.require(current_user, "edit", policy.visible_record(current_user, record_id))
    return _save(record_id)


def _save(record_id: int | None):
    """Save the form (and submit it, for the 提交 button): one service call, one transaction."""
    raw, values = read_form(request.form, rules_catalog().resolve)
    reasons = warning_reasons(request.form)
    action = request.form.get("action")
    # 提交 with warnings first asks; 确认提交 (confirm_submit) is the answer.
    submit, confirmed = action in ("submit", "confirm_submit"), action == "confirm_submit"
    try:
        if record_id is None:
            record = svc.create_draft(current_user, raw, submit=submit, warning_reasons=reasons,
                                      confirmed=confirmed)
        else:
            # A form without a readable version cannot prove it saw the latest save: version 0
            # matches no record, so it is refused as stale instead of overwriting blindly.
            record = svc.update_draft(current_user, record_id, raw, form_version() or 0, submit=submit,
                                      warning_reasons=reasons, confirmed=confirmed)
    except svc.InvalidInput as exc:
        findings = [f.to_dict() for f in exc.findings]
        record = policy.visible_record(current_user, record_id) if record_id else None
        return _form_page(record, values, errors=_errors(findings), attempted=submit, reasons=reasons,
                          report={"outcome": "blocked", "findings": findings}, status=422)
    except svc.StaleVersion as exc:
        return _form_page(policy.visible_record(current_user, record_id), values, conflict=exc.message,
                          status=409, reasons=reasons)
    if not submit:
        flash("草稿已保存。", "success")
        return redirect(url_for("records.edit", record_id=record.id))
    report = record.draft_report
    if record.status == "draft" and report["outcome"] == "review":  # saved; asks to confirm
        return _form_page(record, values, report=report, confirm=True, reasons=reasons)
    if record.status == "draft":  # blocked: saved, not submitted
        return _form_page(record, values, errors=_errors(report["findings"]), report=report,
                          status=422, attempted=True, reasons=reasons)
    _flash_submitted(record, report)
    return redirect(url_for("records.view", record_id=record.id))


def _flash_submitted(record, report: dict) -> None:
    if record.status == "filed":
        flash(f"规则检查通过，已备案：{record.number}。", "success")
    else:
        warnings = sum(1 for f in report["findings"] if f["severity"] == "warning")
        if warnings:
            flash(f"已提交，有 {warnings} 项提示需政策法规科审查，状态：待审查。", "info")
        else:  # REVIEW_POLICY = "all"
            flash("规则检查通过，已提交政策法规科审查，状态：待审查。", "info")


@bp.post("/validate")
def validate():
    """Live findings while typing: only the panel is rendered; nothing is saved."""
    record_id = form_int(request.form.get("record_id"))
    if record_id is not None:
        policy.visible_record(current_user, record_id)
    report = svc.preview_report(record_from_form(request.form, rules_catalog().resolve), record_id).to_dict()
    groups = group_findings(report["findings"], shown=touched_inputs(request.form),
                            reasons=warning_reasons(request.form),
                            anchor=lambda name: anchor_input(name, request.form))
    return render_template("records/_findings.html", report=report, groups=groups, live=True,
                           reason_inputs=True)


@bp.get("/catalog-item")
def catalog_item_info():
    typed = request.args.get("catalog_code", "")[:200]
    code, candidates = rules_catalog().resolve(typed)
    return render_template("records/_catalog_item.html", catalog_item=queries.catalog_item(code),
                           code=typed, catalog_candidates=candidates)


@bp.post("/<id:record_id>/submit")
def submit(record_id: int):
    record = policy.require(current_user, "submit", policy.visible_record(current_user, record_id))
    try:
        result = svc.submit_record(current_user, record.id, form_version(),
                                   confirmed=request.form.get("confirm") == CHECKED)
    except svc.NeedsConfirmation:
        return record_page(record, confirm=True)
    except svc.Blocked as exc:
        report = exc.report.to_dict()
        record = policy.visible_record(current_user, record_id)
        return _form_page(record, form_from_interchange(record.to_interchange()), attempted=True,
                          errors=_errors(report["findings"]), report=report, status=422)
    except svc.Conflict as exc:
        return already_moved(record_id, exc)
    _flash_submitted(result.record, result.report.to_dict())
    return redirect(url_for("records.view", record_id=record_id))


@bp.get("/<id:record_id>")
def view(record_id: int):
    return record_page(policy.visible_record(current_user, record_id))


@bp.post("/<id:record_id>/close")
def close(record_id: int):
    values = {"result": request.form.get("result", ""), "effect": request.form.get("effect", "")}
    payload = {"result": values["result"] or None, "effect": values["effect"] or None}
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


def _confirmed(field: str, message: str):
    """The confirmation box of a destructive action (the same question with or without JS)."""
    if request.form.get(field) != "yes":
        raise DomainError(message)


@bp.post("/<id:record_id>/withdraw")
def withdraw(record_id: int):
    def call(record):
        _confirmed("withdraw_confirm", "请勾选“确认撤回”：撤回后记录回到草稿，需重新提交")
        return svc.withdraw_record(current_user, record.id, form_version())

    return perform_action(record_id, "withdraw", call, field="withdraw_confirm", values={},
                          success="已撤回，记录回到草稿：修改后可重新提交。")


@bp.post("/<id:record_id>/discard")
def discard(record_id: int):
    def call(record):
        _confirmed("discard_confirm", "请勾选“确认放弃”：放弃后草稿不再出现在列表和统计中")
        return svc.discard_record(current_user, record.id, form_version())

    return perform_action(record_id, "discard", call, field="discard_confirm", values={},
                          success=lambda record: f"已放弃草稿 #{record.id}：它不再出现在列表和统计中；"
                                                 "如需恢复，请联系管理员。",
                          next_url=url_for("records.mine"))


@bp.get("/mine")
def mine():
    policy.require(current_user, "create_record")
    status = request.args.get("status") or None
    if status not in vocab.STATUS:
        status = None
    page = queries.paginate(queries.unit_records(current_user.unit_id, status),
                            request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_page_or_partial("records/mine.html", "records/_table.html", page=page,
                                  status=status, counts=queries.unit_status_counts(current_user.unit_id),
                                  endpoint="records.mine")

