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
from webapp.models.record import RegisterTally
from webapp.reports.stats import GoodPractice, Stats, percentile, working_days_between
from webapp.services.register_filter import without_index
from webapp.services.spot_checks import year_figures as spot_check_figures

Record = GuidanceRecord
GIVEN = ("filed", "closed")
SUBMITTED = ("pending_review", "filed", "closed", "voided")
ANSWERED = ("adopted", "partially_adopted", "not_adopted")


def _month(year: int):
    """Calendar month (Asia/Shanghai) of a guidance moment within `year`, from comparisons with
    the months' first instants: no date function per row, so the covering index answers alone."""
    starts = [datetime(year, m, 1, tzinfo=SHANGHAI) for m in range(2, 13)]
    return case(*[(Record.guided_at < start, m) for m, start in enumerate(starts, start=1)], else_=12)


def _scope(year: int, unit_id: int | None):
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    conditions = [Record.guided_at >= start, Record.guided_at < end]
    if unit_id is not None:
        conditions.append(Record.owner_unit_id == unit_id)
    return conditions


def _tally(year: int, unit_id: int | None, statuses: tuple[str, ...]):
    """The same scope on RegisterTally: the counts kept by triggers, no scan of the records."""
    conditions = [RegisterTally.year == year, RegisterTally.status.in_(statuses)]
    if unit_id is not None:
        conditions.append(RegisterTally.owner_unit_id == unit_id)
    return conditions


def _tally_sum(conditions) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(RegisterTally.n), 0)).where(*conditions))


def _tally_grouped(column, conditions) -> dict:
    """{key: count} like GROUP BY over the records: keys with no records left and unset keys ("") out."""
    total = func.sum(RegisterTally.n)
    rows = db.session.execute(select(column, total).where(*conditions).group_by(column).having(total > 0)).all()
    return {key: int(count) for key, count in rows if key not in (None, "")}


def year_stats(year: int, unit: str | None = None, *, now: datetime | None = None) -> Stats:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == unit)) if unit else None
    scope = _scope(year, unit_id)
    given = scope + [without_index(Record.status.in_(GIVEN))]  # the year's index leads
    tally_given = _tally(year, unit_id, GIVEN)

    # Counts by unit, method and stage come from the tally; the rest reads one covering index
    # (ix_record_guided_cover) over the year's records.
    total = _tally_sum(tally_given)
    by_unit = _tally_grouped(Unit.name, tally_given + [Unit.id == RegisterTally.owner_unit_id])
    # Counted per catalog item first (from the index), then summed per 领域 over a few dozen rows.
    per_item = (select(Record.catalog_code, func.count().label("n")).where(*given)
                .group_by(Record.catalog_code).subquery())
    by_field = {field: int(n) for field, n in db.session.execute(
        select(CatalogItem.field, func.sum(per_item.c.n)).join(per_item, per_item.c.catalog_code == CatalogItem.code)
        .group_by(CatalogItem.field)).all()}
    month = _month(year)
    by_month = {int(m): c for m, c in db.session.execute(
        select(month, func.count()).where(*given).group_by(month)).all()}

    closed = db.session.execute(select(
        func.count(case((Record.result.in_(ANSWERED), 1))),
        func.count(case((Record.result == "adopted", 1))),
        func.count(case((Record.result == "partially_adopted", 1))),
    ).where(*scope, without_index(Record.status == "closed"))).one()

    submitted = _tally_sum(_tally(year, unit_id, SUBMITTED))
    pending = _tally_sum(_tally(year, unit_id, ("pending_review",)))
    decisions = db.session.execute(
        select(ReviewDecision.record_id, Record.status, ReviewDecision.decision, ReviewDecision.submitted_at,
               ReviewDecision.at)
        .join(Record, Record.id == ReviewDecision.record_id)
        .where(*scope, without_index(Record.status.in_(SUBMITTED)))).all()
    # Sent to review: pending now, or decided on at least once (the decisions are read anyway).
    sent_to_review = pending + len({d.record_id for d in decisions if d.status != "pending_review"})
    # One working-day count per review decision (not per record).
    turnaround = [working_days_between(d.submitted_at, d.at) for d in decisions if d.submitted_at]

    # The unit's name as a subquery, so the records (a few hundred marked) drive the query, not the units.
    unit_name = select(Unit.name).where(Unit.id == Record.owner_unit_id).scalar_subquery().label("name")
    good = db.session.execute(
        select(Record.id, Record.number, Record.subject, unit_name, Record.good_practice_reason,
               Record.good_practice_at)
        .where(*given, Record.good_practice.is_(True)).order_by(Record.number_year, Record.number_seq)).all()

    return Stats(
        year=year, unit=unit if unit_id is not None else None,
        generated_at=now or datetime.now(SHANGHAI), total=total,
        by_method=_tally_grouped(RegisterTally.method, tally_given),
        by_stage=_tally_grouped(RegisterTally.stage, tally_given),
        by_unit=by_unit, by_month=by_month, by_field=by_field,
        closed_with_result=closed[0], adopted=closed[1], partially_adopted=closed[2],
        submitted=submitted, sent_to_review=sent_to_review, reviewed=len(decisions),
        returned=sum(1 for d in decisions if d.decision == "return"),
        turnaround_median=percentile(turnaround, 50), turnaround_p90=percentile(turnaround, 90),
        good_practice=[GoodPractice(r.id, r.number, r.subject or "", r.name, r.good_practice_reason or "",
                                    r.good_practice_at) for r in good],
        spot_checks=spot_check_figures(scope),
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
