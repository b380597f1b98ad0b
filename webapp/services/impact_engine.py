"""The change-impact run's engine: which stored records would get another submit outcome under a
draft catalog and/or draft rule params. Reads only; Flask-free; evaluates in a process pool.

What is provably equal, and so not evaluated twice (tests/webapp/test_impact.py checks the
shortcut against a full `rules.evaluate` under the draft):
  - a rule whose params the draft leaves alone and whose check reads no catalog item gives the
    same findings under both (same record, history, `now`, prepared params);
  - a catalog check gives the same findings for a record whose catalog code names an item that
    is equal in both catalogs (the check reads only that item: CATALOG_CHECKS below).
So for each record only the rules the draft changes for it ("delta") are evaluated, under the
current and under the draft settings; when their findings agree nothing differs. Only when they
differ are the other rules evaluated (once: they are the same under both) to get both outcomes.
A record for which the draft changes no rule is not read at all.
"""
from __future__ import annotations

import json
import os
from array import array
from bisect import bisect_left
from collections import Counter, namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from multiprocessing import get_context
from typing import Any

import rules
from rules.engine import outcome_of
from rules.history import EarlierRecord, normalize_id
from rules import model as m
from rules.model import SHANGHAI, upper_code
from sqlalchemy import JSON, Boolean, Date, create_engine, func, literal_column, select
from sqlalchemy.pool import NullPool

from webapp.models import GuidanceRecord
from webapp.models.types import UTCDateTime
from webapp.services.rules_bridge import COUNTED_STATUSES

# Checks that read the catalog item (ctx.item); test_impact checks no other check does.
CATALOG_CHECKS = frozenset({"catalog_item_exists", "catalog_item_active", "catalog_item_published",
                            "catalog_method", "catalog_stage", "catalog_unit", "legal_basis_exists"})
CHANGES_KEPT = 500  # changed records listed by id; the counts cover all of them
CHUNK_IDS = 20_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)

READ_COLUMNS = (
    "id", "status", "number", "owner_unit_id", "submitted_at",
    "catalog_code", "method", "stage", "form", "initiated_by", "applied_at", "unit", "officers", "guided_at",
    "place", "target_name", "target_kind", "target_id_number", "target_contact", "target_phone", "subject",
    "content", "problem", "opinion", "legal_basis", "informed_of_voluntariness", "written_requested",
    "oral_confirmation", "contact_person", "contact_phone", "admonition_conditions", "case_info", "project",
    "follow_up_due", "result", "effect",
)
StoredRow = namedtuple("StoredRow", READ_COLUMNS)  # what stored_reading reads, by attribute
_set = object.__setattr__


def _built(cls, values: dict):
    """What cls.model_construct(**values) returns for a complete `values`, without its per-call cost."""
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def _part(cls, data):
    if data is None:
        return None
    return _built(cls, {key: data.get(key) for key in cls.model_fields})


_CASE_FIELDS = tuple(m.Case.model_fields)


def fast_reading(row: StoredRow) -> rules.Reading:
    """rules_bridge.stored_reading(row), built without pydantic's model_construct (test_impact compares)."""
    target = None
    if (row.target_name is not None or row.target_kind is not None or row.target_id_number is not None
            or row.target_contact is not None or row.target_phone is not None):
        target = _built(m.Target, {"name": row.target_name, "kind": row.target_kind, "id_number": row.target_id_number,
                                   "contact": row.target_contact, "phone": row.target_phone})
    case = row.case_info
    if case is not None:
        values = {key: case.get(key) for key in _CASE_FIELDS}
        closed = values["closed_on"]
        if closed is not None and not isinstance(closed, date):
            values["closed_on"] = date.fromisoformat(closed)
        case = _built(m.Case, values)
    record = _built(m.GuidanceRecord, {
        "catalog_code": row.catalog_code, "method": row.method, "stage": row.stage, "form": row.form,
        "initiated_by": row.initiated_by, "applied_at": row.applied_at, "unit": row.unit,
        "officers": list(row.officers) if row.officers is not None else None,
        "guided_at": row.guided_at, "place": row.place, "target": target, "subject": row.subject,
        "content": row.content, "problem": row.problem, "opinion": row.opinion,
        "legal_basis": [_part(m.LegalBasis, b) for b in row.legal_basis] if row.legal_basis is not None else None,
        "informed_of_voluntariness": row.informed_of_voluntariness, "written_requested": row.written_requested,
        "oral_confirmation": row.oral_confirmation, "contact_person": row.contact_person,
        "contact_phone": row.contact_phone,
        "admonition_conditions": _part(m.AdmonitionConditions, row.admonition_conditions),
        "case": case, "project": _part(m.Project, row.project), "follow_up_due": row.follow_up_due,
        "result": row.result, "effect": row.effect})
    return rules.Reading.of(record)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


class BulkHistory:
    """rules.HistorySource over every counted record of the window, built in one sorted pass.

    Same answers as DatabaseHistory: entries of the same id number or name key in [start, end);
    a record is never its own history (its guided_at is the window's open end)."""

    def __init__(self, rows):
        self._index: dict[str, tuple[array, list[EarlierRecord]]] = {}
        keys: dict[str, str | None] = {}
        ids: dict[str, str | None] = {}
        codes: dict[str, str | None] = {}
        for guided_at, name, id_number, method, code in rows:  # sorted by guided_at
            key = keys[name] if name in keys else keys.setdefault(name, rules.target_key(name))
            number = ids[id_number] if id_number in ids else ids.setdefault(id_number, normalize_id(id_number))
            code = codes[code] if code in codes else codes.setdefault(code, upper_code(code))
            earlier = EarlierRecord(guided_at, key, number, method, code)
            at = _micros(guided_at)
            for slot in (f"n:{key}" if key else None, f"i:{number}" if number else None):
                if slot is not None:
                    times, entries = self._index.get(slot) or self._index.setdefault(slot, (array("q"), []))
                    times.append(at)
                    entries.append(earlier)

    def _slice(self, slot: str, start: int, end: int) -> list[EarlierRecord]:
        found = self._index.get(slot)
        if found is None:
            return []
        times, entries = found
        return entries[bisect_left(times, start):bisect_left(times, end)]

    def earlier_read(self, *, target_name: str, target_id_number: str | None,
                     start: datetime, end: datetime) -> list[EarlierRecord]:
        lo, hi = _micros(start), _micros(end)
        by_name = self._slice(f"n:{target_name}", lo, hi) if target_name else []
        by_id = self._slice(f"i:{target_id_number}", lo, hi) if target_id_number else []
        if by_name and by_id:
            return list({id(e): e for e in (*by_name, *by_id)}.values())
        return by_name or by_id

    def earlier_records(self, **kwargs):  # the HistorySource protocol; the engine uses earlier_read
        raise NotImplementedError("BulkHistory answers earlier_read only")


@dataclass
class Delta:
    """The rules a draft changes for a record, as current and draft rule sets, and all the others."""

    ids: frozenset[str]
    current: rules.RuleSet
    draft: rules.RuleSet
    others: rules.RuleSet | None  # current rules outside `ids` (equal under both)


@dataclass
class Plan:
    """Everything a worker needs, set before the pool forks (copy-on-write, never pickled)."""

    url: str
    current_catalog: rules.Catalog
    draft_catalog: rules.Catalog
    current_rules: rules.RuleSet
    params_delta: Delta | None  # rules whose params changed
    catalog_delta: Delta | None  # the same plus the catalog checks (records of changed catalog codes)
    changed_codes: frozenset[str]
    history: BulkHistory | None
    start: datetime
    end: datetime
    run_now: datetime
    only_codes: tuple[str, ...] | None  # None: every record of the years


_PLAN: Plan | None = None
_ENGINE = None


def _subset(ruleset: rules.RuleSet, keep) -> rules.RuleSet | None:
    chosen = [r for r in ruleset.rules if keep(r.id) and r.phase in ("submit", "both")]
    return rules.RuleSet(chosen, ruleset.version) if chosen else None


def _delta(current: rules.RuleSet, draft: rules.RuleSet, ids: set[str]) -> Delta | None:
    changed = _subset(draft, ids.__contains__)
    if changed is None:
        return None
    ids = frozenset(changed.by_id)
    return Delta(ids, _subset(current, ids.__contains__), changed, _subset(current, lambda i: i not in ids))


def make_plan(url: str, current_catalog: rules.Catalog, draft_catalog: rules.Catalog,
              current_rules: rules.RuleSet, draft_rules: rules.RuleSet, years: tuple[int, int]) -> Plan:
    current_items = {i.code: i for i in current_catalog.items}
    draft_items = {i.code: i for i in draft_catalog.items}
    changed_codes = frozenset(c for c in current_items.keys() | draft_items.keys()
                              if current_items.get(c) != draft_items.get(c))
    params_changed = {r.id for r in draft_rules.rules if current_rules.by_id[r.id].params != r.params}
    catalog_rules = {r.id for r in draft_rules.rules if r.check in CATALOG_CHECKS}
    start = datetime(years[0], 1, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)
    end = datetime(years[1] + 1, 1, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)
    params_delta = _delta(current_rules, draft_rules, params_changed)
    catalog_delta = _delta(current_rules, draft_rules, params_changed | catalog_rules) if changed_codes else None
    only_codes = None if params_delta is not None else tuple(sorted(changed_codes))
    return Plan(url, current_catalog, draft_catalog, current_rules, params_delta, catalog_delta,
                changed_codes, None, start, end, datetime.now(SHANGHAI), only_codes)


def _sqlite_moment(text):
    if text is None or text.__class__ is not str:
        return text
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)  # SQLite keeps naive UTC text


def _sqlite_day(text):
    return date.fromisoformat(text) if text.__class__ is str else text


def _sqlite_json(text):
    return json.loads(text) if text.__class__ is str else text


def _sqlite_bool(value):
    return bool(value) if value is not None else None


def _decoders(conn, names) -> list | None:
    """Per column, how a raw driver value becomes what the model's column type would return.

    The columns are read untyped (SQLAlchemy's per-value result processing costs more than the
    checks); PostgreSQL's driver already returns aware datetimes, dates, JSON and booleans."""
    if conn.dialect.name != "sqlite":
        return None
    table = GuidanceRecord.__table__.c
    by_type = {UTCDateTime: _sqlite_moment, Date: _sqlite_day, JSON: _sqlite_json, Boolean: _sqlite_bool}
    return [next((fn for kind, fn in by_type.items() if isinstance(table[name].type, kind)), None)
            for name in names]


def _raw_rows(conn, query, names):
    decoders = _decoders(conn, names)
    rows = conn.execute(query.execution_options(yield_per=20_000))
    if decoders is None:
        yield from rows
        return
    pairs = [(i, fn) for i, fn in enumerate(decoders) if fn is not None]
    for row in rows:
        values = list(row)
        for i, fn in pairs:
            values[i] = fn(values[i])
        yield values


def _untyped(names):
    table = GuidanceRecord.__table__
    return [literal_column(f"{table.name}.{name}") for name in names]


HISTORY_COLUMNS = ("guided_at", "target_name", "target_id_number", "method", "catalog_code")


def load_history(conn, plan: Plan, history_days: int) -> BulkHistory:
    t = GuidanceRecord.__table__.c
    query = (select(*_untyped(HISTORY_COLUMNS)).select_from(GuidanceRecord.__table__)
             .where(t.status.in_(COUNTED_STATUSES), t.guided_at >= plan.start - timedelta(days=history_days),
                    t.guided_at < plan.end)
             .order_by(t.guided_at))
    return BulkHistory(_raw_rows(conn, query, HISTORY_COLUMNS))


def _where(query, plan: Plan):
    t = GuidanceRecord.__table__.c
    query = query.where(t.guided_at >= plan.start, t.guided_at < plan.end, t.status != "voided")
    if plan.only_codes is not None:
        query = query.where(t.catalog_code.in_(plan.only_codes))
    return query


def id_ranges(conn, plan: Plan, pieces: int) -> tuple[int, list[tuple[int, int]]]:
    """(records to check, id ranges [lo, hi) that split them)."""
    t = GuidanceRecord.__table__.c
    total, low, high = conn.execute(_where(select(func.count(), func.min(t.id), func.max(t.id)), plan)).one()
    if not total:
        return 0, []
    step = max(1, min(CHUNK_IDS, -(-(high - low + 1) // pieces)))
    return total, [(lo, min(lo + step, high + 1)) for lo in range(low, high + 1, step)]


@dataclass
class Tally:
    """One chunk's (or the whole run's) findings: counts plus the first changed records by id."""

    checked: int = 0
    changed: int = 0
    transitions: Counter = field(default_factory=Counter)  # "clean→review"
    by_rule: Counter = field(default_factory=Counter)  # rule id: records whose outcome changed with it
    by_unit: Counter = field(default_factory=Counter)  # owner unit id
    filed: int = 0  # changed records that are filed or closed (they keep their versions)
    findings_only: int = 0  # findings differ, outcome the same
    changes: list = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.checked += other.checked
        self.changed += other.changed
        self.filed += other.filed
        self.findings_only += other.findings_only
        self.transitions.update(other.transitions)
        self.by_rule.update(other.by_rule)
        self.by_unit.update(other.by_unit)
        self.changes.extend(other.changes)
        if len(self.changes) > CHANGES_KEPT:
            self.changes.sort()
            del self.changes[CHANGES_KEPT:]


def check_row(plan: Plan, row: StoredRow) -> tuple[str, str, frozenset, frozenset] | None:
    """(current outcome, draft outcome, rules added, rules removed) or None when no finding differs."""
    delta = plan.catalog_delta if row.catalog_code in plan.changed_codes else plan.params_delta
    if delta is None:
        return None
    reading = fast_reading(row)
    now = row.submitted_at or plan.run_now
    before = rules.evaluate(reading, catalog=plan.current_catalog, history=plan.history, now=now,
                            ruleset=delta.current).findings
    after = rules.evaluate(reading, catalog=plan.draft_catalog, history=plan.history, now=now,
                           ruleset=delta.draft).findings
    if sorted((f.rule, f.field) for f in before) == sorted((f.rule, f.field) for f in after):
        return None
    kept = rules.evaluate(reading, catalog=plan.current_catalog, history=plan.history, now=now,
                          ruleset=delta.others).findings if delta.others is not None else ()
    old_rules, new_rules = {f.rule for f in before}, {f.rule for f in after}
    return (outcome_of([*kept, *before]), outcome_of([*kept, *after]),
            frozenset(new_rules - old_rules), frozenset(old_rules - new_rules))


def check_rows(plan: Plan, rows) -> Tally:
    tally = Tally()
    for values in rows:
        row = StoredRow(*values)
        tally.checked += 1
        found = check_row(plan, row)
        if found is None:
            continue
        old, new, added, removed = found
        if old == new:
            tally.findings_only += 1
            continue
        tally.changed += 1
        tally.transitions[f"{old}→{new}"] += 1
        tally.by_rule.update(added | removed)
        tally.by_unit[row.owner_unit_id] += 1
        if row.status in ("filed", "closed"):
            tally.filed += 1
        if len(tally.changes) < CHANGES_KEPT:
            tally.changes.append((row.id, row.number, row.status, row.owner_unit_id, old, new,
                                  sorted(added), sorted(removed)))
    return tally


def read_chunk(conn, plan: Plan, lo: int, hi: int):
    t = GuidanceRecord.__table__.c
    query = _where(select(*_untyped(READ_COLUMNS)).select_from(GuidanceRecord.__table__)
                   .where(t.id >= lo, t.id < hi), plan)
    return _raw_rows(conn, query.order_by(t.id), READ_COLUMNS)


def _worker_chunk(bounds: tuple[int, int]) -> Tally:
    """In a pool process: read one id range on a connection of its own and check it."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = create_engine(_PLAN.url, poolclass=NullPool)
    with _ENGINE.connect() as conn:
        return check_rows(_PLAN, read_chunk(conn, _PLAN, *bounds))


def run(conn, plan: Plan, history_days: int, *, workers: int,
        progress: Callable[[int, int], None] | None = None) -> Tally:
    """Check every record the plan selects; `conn` reads the history and (one worker) the records."""
    global _PLAN
    total, ranges = id_ranges(conn, plan, max(1, workers) * 8)
    tally = Tally()
    if not ranges:
        return tally
    plan.history = load_history(conn, plan, history_days)
    in_memory = plan.url.startswith("sqlite") and (":memory:" in plan.url or plan.url.rstrip("/") == "sqlite:")
    if workers <= 1 or in_memory or len(ranges) == 1:
        for lo, hi in ranges:
            tally.merge(check_rows(plan, read_chunk(conn, plan, lo, hi)))
            if progress:
                progress(tally.checked, total)
        return tally
    _PLAN = plan
    try:
        # fork: the workers inherit the plan and the history index instead of unpickling them
        with get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_worker_chunk, ranges):
                tally.merge(part)
                if progress:
                    progress(tally.checked, total)
    finally:
        _PLAN = None
    return tally


def default_workers(workers: int | None) -> int:
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def database_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def as_dict_rows(tally: Tally, unit_names: dict[int, str]) -> list[dict[str, Any]]:
    tally.changes.sort()
    return [{"id": i, "number": number, "status": status, "unit": unit_names.get(unit, str(unit)),
             "before": old, "after": new, "added": added, "removed": removed}
            for i, number, status, unit, old, new, added, removed in tally.changes[:CHANGES_KEPT]]
