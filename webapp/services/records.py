"""The guidance-record workflow (SPEC §5): draft → submit → review → filed → closed | voided.

Each public function is one write transaction (it opens one, or joins the caller's) and writes
its audit event there. Submitted data is read once (rules.read_record) and evaluated once; a
stored record is evaluated from its columns, never re-serialised and parsed again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import rules
from rules import vocabulary as vocab
from rules.limits import MAX_DEPTH, RECORD_MAX_CHARS, depth_exceeds, record_chars
from rules.model import SHANGHAI

from webapp.db_setup import write_transaction
from webapp.extensions import db, settings
from webapp.models import GuidanceRecord, ReviewDecision, User
from webapp.models.types import utcnow
from webapp.services import Conflict, DomainError
from webapp.services.audit import diff, record_event
from webapp.services.documents import store_document_versions
from webapp.services.numbering import allocate_number
from webapp.services.policy import RECORD_ACTIONS, require, visible_record
from webapp.services.rules_bridge import evaluate_reading, evaluate_stored

JSON_FIELDS = frozenset({"officers", "legal_basis", "admonition_conditions", "case", "project", "target"})
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
    """A record after a save or a workflow step, with the one report computed on the way."""

    record: GuidanceRecord
    report: rules.Report

    @property
    def blocked(self) -> bool:
        return self.report.outcome == "blocked"


def now_utc() -> datetime:
    return utcnow()


class RecordTooLarge(DomainError):
    status = 413


def read_input(raw: Any) -> rules.Reading:
    """The one parse of submitted data; InvalidInput if it cannot be stored at all."""
    if depth_exceeds(raw):
        raise DomainError(f"记录内容嵌套过深：对象和列表最多嵌套 {MAX_DEPTH} 层，未保存。")
    reading = rules.read_record(raw)
    if reading.structural:  # over-long fields are named here, each at its place in a form
        raise InvalidInput(list(reading.structural))
    size = record_chars(raw)  # the whole-record backstop, reached only by fields within their limits
    if size > RECORD_MAX_CHARS:
        raise RecordTooLarge(f"记录内容过大（{size} 字符，上限 {RECORD_MAX_CHARS}），未保存：请精简后重新提交。")
    return reading


def _column_values(reading: rules.Reading) -> dict[str, Any]:
    """Values for the columns: dates as date/datetime, nested parts as JSON-ready dicts."""
    keys = reading.present
    python, jsonish = reading.values(keys), reading.values(keys, mode="json")
    return {key: (jsonish if key in JSON_FIELDS else python)[key] for key in keys}


def _snapshot(record: GuidanceRecord) -> dict[str, Any]:
    return {**record.to_interchange(), "status": record.status, "number": record.number}


def _load(user: User, action: str, record_id: int) -> GuidanceRecord:
    """The record, fresh and locked inside the transaction; checks permission and state."""
    record = visible_record(user, record_id, lock=True)
    require(user, action, record)
    allowed = RECORD_ACTIONS[action].statuses
    if allowed is not None and record.status not in allowed:
        raise Conflict(f"记录当前状态为“{record.status_label}”，不能{vocab.ACTIONS[action]}。")
    return record


def _check_version(record: GuidanceRecord, expected: int | None) -> None:
    if expected is not None and expected != record.version:
        raise StaleVersion(record)


def _touch(record: GuidanceRecord, user: User) -> None:
    record.version += 1
    record.updated_at = now_utc()
    record.updated_by_id = user.id


# --- drafts ------------------------------------------------------------------------------------


def create_draft(user: User, raw: Mapping[str, Any], *, submit: bool = False) -> GuidanceRecord:
    """A new draft from §3 data; with submit=True it is submitted in the same transaction.

    The one evaluation of the saved draft is kept in `draft_report` (blocked: still a draft)."""
    require(user, "create_record")
    reading = read_input(raw)
    with write_transaction():
        record = GuidanceRecord(status="draft", version=1, owner_unit_id=user.unit_id,
                                created_by_id=user.id, updated_by_id=user.id,
                                officers=[], legal_basis=[])
        values = _column_values(reading)
        if not values.get("unit"):
            values["unit"] = user.unit.name
        record.apply_interchange(values)
        db.session.add(record)
        db.session.flush()
        record_event(entity="record", entity_id=record.id, action="create", user_id=user.id,
                     changes=diff({}, _snapshot(record)))
        _evaluated_draft(user, record, submit=submit)
    _store_issued(record, user)
    return record


def update_draft(user: User, record_id: int, raw: Mapping[str, Any], version: int | None,
                 *, submit: bool = False) -> GuidanceRecord:
    """Change a draft (keys present replace the stored values); optionally submit it too."""
    reading = read_input(raw)
    with write_transaction():
        record = _load(user, "edit", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        record.apply_interchange(_column_values(reading))
        changes = diff(before, _snapshot(record))
        if changes:
            _touch(record, user)
            record_event(entity="record", entity_id=record.id, action="update", user_id=user.id,
                         changes=changes)
        _evaluated_draft(user, record, submit=submit)
    _store_issued(record, user)
    return record


def _evaluated_draft(user: User, record: GuidanceRecord, *, submit: bool) -> rules.Report:
    """The saved draft's one evaluation: stored for reading back, and the submit decision."""
    report = evaluate_stored(record)
    record.draft_report = report.to_dict()
    if submit and report.outcome != "blocked":
        require(user, "submit", record)
        _submit(user, record, report)
    return report


def preview_report(raw: Any, record_id: int | None = None, phase: str = "submit") -> rules.Report:
    """Live findings while typing: nothing is saved."""
    return evaluate_reading(rules.read_record(raw), phase=phase, record_id=record_id)


# --- workflow ----------------------------------------------------------------------------------


def submit_record(user: User, record_id: int, version: int | None = None) -> SubmitResult:
    with write_transaction():
        record = _load(user, "submit", record_id)
        _check_version(record, version)
        report = evaluate_stored(record)
        if report.outcome == "blocked":
            raise Blocked(report)
        _submit(user, record, report)
    _store_issued(record, user)
    return SubmitResult(record, report)


def _submit(user: User, record: GuidanceRecord, report: rules.Report) -> None:
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


def _file(record: GuidanceRecord, user: User, report: rules.Report, before: dict) -> None:
    filed_at = now_utc()
    year = filed_at.astimezone(SHANGHAI).year
    seq = allocate_number(year)
    record.number_year, record.number_seq = year, seq
    record.number = f"{settings['DOCUMENT_NUMBER_PREFIX']}〔{year}〕{seq}号"
    record.status = "filed"
    record.filed_at = filed_at
    record.filed_report = report.to_dict()
    record.last_report = report.to_dict()
    record.ruleset_version = report.ruleset
    record_event(entity="record", entity_id=record.id, action="file", user_id=user.id,
                 changes=diff(before, _snapshot(record)), note=record.number)


def _store_issued(record: GuidanceRecord, user: User) -> None:
    """The documents a filing, closing or voiding issues are stored in their own step, after the
    state change committed (idempotent: a failed step is completed on the next touch)."""
    if record.status in ("filed", "closed", "voided"):
        store_document_versions(record.id, user.id)


def approve_record(user: User, record_id: int, comment: str = "", version: int | None = None) -> SubmitResult:
    comment = _comment(comment, required=False)
    with write_transaction():
        record = _load(user, "approve", record_id)
        _check_version(record, version)
        report = evaluate_stored(record)
        if report.outcome == "blocked":  # e.g. the catalog item was retired meanwhile
            raise Blocked(report)
        before = _snapshot(record)
        db.session.add(ReviewDecision(record_id=record.id, reviewer_id=user.id, decision="approve",
                                      comment=comment or None, report=record.last_report,
                                      submitted_at=record.submitted_at))
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="approve", user_id=user.id,
                     note=comment or None)
        _file(record, user, report, before)
    _store_issued(record, user)
    return SubmitResult(record, report)


def return_record(user: User, record_id: int, comment: str, version: int | None = None) -> GuidanceRecord:
    comment = _comment(comment, required=True)
    with write_transaction():
        record = _load(user, "return", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        db.session.add(ReviewDecision(record_id=record.id, reviewer_id=user.id, decision="return",
                                      comment=comment, report=record.last_report,
                                      submitted_at=record.submitted_at))
        record.status = "draft"
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="return", user_id=user.id,
                     changes=diff(before, _snapshot(record)), note=comment)
    return record


CLOSE_FIELDS = frozenset({"result", "effect"})


def close_record(user: User, record_id: int, raw: Mapping[str, Any], version: int | None = None) -> GuidanceRecord:
    unknown = set(raw) - CLOSE_FIELDS
    if unknown:
        raise DomainError(f"办结只能填写{vocab.FIELD_LABELS['result']}和{vocab.FIELD_LABELS['effect']}，"
                          f"不接受：{'、'.join(sorted(map(str, unknown)))}")
    reading = rules.read_record(dict(raw))
    report = rules.evaluate(reading, phase="close")  # the close rules judge only what is sent
    if reading.structural:
        raise InvalidInput(list(reading.structural))
    if report.outcome == "blocked":
        raise Blocked(report)
    values = reading.values(CLOSE_FIELDS)
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
    _store_issued(record, user)
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
    _store_issued(record, user)
    return record


def mark_good_practice(user: User, record_id: int, reason: str, *, mark: bool = True) -> GuidanceRecord:
    """典型经验: a reviewer marks (or unmarks) a filed or closed record, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写标记（或取消）典型经验的理由")
    if len(reason) > MAX_COMMENT:
        raise DomainError(f"理由不能超过 {MAX_COMMENT} 个字符")
    with write_transaction():
        record = _load(user, "mark_good_practice", record_id)
        if record.good_practice == mark:
            raise Conflict("该记录已是典型经验。" if mark else "该记录不是典型经验，无需取消。")
        record.good_practice = mark
        record.good_practice_reason = reason if mark else None
        record.good_practice_at = now_utc() if mark else None
        record_event(entity="record", entity_id=record.id, action="good_practice" if mark else "good_practice_removed",
                     user_id=user.id, changes={"good_practice": {"before": not mark, "after": mark}}, note=reason)
    return record


def _comment(comment: str | None, *, required: bool) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise DomainError("退回时请填写审查意见，说明需要修改的内容")
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"审查意见不能超过 {MAX_COMMENT} 个字符")
    return comment
