"""Who reviews what (issue 12.3): REVIEW_POLICY, the reproducible 抽查 draw and its conclusions.

Under "flagged" every record filed without legal review is drawn into the 抽查 queue with
probability SPOT_CHECK_RATE. The draw is HMAC(seed, record id) read as a uniform number in
[0, 1): the same seed and id always give the same answer, so an auditor can replay it.
"""
from __future__ import annotations

import hashlib
import hmac

from rules import vocabulary as vocab
from sqlalchemy import case, func, select

from webapp.db_setup import write_transaction
from webapp.extensions import db, settings
from webapp.models import GuidanceRecord, SpotCheck, User
from webapp.models.types import utcnow
from webapp.services import Conflict, DomainError, NotFound
from webapp.services.audit import record_event
from webapp.services.policy import MAX_ID, require

MAX_NOTE = 2000


class InvalidConclusion(DomainError):
    """A conclusion the form must show again, with the message at `field` (result | note)."""

    status = 422

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
_SCALE = float(2**64)


def draw_value(seed: str | bytes, record_id: int) -> float:
    """The record's uniform number in [0, 1) for this seed."""
    key = seed.encode() if isinstance(seed, str) else seed
    digest = hmac.new(key, f"spot-check:{record_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def is_drawn(seed: str | bytes, record_id: int, rate: float) -> bool:
    return draw_value(seed, record_id) < rate


def review_policy() -> str:
    return settings["REVIEW_POLICY"]


def reviews_everything() -> bool:
    return review_policy() == "all"


def _seed() -> str:
    return settings.get("SPOT_CHECK_SEED") or settings["SECRET_KEY"]


def draw_for_filing(record: GuidanceRecord, user: User) -> SpotCheck | None:
    """Inside the filing's transaction: draw a record filed without review; audit a hit."""
    if reviews_everything():
        return None
    rate = float(settings["SPOT_CHECK_RATE"])
    value = draw_value(_seed(), record.id)
    if value >= rate:
        return None
    check = SpotCheck(record_id=record.id, drawn_at=utcnow(), draw_value=value, rate=rate)
    db.session.add(check)
    record_event(entity="record", entity_id=record.id, action="spot_check_draw", user_id=user.id,
                 changes={"spot_check": {"before": None, "after": "drawn"}},
                 note=f"随机数 {value:.4f} 小于抽查比例 {rate:.0%}，列入抽查")
    return check


def conclude_spot_check(user: User, spot_check_id: int, result: str, note: str) -> SpotCheck:
    """A reviewer marks a drawn record 无误 or 有问题 (a note is required for 有问题); audited."""
    require(user, "spot_check")
    note = (note or "").strip()
    if result not in vocab.SPOT_CHECK_RESULT:
        raise InvalidConclusion("result", "请选择抽查结论：" + "或".join(vocab.SPOT_CHECK_RESULT.values()))
    if result == "problem" and not note:
        raise InvalidConclusion("note", f"结论为“{vocab.SPOT_CHECK_RESULT['problem']}”时请填写说明，写明发现的问题")
    if len(note) > MAX_NOTE:
        raise InvalidConclusion("note", f"说明不能超过 {MAX_NOTE} 个字符")
    with write_transaction():
        check = None
        if isinstance(spot_check_id, int) and 0 < spot_check_id <= MAX_ID:
            check = db.session.scalar(select(SpotCheck).where(SpotCheck.id == spot_check_id)
                                      .with_for_update().execution_options(populate_existing=True))
        if check is None:
            raise NotFound("该抽查不存在")
        if check.result is not None:
            who = check.checked_by.display_name if check.checked_by else ""
            raise Conflict(f"该记录已由 {who} 作出抽查结论（{vocab.SPOT_CHECK_RESULT[check.result]}），无需重复。")
        check.result, check.note = result, note or None
        check.checked_by_id, check.checked_at = user.id, utcnow()
        record_event(entity="record", entity_id=check.record_id, action="spot_check", user_id=user.id,
                     changes={"spot_check": {"before": "drawn", "after": result}}, note=note or None)
    return check


# --- reads: the queue page, the record's check, the year's figures ----------------------------------


def waiting_checks() -> list[SpotCheck]:
    return db.session.scalars(select(SpotCheck).where(SpotCheck.result.is_(None))
                              .order_by(SpotCheck.drawn_at, SpotCheck.id)).all()


def concluded_checks(limit: int = 20) -> list[SpotCheck]:
    return db.session.scalars(select(SpotCheck).where(SpotCheck.result.is_not(None))
                              .order_by(SpotCheck.checked_at.desc(), SpotCheck.id.desc()).limit(limit)).all()


def spot_check(spot_check_id: int) -> SpotCheck | None:
    return db.session.get(SpotCheck, spot_check_id) if 0 < spot_check_id <= MAX_ID else None


def year_figures(scope_conditions) -> dict[str, int] | None:
    """抽取 / 已抽查 / 无误 / 有问题 for the records matching `scope_conditions` (a year, a unit);
    None when nothing was drawn (the statistics then leave the section out)."""
    drawn, checked, clean, problem = db.session.execute(
        select(func.count(), func.count(SpotCheck.result),
               func.count(case((SpotCheck.result == "clean", 1))),
               func.count(case((SpotCheck.result == "problem", 1))))
        .select_from(SpotCheck).join(GuidanceRecord, GuidanceRecord.id == SpotCheck.record_id)
        .where(*scope_conditions)).one()
    if not drawn:
        return None
    return {"drawn": drawn, "checked": checked, "clean": clean, "problem": problem}
