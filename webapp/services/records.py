"""The guidance-record workflow (SPEC §5): draft → submit → review → filed → closed | voided.

Each public function is one write transaction (it opens one, or joins the caller's) and writes
its audit event there. Submitted data is read once (rules.read_record) and evaluated once; a
stored record is evaluated from its columns, never re-serialised and parsed again.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import rules
from rules import vocabulary as vocab
from rules.limits import MAX_DEPTH, RECORD_MAX_CHARS, depth_exceeds, record_chars
from rules.model import SHANGHAI
from sqlalchemy import select

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import GuidanceRecord, ReviewDecision, User
from webapp.models.types import utcnow
from webapp.services import Conflict, DomainError, NotFound, catalog_versions, spot_checks
from webapp.services.audit import diff, record_event
from webapp.services.documents import Prerendered, prerender_filing, store_issued_versions
from webapp.services.numbering import allocate_number, document_number
from webapp.services.policy import DISCARDED, MAX_ID, RECORD_ACTIONS, require, visible_record
from webapp.services.rules_bridge import evaluate_reading, evaluate_stored

log = logging.getLogger(__name__)
JSON_FIELDS = frozenset({"officers", "legal_basis", "admonition_conditions", "case", "project", "target"})
MAX_COMMENT = 2000
MAX_REASON = 500


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
        when = record.updated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        super().__init__(f"该记录已被 {who} 于 {when} 修改（当前版本 {record.version}），"
                         "您的修改未保存。请查看最新内容后重新修改。")
        self.current_version = record.version


class NeedsConfirmation(DomainError):
    """Submitting with warnings sends the record to review: the officer confirms that first."""

    status = 409

    def __init__(self, report: rules.Report):
        super().__init__(f"有 {len(report.warnings)} 项警告，将提交政策法规科审查，请确认后再提交。")
        self.report = report


def warning_key(rule: str, field: str) -> str:
    """The key a warning's 说明理由 is stored under: the rule and the field it is about."""
    return f"{rule}|{field}"


def kept_reasons(report: rules.Report, reasons: Mapping[str, str]) -> dict[str, str]:
    """The reasons given for warnings the report still has (trimmed, blank ones dropped)."""
    current = {warning_key(f.rule, f.field) for f in report.warnings}
    kept = {}
    for key, text in reasons.items():
        text = (text or "").strip()
        if key in current and text:
            if len(text) > MAX_REASON:
                raise DomainError(f"说明理由不能超过 {MAX_REASON} 个字")
            kept[key] = text
    return kept


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


def create_draft(user: User, raw: Mapping[str, Any], *, submit: bool = False,
                 warning_reasons: Mapping[str, str] | None = None, confirmed: bool = True) -> GuidanceRecord:
    """A new draft from §3 data; with submit=True it is submitted in the same transaction.

    The one evaluation of the saved draft is kept in `draft_report` (blocked: still a draft).
    With confirmed=False a draft with warnings stays a draft (the form asks for confirmation)."""
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
        _evaluated_draft(user, record, submit=submit, reasons=warning_reasons, confirmed=confirmed)
        _store_issued(record, user)
    return record


def update_draft(user: User, record_id: int, raw: Mapping[str, Any], version: int | None,
                 *, submit: bool = False, warning_reasons: Mapping[str, str] | None = None,
                 confirmed: bool = True) -> GuidanceRecord:
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
        _evaluated_draft(user, record, submit=submit, reasons=warning_reasons, confirmed=confirmed)
        _store_issued(record, user)
    return record


def _evaluated_draft(user: User, record: GuidanceRecord, *, submit: bool,
                     reasons: Mapping[str, str] | None = None, confirmed: bool = True) -> rules.Report:
    """The saved draft's one evaluation: stored for reading back, and the submit decision."""
    report = evaluate_stored(record)
    record.draft_report = report.to_dict()
    if reasons is not None:
        record.warning_reasons = kept_reasons(report, reasons) or None
    if submit and report.outcome == "review" and not confirmed:
        return report
    if submit and report.outcome != "blocked":
        require(user, "submit", record)
        _submit(user, record, report)
    return report


def preview_report(raw: Any, record_id: int | None = None, phase: str = "submit") -> rules.Report:
    """Live findings while typing: nothing is saved."""
    return evaluate_reading(rules.read_record(raw), phase=phase, record_id=record_id)


# --- workflow ----------------------------------------------------------------------------------


def submit_record(user: User, record_id: int, version: int | None = None, *,
                  confirmed: bool = True) -> SubmitResult:
    prerendered = _prerendered(user, "submit", record_id)
    with write_transaction():
        record = _load(user, "submit", record_id)
        _check_version(record, version)
        report = evaluate_stored(record)
        if report.outcome == "blocked":
            raise Blocked(report)
        if report.outcome == "review" and not confirmed:
            raise NeedsConfirmation(report)
        _submit(user, record, report, prerendered)
        _store_issued(record, user, prerendered)
    return SubmitResult(record, report)


# When this process last guessed a number wrong: filings are racing, so drawing ahead would only
# double the drawing; for a while each filing draws its documents under the lock, once.
_RACING_FOR_S = 10.0
_guess_missed_at = -_RACING_FOR_S


def _prerendered(user: User, action: str, record_id: int) -> Prerendered | None:
    """Before the lock, the documents a filing would issue (a guess the transaction checks);
    None when the record will not be filed now or anything fails (the transaction will tell)."""
    if time.monotonic() - _guess_missed_at < _RACING_FOR_S:
        return None
    try:
        record = require(user, action, visible_record(user, record_id))
        if record.status not in RECORD_ACTIONS[action].statuses:
            return None
        if action == "submit" and (record.draft_report or {}).get("outcome") != "clean":
            return None  # the saved draft's report: the transaction evaluates once, for real
        return prerender_filing(record)
    except Exception:  # the transaction repeats every step and reports what is wrong
        log.debug("no documents drawn ahead for record %s", record_id, exc_info=True)
        return None


def _submit(user: User, record: GuidanceRecord, report: rules.Report,
            prerendered: Prerendered | None = None) -> None:
    before = _snapshot(record)
    record.last_report = report.to_dict()
    record.ruleset_version = report.ruleset
    record.catalog_version = catalog_versions.current_number()
    record.submitted_at = now_utc()
    _touch(record, user)
    if report.outcome == "review" or spot_checks.reviews_everything():
        record.status = "pending_review"
        note = (f"{len(report.warnings)} 项提示，送政策法规科审查" if report.outcome == "review"
                else "规则检查通过；按审查制度（全部审查），送政策法规科审查")
        record_event(entity="record", entity_id=record.id, action="submit", user_id=user.id,
                     changes=diff(before, _snapshot(record)), note=note)
    else:
        record_event(entity="record", entity_id=record.id, action="submit", user_id=user.id,
                     changes={}, note="规则检查通过，直接备案")
        _file(record, user, report, before, prerendered)
        spot_checks.draw_for_filing(record, user)


def _file(record: GuidanceRecord, user: User, report: rules.Report, before: dict,
          prerendered: Prerendered | None = None) -> None:
    filed_at = now_utc()
    year = filed_at.astimezone(SHANGHAI).year
    seq = allocate_number(year, record_id=record.id)
    if prerendered and (prerendered.number_year, prerendered.number_seq) == (year, seq):
        filed_at = record.updated_at = prerendered.at  # the moment the documents drawn ahead print
    elif prerendered:
        global _guess_missed_at
        _guess_missed_at = time.monotonic()
    record.number_year, record.number_seq = year, seq
    record.number = document_number(year, seq)
    record.status = "filed"
    record.filed_at = filed_at
    record.filed_report = report.to_dict()
    record.last_report = report.to_dict()
    record.ruleset_version = report.ruleset
    record.catalog_version = catalog_versions.current_number()  # the version this filing was checked against
    record_event(entity="record", entity_id=record.id, action="file", user_id=user.id,
                 changes=diff(before, _snapshot(record)), note=record.number)


def _store_issued(record: GuidanceRecord, user: User, prerendered: Prerendered | None = None) -> None:
    """The documents a filing, closing or voiding issues, stored in the same transaction as the
    state change: the number, status, audit event and documents commit together or not at all."""
    if record.status in ("filed", "closed", "voided"):
        store_issued_versions(record, user.id, prerendered)


def approve_record(user: User, record_id: int, comment: str = "", version: int | None = None) -> SubmitResult:
    comment = _comment(comment, required=False)
    prerendered = _prerendered(user, "approve", record_id)
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
        _file(record, user, report, before, prerendered)
        _store_issued(record, user, prerendered)
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


# --- withdraw, discard, restore ----------------------------------------------------------------


def withdraw_record(user: User, record_id: int, version: int | None = None) -> GuidanceRecord:
    """撤回: the creator takes a submission back to draft before any reviewer has decided."""
    with write_transaction():
        record = _load(user, "withdraw", record_id)
        _check_version(record, version)
        before = _snapshot(record)
        record.status = "draft"
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="withdraw", user_id=user.id,
                     changes=diff(before, _snapshot(record)), note="审查前撤回，退回草稿")
    return record


def discard_record(user: User, record_id: int, version: int | None = None) -> GuidanceRecord:
    """放弃草稿: a draft that never had a number leaves every list and count; the row and its
    audit trail stay, and an admin can restore it."""
    with write_transaction():
        record = _load(user, "discard", record_id)
        if record.number is not None:  # a numbered record is voided (作废), never discarded
            raise Conflict("已编号的记录不能放弃，只能作废。")
        _check_version(record, version)
        before = _snapshot(record)
        record.status = DISCARDED
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="discard", user_id=user.id,
                     changes=diff(before, _snapshot(record)))
    return record


def restore_record(user: User, record_id: int) -> GuidanceRecord:
    """An admin brings a discarded draft back (to its unit's drafts)."""
    require(user, "restore_discarded")
    with write_transaction():
        record = db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.id == record_id)
                                   .with_for_update().execution_options(populate_existing=True)) \
            if 0 < record_id <= MAX_ID else None
        if record is None or record.status != DISCARDED:
            raise NotFound("没有这份已放弃的草稿（可能已被恢复）")
        before = _snapshot(record)
        record.status = "draft"
        _touch(record, user)
        record_event(entity="record", entity_id=record.id, action="restore", user_id=user.id,
                     changes=diff(before, _snapshot(record)))
    return record
