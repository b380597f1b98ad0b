"""API v1 record calls: parse → the same permission check as the HTML view → service → answer."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from webapp.api import bp
from webapp.api import schemas as s
from webapp.api.bodies import BadRequest, int_arg, json_body, json_object, parse_body, take_version
from webapp.api.present import answer, attachment_created, record_detail, record_summary
from webapp.models import GuidanceRecord
from webapp.models.record import TARGET_FIELDS
from webapp.services import policy, queries
from webapp.services.register_filter import decode_cursor, encode_cursor, parse_filter, with_sort
from webapp.services import attachments
from webapp.services import records as svc
from webapp.uploads import read_upload

MAX_PAGE = 200


def _visible(record_id: int) -> GuidanceRecord:
    return policy.visible_record(current_user, record_id)


def _detail(record_id: int, report=None):
    record = queries.fresh_record(record_id)
    return answer(s.RecordDetail, record_detail(current_user, record, report))


def record_object() -> dict:
    """A §3 record from the body; not a JSON object at all → 422 with the validator's finding."""
    body = json_body(required=True)
    if not isinstance(body, dict):
        svc.read_input(body)  # raises InvalidInput with the validator's own finding
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
    policy.require(current_user, "create_record")
    record = svc.create_draft(current_user, record_object())
    return answer(s.RecordCreated, {"id": record.id, "status": record.status, "version": record.version,
                                    "report": record.draft_report}, 201)


@bp.get("/records/<id:record_id>")
def get_record(record_id: int):
    record = _visible(record_id)
    return answer(s.RecordDetail, record_detail(current_user, record))


@bp.patch("/records/<id:record_id>")
def update_record(record_id: int):
    record = policy.require(current_user, "edit", _visible(record_id))
    body = json_object(required=True)
    version = take_version(body, required=True)
    target = body.get("target")
    if isinstance(target, dict):  # replace the target whole: sub-keys not sent become empty
        body["target"] = {**{key: None for key in TARGET_FIELDS}, **target}
    record = svc.update_draft(current_user, record.id, body, version)
    return _detail(record.id, record.draft_report)


@bp.post("/records/<id:record_id>/submit")
def submit_record(record_id: int):
    record = policy.require(current_user, "submit", _visible(record_id))
    body = parse_body(s.SubmitBody, required=False)
    result = svc.submit_record(current_user, record.id, body.version)
    return _detail(record.id, result.report)


@bp.post("/records/<id:record_id>/approve")
def approve_record(record_id: int):
    record = policy.require(current_user, "approve", _visible(record_id))
    body = parse_body(s.ApproveBody, required=False)
    result = svc.approve_record(current_user, record.id, body.comment, body.version)
    return _detail(record.id, result.report)


@bp.post("/records/<id:record_id>/return")
def return_record(record_id: int):
    record = policy.require(current_user, "return", _visible(record_id))
    body = parse_body(s.ReturnBody, required=True)
    svc.return_record(current_user, record.id, body.comment, body.version)
    return _detail(record.id)


@bp.post("/records/<id:record_id>/close")
def close_record(record_id: int):
    record = policy.require(current_user, "close", _visible(record_id))
    body = json_object(required=True)
    version = take_version(body, required=False)
    svc.close_record(current_user, record.id, body, version)  # result/effect: the close rules judge
    return _detail(record.id)


@bp.post("/records/<id:record_id>/void")
def void_record(record_id: int):
    record = policy.require(current_user, "void", _visible(record_id))
    body = parse_body(s.VoidBody, required=True)
    svc.void_record(current_user, record.id, body.reason, body.version)
    return _detail(record.id)


@bp.post("/records/<id:record_id>/withdraw")
def withdraw_record(record_id: int):
    record = policy.require(current_user, "withdraw", _visible(record_id))
    body = parse_body(s.SubmitBody, required=False)
    svc.withdraw_record(current_user, record.id, body.version)
    return _detail(record.id)


@bp.post("/records/<id:record_id>/discard")
def discard_record(record_id: int):
    record = policy.require(current_user, "discard", _visible(record_id))
    body = parse_body(s.SubmitBody, required=False)
    svc.discard_record(current_user, record.id, body.version)
    return _detail(record.id)  # the last the caller sees of it: status "discarded"


@bp.get("/records")
def list_records():
    """The register's rows as JSON: the same filters as /register, keyset pages."""
    flt, errors = parse_filter(request.args, units=queries.unit_ids())
    if "sort" not in request.args:
        flt = with_sort(flt, "-id")  # SPEC §8: newest registrations first unless asked otherwise
    if errors:
        name, message = next(iter(errors.items()))
        raise BadRequest(f"参数 {name} 无效：{message}。")
    after = None
    if request.args.get("after"):
        after = decode_cursor(flt.sort, request.args["after"])
        if after is None:
            raise BadRequest("参数 after（分页游标）无效：请使用上一页返回的 next 值（排序方式须相同）。")
    limit = int_arg("limit", low=1, high=MAX_PAGE) or current_app.config["PAGE_SIZE"]
    items, next_values = queries.register_page(current_user, flt, after=after, limit=limit)
    next_cursor = encode_cursor(flt.sort, next_values) if next_values else None
    return answer(s.RecordPage, {"items": [record_summary(r) for r in items], "next": next_cursor})


@bp.post("/records/<id:record_id>/attachments")
def upload_attachment(record_id: int):
    """multipart: `file` and an optional `label`; the same bytes again answer 200 with the one stored."""
    record = policy.require(current_user, "attach", _visible(record_id))
    data, name, label = read_upload()
    added = attachments.add_attachment(current_user, record.id, data, name, label)
    return answer(s.AttachmentCreated, attachment_created(added.attachment), 201 if added.created else 200)
