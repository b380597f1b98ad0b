"""The guidance-record workflow (SPEC §5): draft → submit → review → filed → closed | voided.

Each public function is one transaction (write_transaction) and writes its audit event there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import rules
from sqlalchemy import select

from webapp.auth.permissions import RECORD_ACTIONS, require
from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import GuidanceRecord, ReviewDecision, User
from webapp.models.record import SHANGHAI
from webapp.models.types import utcnow
from webapp.services import Conflict, DomainError
from webapp.services.audit import diff, record_event
from webapp.services.documents import record_document_hash
from webapp.services.numbering import allocate_number
from webapp.services.rules_bridge import evaluate_record

STRUCTURAL_RULES = frozenset({"input.not-object", "input.unknown-key", "input.type"})
JSON_FIELDS = frozenset({"officers", "legal_basis", "admonition_conditions", "case", "project", "target"})
ACTION_LABELS = {"edit": "修改", "submit": "提交", "approve": "审查通过", "return": "退回",
                 "close": "办结", "void": "作废"}
MAX_COMMENT = 2000


class InvalidInput(DomainError):
    """The data cannot even be stored (wrong types, unknown keys): 422 with the findings."""

    status = 422

    def __init__(self, findings: list[rules.Finding]):
        super().__init__("记录内容格式有误，未保存：" + "；".join(f.message for f in findings[:3]))
        self.findings = findings


class Blocked(DomainError):
    """The rules found errors: the record stays as it was (422)."""

    status = 422

    def __init__(self, report: rules.Report):
        super().__init__("存在必须修改的问题，记录未提交：" + "；".join(f.message for f in report.errors[:3]))
        self.report = report


class StaleVersion(Conflict):
    def __init__(self, record: GuidanceRecord):
        who = record.updated_by.display_name if record.updated_by else record.created_by.display_name
        when = record.updated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        super().__init__(f"该记录已被 {who} 于 {when} 修改（当前版本 {record.version}），"
                         "您的修改未保存。请查看最新内容后重新修改。")
        self.current_version = record.version


@dataclass
class SubmitResult:
    record: GuidanceRecord
    report: rules.Report


def now_utc() -> datetime:
    return utcnow()


def typed_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """§3 values ready for the columns, for the keys present; InvalidInput if they cannot be stored."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(list(rules.evaluate(raw, phase="close").findings))
    report = rules.evaluate(dict(raw), phase="close")  # structure and type rules only need this phase
    structural = [f for f in report.findings if f.rule in STRUCTURAL_RULES]
    if structural:
        raise InvalidInput(structural)
    parsed = rules.parse_record(dict(raw)).record
    python, jsonish = parsed.model_dump(), parsed.model_dump(mode="json")
    values = {key: (jsonish if key in JSON_FIELDS else python)[key] for key in raw}
    if values.get("officers") is not None:
        values["officers"] = [name.strip() for name in values["officers"]]
    target = values.get("target")
    if target and target.get("id_number"):
        target["id_number"] = target["id_number"].strip().upper()
    return values


def _snapshot(record: GuidanceRecord) -> dict[str, Any]:
    return {**record.to_interchange(), "status": record.status, "number": record.number}


def _load(user: User, action: str, record_id: int) -> GuidanceRecord:
    """The record, fresh from the database inside the transaction; checks permission and state."""
    # FOR UPDATE: on PostgreSQL a second session waits here and then sees the new state/version
    # (SQLite needs no row lock: BEGIN IMMEDIATE already admits one writer at a time).
    record = db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.id == record_id)
                               .with_for_update().execution_options(populate_existing=True))
    require(user, action, record)
    allowed = RECORD_ACTIONS[action].statuses
    if allowed is not None and record.status not in allowed:
        raise Conflict(f"记录当前状态为“{record.status_label}”，不能{ACTION_LABELS[action]}。")
    return record


def _check_version(record: GuidanceRecord, expected: int | None) -> None:
    if expected is not None and expected != record.version:
        raise StaleVersion(record)


def _touch(record: GuidanceRecord, user: User) -> None:
    record.version += 1
    record.updated_at = now_utc()
    record.updated_by_id = user.id


def create_draft(user: User, raw: Mapping[str, Any]) -> GuidanceRecord:
    require(user, "create_record")
    values = typed_fields(raw)
    with write_transaction():
        record = GuidanceRecord(status="draft", version=1, owner_unit_id=user.unit_id,
                                created_by_id=user.id, updated_by_id=user.id,
                                officers=[], legal_basis=[])
        if not values.get("unit"):
            values["unit"] = user.unit.name
        record.apply_interchange(values)
        db.session.add(record)
        db.session.flush()
        record_event(entity="record", entity_id=record.id, action="create", user_id=user.id,
                     changes=diff({}, _snapshot(record)))
    return record


def update_draft(user: User, record_id: int, raw: Mapping[str, Any], version: int | None) -> GuidanceRecord:
    values = typed_fields(raw)
    with write_transaction():
        record = _load(user, "edit", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        record.apply_interchange(values)
        changes = diff(before, _snapshot(record))
        if changes:
            _touch(record, user)
            record_event(entity="record", entity_id=record.id, action="update", user_id=user.id,
                         changes=changes)
    return record


def preview_report(raw: Mapping[str, Any], record_id: int | None = None, phase: str = "submit") -> rules.Report:
    """Live findings while typing: nothing is saved."""
    return evaluate_record(raw, phase=phase, record_id=record_id)


def submit_record(user: User, record_id: int, version: int | None = None) -> SubmitResult:
    with write_transaction():
        record = _load(user, "submit", record_id)
        _check_version(record, version)
        report = evaluate_record(record.to_interchange(), record_id=record.id)
        if report.outcome == "blocked":
            raise Blocked(report)
        before = _snapshot(record)
        record.last_report = report.to_dict()
        record.ruleset_version = report.ruleset
        record.submitted_at = now_utc()
        _touch(record, user)
        if report.outcome == "review":
            record.status = "pending_review"
            record_event(entity="record", entity_id=record.id, action="submit", user_id=user.id,
                         changes=diff(before, _snapshot(record)),
                         note=f"{len(report.warnings)} 项提示，送政策法规科审查")
        else:
            record_event(entity="record", entity_id=record.id, action="submit", user_id=user.id,
                         changes={}, note="规则检查通过，直接备案")
            _file(record, user, report, before)
    if record.status == "filed":
        record_document_hash(record.id, user.id)
    return SubmitResult(record, report)


def _file(record: GuidanceRecord, user: User, report: rules.Report, before: dict) -> None:
    from flask import current_app

    filed_at = now_utc()
    year = filed_at.astimezone(SHANGHAI).year
    seq = allocate_number(year)
    record.number_year, record.number_seq = year, seq
    record.number = f"{current_app.config['DOCUMENT_NUMBER_PREFIX']}〔{year}〕{seq}号"
    record.status = "filed"
    record.filed_at = filed_at
    record.filed_report = report.to_dict()
    record.last_report = report.to_dict()
    record.ruleset_version = report.ruleset
    record_event(entity="record", entity_id=record.id, action="file", user_id=user.id,
                 changes=diff(before, _snapshot(record)), note=record.number)


def approve_record(user: User, record_id: int, comment: str = "", version: int | None = None) -> SubmitResult:
    comment = _comment(comment, required=False)
    with write_transaction():
        record = _load(user, "approve", record_id)
        _check_version(record, version)
        report = evaluate_record(record.to_interchange(), record_id=record.id)
        if report.outcome == "blocked":  # e.g. the catalog item was retired meanwhile
            raise Blocked(report)
        before = _snapshot(record)
        db.session.add(ReviewDecision(record_id=record.id, reviewer_id=user.id, decision="approve",
                                      comment=comment or None, report=record.last_report))
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="approve", user_id=user.id,
                     note=comment or None)
        _file(record, user, report, before)
    record_document_hash(record.id, user.id)
    return SubmitResult(record, report)


def return_record(user: User, record_id: int, comment: str, version: int | None = None) -> GuidanceRecord:
    comment = _comment(comment, required=True)
    with write_transaction():
        record = _load(user, "return", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        db.session.add(ReviewDecision(record_id=record.id, reviewer_id=user.id, decision="return",
                                      comment=comment, report=record.last_report))
        record.status = "draft"
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="return", user_id=user.id,
                     changes=diff(before, _snapshot(record)), note=comment)
    return record


def close_record(user: User, record_id: int, raw: Mapping[str, Any], version: int | None = None) -> GuidanceRecord:
    unknown = set(raw) - {"result", "effect"}
    if unknown:
        raise DomainError(f"办结只能填写指导结果和效益效果，不接受：{'、'.join(sorted(unknown))}")
    report = rules.evaluate(dict(raw), phase="close")
    if report.outcome == "blocked":
        raise Blocked(report)
    values = typed_fields(raw)
    with write_transaction():
        record = _load(user, "close", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        record.result, record.effect = values.get("result"), values.get("effect")
        record.status = "closed"
        record.closed_at = now_utc()
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="close", user_id=user.id,
                     changes=diff(before, _snapshot(record)))
    return record


def void_record(user: User, record_id: int, reason: str, version: int | None = None) -> GuidanceRecord:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写作废理由")
    if len(reason) > MAX_COMMENT:
        raise DomainError(f"作废理由不能超过 {MAX_COMMENT} 个字符")
    with write_transaction():
        record = _load(user, "void", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        record.status = "voided"
        record.voided_at = now_utc()
        record.void_reason = reason
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="void", user_id=user.id,
                     changes=diff(before, _snapshot(record)), note=reason)
    return record


def _comment(comment: str | None, *, required: bool) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise DomainError("退回时请填写审查意见，说明需要修改的内容")
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"审查意见不能超过 {MAX_COMMENT} 个字符")
    return comment


