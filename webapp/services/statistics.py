"""总结 figures (SPEC §7) aggregated in SQL: one year, optionally one unit.

The guidance given in a year = filed and closed records whose guidance date falls in it (drafts,
pending and voided records are not guidance given). Review figures count the records of that year
that were submitted and the decisions taken on them.
"""
from __future__ import annotations

from datetime import date, datetime

from rules.model import SHANGHAI
from sqlalchemy import case, func, select

from webapp.extensions import db
from webapp.models import CatalogItem, GuidanceRecord, ReviewDecision, Unit
from webapp.reports.stats import GoodPractice, Stats, percentile, working_days_between

Record = GuidanceRecord
GIVEN = ("filed", "closed")
SUBMITTED = ("pending_review", "filed", "closed", "voided")
ANSWERED = ("adopted", "partially_adopted", "not_adopted")


def _month(column):
    """Calendar month of a stored UTC moment in Asia/Shanghai, per engine."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("month", func.timezone("Asia/Shanghai", column))
    return func.cast(func.strftime("%m", func.datetime(column, "+8 hours")), db.Integer)


def _scope(year: int, unit_id: int | None):
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    conditions = [Record.guided_at >= start, Record.guided_at < end]
    if unit_id is not None:
        conditions.append(Record.owner_unit_id == unit_id)
    return conditions


def _grouped(column, conditions) -> dict:
    rows = db.session.execute(select(column, func.count()).where(*conditions).group_by(column)).all()
    return {key: count for key, count in rows if key is not None}


def year_stats(year: int, unit: str | None = None, *, now: datetime | None = None) -> Stats:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == unit)) if unit else None
    scope = _scope(year, unit_id)
    given = scope + [Record.status.in_(GIVEN)]

    total = db.session.scalar(select(func.count()).select_from(Record).where(*given))
    by_unit = dict(db.session.execute(
        select(Unit.name, func.count()).select_from(Record).join(Unit, Unit.id == Record.owner_unit_id)
        .where(*given)
        .group_by(Unit.name)).all())
    by_field = dict(db.session.execute(
        select(CatalogItem.field, func.count()).select_from(Record)
        .join(CatalogItem, CatalogItem.code == Record.catalog_code)
        .where(*given).group_by(CatalogItem.field)).all())
    month = _month(Record.guided_at)
    by_month = {int(m): c for m, c in db.session.execute(
        select(month, func.count()).where(*given).group_by(month)).all() if m is not None}

    closed = db.session.execute(select(
        func.count(case((Record.result.in_(ANSWERED), 1))),
        func.count(case((Record.result == "adopted", 1))),
        func.count(case((Record.result == "partially_adopted", 1))),
    ).where(*scope, Record.status == "closed")).one()

    submitted = db.session.scalar(select(func.count()).select_from(Record)
                                  .where(*scope, Record.status.in_(SUBMITTED)))
    in_scope = select(Record.id).where(*scope, Record.status.in_(SUBMITTED))
    decided = select(ReviewDecision.record_id).where(ReviewDecision.record_id.in_(in_scope))
    sent_to_review = db.session.scalar(select(func.count()).select_from(Record).where(
        *scope, Record.status.in_(SUBMITTED),
        (Record.status == "pending_review") | Record.id.in_(decided)))
    decisions = db.session.execute(
        select(ReviewDecision.decision, ReviewDecision.submitted_at, ReviewDecision.at)
        .where(ReviewDecision.record_id.in_(in_scope))).all()
    # One working-day count per review decision (not per record): a few thousand a year.
    turnaround = [working_days_between(d.submitted_at, d.at) for d in decisions if d.submitted_at]

    good = db.session.execute(
        select(Record.id, Record.number, Record.subject, Unit.name, Record.good_practice_reason,
               Record.good_practice_at)
        .select_from(Record).join(Unit, Unit.id == Record.owner_unit_id)
        .where(*given, Record.good_practice.is_(True)).order_by(Record.number_year, Record.number_seq)).all()

    return Stats(
        year=year, unit=unit if unit_id is not None else None,
        generated_at=now or datetime.now(SHANGHAI), total=total,
        by_method=_grouped(Record.method, given), by_stage=_grouped(Record.stage, given),
        by_unit=by_unit, by_month=by_month, by_field=by_field,
        closed_with_result=closed[0], adopted=closed[1], partially_adopted=closed[2],
        submitted=submitted, sent_to_review=sent_to_review, reviewed=len(decisions),
        returned=sum(1 for d in decisions if d.decision == "return"),
        turnaround_median=percentile(turnaround, 50), turnaround_p90=percentile(turnaround, 90),
        good_practice=[GoodPractice(r.id, r.number, r.subject or "", r.name, r.good_practice_reason or "",
                                    r.good_practice_at) for r in good],
    )


def read_scope(args, units) -> tuple[int, str | None, dict[str, str]]:
    """(year, unit name or None, {parameter: message}) from GET parameters; bad values refused."""
    errors: dict[str, str] = {}
    this_year = datetime.now(SHANGHAI).year
    year = this_year
    raw = (args.get("year") or "").strip()
    if raw:
        if raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= this_year + 1:
            year = int(raw)
        else:
            errors["year"] = f"年度应为 2000 至 {this_year + 1} 之间的四位数字"
    unit = (args.get("unit") or "").strip() or None
    if unit and unit not in units:
        errors["unit"] = f"没有名为“{unit[:30]}”的单位"
        unit = None
    return year, unit, errors


def first_year() -> int:
    earliest = db.session.scalar(select(func.min(Record.guided_at)))
    return earliest.astimezone(SHANGHAI).year if earliest else date.today().year
