"""The register's machinery for a million records, checked on small data against plain Python:
counts kept by triggers (register_tally) through every kind of change, keyset pages in two
segments (numbered records, then drafts) for every sort, the 总结 figures after their SQL was
reshaped, and migration 0004 building its structures over the records already there."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules import vocabulary as vocab
from rules.model import SHANGHAI
from sqlalchemy import func, select

from tests.webapp.records_data import user
from webapp.extensions import db
from webapp.models import CatalogItem, GuidanceRecord, ReviewDecision, Unit, User
from webapp.reports.stats import GoodPractice, Stats, percentile, working_days_between
from webapp.services import calendar, queries, statistics
from webapp.services.register_filter import RecordFilter

UNITS = ("自然资源开发利用科", "执法监督科", "耕地保护监督科")
CODES = ("ZD-TD-03", "ZD-TD-01", "ZD-CH-01")
# Around the turn of the year in Shanghai (UTC+8): 16:00 UTC on 31 December is already 1 January.
MOMENTS = (datetime(2024, 12, 31, 23, 30, tzinfo=SHANGHAI), datetime(2025, 1, 1, 0, 10, tzinfo=SHANGHAI),
           datetime(2025, 3, 31, 23, 59, tzinfo=SHANGHAI), datetime(2025, 4, 1, 0, 0, tzinfo=SHANGHAI),
           datetime(2025, 7, 15, 10, 0, tzinfo=SHANGHAI), datetime(2025, 12, 31, 23, 59, tzinfo=SHANGHAI),
           datetime(2026, 1, 1, 8, 0, tzinfo=SHANGHAI), None)


def _records(count: int, seed: int) -> list[GuidanceRecord]:
    """Records in every state written straight into the table; drafts have no number."""
    rng = random.Random(seed)
    units = dict(db.session.execute(select(Unit.name, Unit.id)).all())
    creator = user("staff")
    seq: dict[int, int] = {}
    records = []
    for i in range(count):
        status = rng.choice(tuple(vocab.STATUS))
        guided = rng.choice(MOMENTS)
        if status != "draft" and guided is None:
            guided = MOMENTS[4]
        number = year = n = None
        if status in ("filed", "closed", "voided"):
            year = rng.choice((2025, 2026))
            seq[year] = n = seq.get(year, 0) + 1
            number = f"指导书〔{year}〕{n}号"
        record = GuidanceRecord(
            status=status, number=number, number_year=year, number_seq=n, owner_unit_id=units[rng.choice(UNITS)],
            created_by_id=creator.id, guided_at=guided, method=rng.choice((*vocab.METHOD, None)),
            stage=rng.choice((*vocab.STAGE, None)), catalog_code=rng.choice(CODES), officers=[], legal_basis=[],
            target_name=f"对象{i}", subject=f"事项{i}",
            result=rng.choice(("adopted", "partially_adopted", "not_adopted", "pending")) if status == "closed"
            else "pending",
            good_practice=status in ("filed", "closed") and rng.random() < 0.3)
        if record.good_practice:
            record.good_practice_reason, record.good_practice_at = "做法可推广", datetime(2026, 1, 5, tzinfo=SHANGHAI)
        db.session.add(record)
        records.append(record)
    db.session.commit()
    return records


def _reset() -> None:
    """Hypothesis runs many examples in one test: start each from an empty register again."""
    from tests.conftest import _empty_tables, seed_fixture_data

    db.session.rollback()
    _empty_tables()
    seed_fixture_data()


# --- counts kept by triggers -----------------------------------------------------------------------

CHANGES = st.lists(st.tuples(
    st.integers(0, 11),
    st.sampled_from(["status", "owner_unit_id", "guided_at", "method", "stage", "good_practice", "subject"]),
    st.integers(0, 100)), max_size=25)
TALLIED_FILTERS = st.builds(
    RecordFilter,
    year=st.sampled_from([None, 2024, 2025, 2026]), unit=st.sampled_from([None, *UNITS]),
    methods=st.lists(st.sampled_from(tuple(vocab.METHOD)), max_size=2, unique=True).map(tuple),
    stages=st.lists(st.sampled_from(tuple(vocab.STAGE)), max_size=1).map(tuple),
    statuses=st.lists(st.sampled_from(tuple(vocab.STATUS)), max_size=2, unique=True).map(tuple),
    good=st.booleans())


# Every value of every tallied field alone, besides the drawn combinations.
SINGLE_FILTERS = [RecordFilter(), RecordFilter(good=True)] + [
    RecordFilter(**{name: value}) for name, values in (
        ("year", (2024, 2025, 2026)), ("unit", UNITS), ("methods", [(m,) for m in vocab.METHOD]),
        ("stages", [(s,) for s in vocab.STAGE]), ("statuses", [(s,) for s in vocab.STATUS]))
    for value in values]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES, filters=st.lists(TALLIED_FILTERS, max_size=3))
def test_register_count_from_the_tally_follows_every_change(app, changes, filters):
    """After any sequence of edits, each role's count equals counting the records themselves."""
    with app.app_context():
        try:
            records = _records(12, seed=len(changes))
            unit_ids = db.session.scalars(select(Unit.id)).all()
            for index, column, pick in changes:
                values = {"status": tuple(vocab.STATUS), "owner_unit_id": unit_ids, "guided_at": MOMENTS,
                          "method": (*vocab.METHOD, None), "stage": (*vocab.STAGE, None),
                          "good_practice": (True, False), "subject": ("改", "再改")}[column]
                setattr(records[index], column, values[pick % len(values)])
                db.session.commit()
            by_name = dict(db.session.execute(select(Unit.name, Unit.id)).all())
            for flt in SINGLE_FILTERS + filters:
                flt = replace(flt, unit_id=by_name.get(flt.unit))  # as parse_filter resolves it
                for role in ("staff", "viewer", "reviewer"):
                    who = user(role)
                    counted = db.session.scalar(queries.register_query(who, flt, columns=[func.count()]))
                    assert queries.register_count(who, flt) == counted, (role, flt)
        finally:
            _reset()


def test_register_count_leaves_the_tally_for_filters_it_does_not_key(app):
    with app.app_context():
        _records(30, seed=3)
        reviewer = user("reviewer")
        for flt in (RecordFilter(catalog="ZD-TD-01"), RecordFilter(q="事项1"), RecordFilter(officer="张明"),
                    RecordFilter(year=2025, catalog="ZD-CH-01")):
            assert queries._tally_count(reviewer, flt) is None
            assert queries.register_count(reviewer, flt) == len(list(queries.register_rows(reviewer, flt)))


# --- keyset pages in two segments ------------------------------------------------------------------


def _expected_order(records, sort: str, year: int | None) -> list[int]:
    """Rows with the sort key in key order (then id), then rows without it by id; same direction."""
    if year is not None:
        records = [r for r in records if r.guided_at and r.guided_at.astimezone(SHANGHAI).year == year]
    descending = sort.startswith("-")
    key = {"number": lambda r: (r.number_year, r.number_seq), "guided_at": lambda r: (r.guided_at,),
           "id": lambda r: ()}[sort.lstrip("-")]
    keyed = [r for r in records if sort.lstrip("-") == "id" or key(r)[0] is not None]
    rest = [r for r in records if r not in keyed]
    ordered = sorted(keyed, key=lambda r: (*key(r), r.id), reverse=descending)
    return [r.id for r in ordered] + [r.id for r in sorted(rest, key=lambda r: r.id, reverse=descending)]


@pytest.mark.parametrize("year", [None, 2025])
@pytest.mark.parametrize("sort", sorted(queries.SORTS))
def test_register_pages_walk_numbered_records_then_drafts_in_order(app, sort, year):
    with app.app_context():
        records = _records(40, seed=11)
        reviewer = user("reviewer")
        flt = RecordFilter(sort=sort, year=year)
        seen, after, pages = [], None, 0
        while True:
            items, after = queries.register_page(reviewer, flt, after=after, limit=4)
            seen += [r.id for r in items]
            pages += 1
            if after is None:
                break
        assert seen == _expected_order(records, sort, year)
        assert [r.id for r in queries.register_rows(reviewer, flt)] == seen
        assert pages == max(1, -(-len(seen) // 4))


# --- the 总结 figures against plain Python -------------------------------------------------------------


def _decisions(records, rng) -> list[ReviewDecision]:
    reviewer = user("reviewer")
    out = []
    for record in records:
        if record.status == "draft" or rng.random() < 0.4:
            continue
        submitted = (record.guided_at or MOMENTS[4]) + timedelta(hours=rng.randint(1, 30))
        for decision in (("return", "approve") if rng.random() < 0.3 else ("approve",)):
            at = submitted + timedelta(hours=rng.randint(2, 120))
            out.append(ReviewDecision(record_id=record.id, reviewer_id=reviewer.id, decision=decision,
                                      submitted_at=submitted if rng.random() < 0.9 else None, at=at))
            submitted = at + timedelta(hours=3)
    db.session.add_all(out)
    db.session.commit()
    return out


def _plain_stats(records, decisions, year: int, unit: str | None, now: datetime) -> Stats:
    units = {u.id: u.name for u in db.session.scalars(select(Unit))}
    fields = dict(db.session.execute(select(CatalogItem.code, CatalogItem.field)).all())
    scope = [r for r in records if r.guided_at and r.guided_at.astimezone(SHANGHAI).year == year
             and (unit is None or units[r.owner_unit_id] == unit)]
    given = [r for r in scope if r.status in ("filed", "closed")]
    closed = [r for r in scope if r.status == "closed"]
    submitted = [r for r in scope if r.status != "draft"]
    ids = {r.id for r in submitted}
    mine = [d for d in decisions if d.record_id in ids]
    decided = {d.record_id for d in mine}
    turnaround = [working_days_between(d.submitted_at, d.at) for d in mine if d.submitted_at]
    good = sorted((r for r in given if r.good_practice), key=lambda r: (r.number_year, r.number_seq))
    return Stats(
        year=year, unit=unit, generated_at=now, total=len(given),
        by_method=Counter(r.method for r in given if r.method), by_stage=Counter(r.stage for r in given if r.stage),
        by_unit=Counter(units[r.owner_unit_id] for r in given),
        by_month=Counter(r.guided_at.astimezone(SHANGHAI).month for r in given),
        by_field=Counter(fields[r.catalog_code] for r in given),
        closed_with_result=sum(r.result in ("adopted", "partially_adopted", "not_adopted") for r in closed),
        adopted=sum(r.result == "adopted" for r in closed),
        partially_adopted=sum(r.result == "partially_adopted" for r in closed),
        submitted=len(submitted),
        sent_to_review=sum(r.status == "pending_review" or r.id in decided for r in submitted),
        reviewed=len(mine), returned=sum(d.decision == "return" for d in mine),
        turnaround_median=percentile(turnaround, 50), turnaround_p90=percentile(turnaround, 90),
        good_practice=[GoodPractice(r.id, r.number, r.subject, units[r.owner_unit_id], r.good_practice_reason,
                                    r.good_practice_at) for r in good])


@pytest.mark.parametrize("year,unit", [(2025, None), (2025, "执法监督科"), (2024, None), (2026, "耕地保护监督科")])
def test_stats_figures_equal_plain_python_over_every_state(app, year, unit):
    now = datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    with app.app_context():
        rng = random.Random(5)
        records = _records(160, seed=5)
        # Records that moved between units, states and months after being counted once.
        for record in records[:25]:
            record.owner_unit_id, record.guided_at = records[-1].owner_unit_id, rng.choice(MOMENTS[:-1])
            record.method = rng.choice(tuple(vocab.METHOD))
        db.session.commit()
        decisions = _decisions(records, rng)
        for r in records:
            db.session.refresh(r)
        assert statistics.year_stats(year, unit, now=now) == _plain_stats(records, decisions, year, unit, now)


# --- migration 0004 over the records already there ----------------------------------------------------


def test_migration_0004_builds_search_and_counts_over_existing_records(app):
    """Upgrading a database that already holds records: they are counted and found at once."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        db.session.remove()
        downgrade(revision="0003")
        try:
            with db.engine.begin() as conn:
                unit_id = conn.scalar(select(Unit.id).where(Unit.name == UNITS[0]))
                creator = conn.scalar(select(User.id).where(User.username == "staff"))
                for i, status in enumerate(("draft", "filed", "closed", "filed")):
                    conn.execute(GuidanceRecord.__table__.insert().values(
                        status=status, owner_unit_id=unit_id, created_by_id=creator, version=1,
                        created_at=MOMENTS[4], updated_at=MOMENTS[4], guided_at=MOMENTS[4], method="advice",
                        officers=[], legal_basis=[], target_name=f"淄博存量建材{i}号公司", good_practice=False))
        finally:
            upgrade()
        reviewer = user("reviewer")
        assert queries.register_count(reviewer, RecordFilter(year=2025, methods=("advice",))) == 4
        assert queries.register_count(reviewer, RecordFilter(statuses=("filed",))) == 2
        assert len(queries.register_page(reviewer, RecordFilter(q="存量建材"))[0]) == 4
        assert [r.target_name for r in queries.register_page(reviewer, RecordFilter(q="材2号"))[0]] \
            == ["淄博存量建材2号公司"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_register_plans_never_read_the_table_through_the_visibility_condition(app, role):
    """Nearly every record is visible, and a state holds most of a year; SQLite without ANALYZE
    statistics (as deployed) would take either for selective and read most of the table through
    it (seconds at 1M)."""
    from sqlalchemy import text

    with app.app_context():
        _records(30, seed=2)
        who = user(role)
        for flt in (RecordFilter(), RecordFilter(year=2025), RecordFilter(q="事项12"), RecordFilter(sort="-id"),
                    RecordFilter(year=2025, statuses=("closed",), methods=("advice",))):
            for query in [*queries._segments(who, flt, None, columns=[GuidanceRecord.id]),
                          queries.register_query(who, flt, columns=[func.count()])]:
                sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
                plan = " | ".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
                assert "MULTI-INDEX OR" not in plan and "(status=?)" not in plan, (flt, plan)


def _working_days_day_by_day(start: datetime, end: datetime) -> float:
    """The definition, one calendar day at a time (Shanghai wall clock, working days of the calendar)."""
    a, b = start.astimezone(SHANGHAI).replace(tzinfo=None), end.astimezone(SHANGHAI).replace(tzinfo=None)
    total, day = timedelta(), a.date()
    while b > a and day <= b.date():
        if calendar.is_working_day(day):
            midnight = datetime(day.year, day.month, day.day)
            total += min(b, midnight + timedelta(days=1)) - max(a, midnight)
        day += timedelta(days=1)
    return total / timedelta(days=1)


@settings(max_examples=300)
@given(start=st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1)),
       hours=st.one_of(st.floats(-48, 24 * 20, allow_nan=False), st.sampled_from([0, 24, 48, 72, 168])))
def test_review_turnaround_equals_counting_day_by_day(start, hours):
    start = start.replace(tzinfo=SHANGHAI)
    end = start + timedelta(hours=hours)
    assert working_days_between(start, end) == _working_days_day_by_day(start, end)
