"""API v1 record calls: parse → the same permission check as the HTML view → service → answer."""
from __future__ import annotations

from datetime import datetime

import rules
from flask import current_app, request
from flask_login import current_user

from webapp.api import bp
from webapp.api import schemas as s
from webapp.api.bodies import (
    MAX_ID, BadRequest, decode_cursor, encode_cursor, int_arg, json_body, json_object, parse_body,
    take_version,
)
from webapp.api.present import answer, record_detail, record_summary
from webapp.auth.permissions import require, require_view, visible_records
from webapp.extensions import db
from webapp.models import GuidanceRecord, Unit
from webapp.models.record import SHANGHAI, STATUSES, TARGET_FIELDS
from webapp.services import records as svc

MAX_PAGE = 200


def _visible(record_id: int) -> GuidanceRecord:
    record = db.session.get(GuidanceRecord, record_id) if 0 < record_id <= MAX_ID else None
    return require_view(current_user, record)


def _detail(record_id: int, report=None):
    record = db.session.get(GuidanceRecord, record_id, populate_existing=True)
    return answer(s.RecordDetail, record_detail(current_user, record, report))


def record_object() -> dict:
    """A §3 record from the body; not a JSON object at all → 422 with the validator's finding."""
    body = json_body(required=True)
    if not isinstance(body, dict):
        findings = rules.evaluate(body, phase="close").findings
        raise svc.InvalidInput([f for f in findings if f.rule in svc.STRUCTURAL_RULES])
    return body


@bp.post("/validate")
def validate():
    phase = request.args.get("phase", "submit")
    if phase not in ("submit", "close"):
        raise BadRequest("参数 phase 应为 submit 或 close。")
    report = svc.preview_report(record_object(), phase=phase)
    return answer(s.Report, report.to_dict())


@bp.post("/records")
def create_record():
    require(current_user, "create_record")
    record = svc.create_draft(current_user, record_object())
    report = svc.preview_report(record.to_interchange(), record.id)
    return answer(s.RecordCreated, {"id": record.id, "status": record.status, "version": record.version,
                                    "report": report.to_dict()}, 201)


@bp.get("/records/<id:record_id>")
def get_record(record_id: int):
    record = _visible(record_id)
    return answer(s.RecordDetail, record_detail(current_user, record))


@bp.patch("/records/<id:record_id>")
def update_record(record_id: int):
    record = require(current_user, "edit", _visible(record_id))
    body = json_object(required=True)
    version = take_version(body, required=True)
    target = body.get("target")
    if isinstance(target, dict):  # replace the target whole: sub-keys not sent become empty
        body["target"] = {**{key: None for key in TARGET_FIELDS}, **target}
    svc.update_draft(current_user, record.id, body, version)
    return _detail(record.id)


@bp.post("/records/<id:record_id>/submit")
def submit_record(record_id: int):
    record = require(current_user, "submit", _visible(record_id))
    body = parse_body(s.SubmitBody, required=False)
    result = svc.submit_record(current_user, record.id, body.version)
    return _detail(record.id, result.report)


@bp.post("/records/<id:record_id>/approve")
def approve_record(record_id: int):
    record = require(current_user, "approve", _visible(record_id))
    body = parse_body(s.ApproveBody, required=False)
    result = svc.approve_record(current_user, record.id, body.comment, body.version)
    return _detail(record.id, result.report)


@bp.post("/records/<id:record_id>/return")
def return_record(record_id: int):
    record = require(current_user, "return", _visible(record_id))
    body = parse_body(s.ReturnBody, required=True)
    svc.return_record(current_user, record.id, body.comment, body.version)
    return _detail(record.id)


@bp.post("/records/<id:record_id>/close")
def close_record(record_id: int):
    record = require(current_user, "close", _visible(record_id))
    body = json_object(required=True)
    version = take_version(body, required=False)
    svc.close_record(current_user, record.id, body, version)  # result/effect: the close rules judge
    return _detail(record.id)


@bp.post("/records/<id:record_id>/void")
def void_record(record_id: int):
    record = require(current_user, "void", _visible(record_id))
    body = parse_body(s.VoidBody, required=True)
    svc.void_record(current_user, record.id, body.reason, body.version)
    return _detail(record.id)


@bp.get("/records")
def list_records():
    query = visible_records(current_user)
    status = request.args.get("status") or None
    if status is not None:
        if status not in STATUSES:
            raise BadRequest("参数 status 应为 " + "、".join(STATUSES) + " 之一。")
        query = query.where(GuidanceRecord.status == status)
    year = int_arg("year", low=2000, high=2999)
    if year is not None:
        start, end = (datetime(y, 1, 1, tzinfo=SHANGHAI) for y in (year, year + 1))
        query = query.where(GuidanceRecord.guided_at >= start, GuidanceRecord.guided_at < end)
    unit_id = int_arg("unit", low=1, high=MAX_ID)
    if unit_id is not None:
        if db.session.get(Unit, unit_id) is None:
            raise BadRequest("参数 unit 指定的单位不存在（应为单位编号）。")
        query = query.where(GuidanceRecord.owner_unit_id == unit_id)
    if request.args.get("after"):
        query = query.where(GuidanceRecord.id < decode_cursor(request.args["after"]))
    limit = int_arg("limit", low=1, high=MAX_PAGE) or current_app.config["PAGE_SIZE"]
    rows = db.session.scalars(query.order_by(GuidanceRecord.id.desc()).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return answer(s.RecordPage, {"items": [record_summary(r) for r in items], "next": next_cursor})
