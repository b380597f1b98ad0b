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

import gc
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from typing import Any

import rules
from rules.engine import outcome_of
from rules.model import SHANGHAI
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from webapp.models import GuidanceRecord
from webapp.services.impact_reading import (
    READ_COLUMNS, BulkHistory, StoredRow, fast_reading, load_history, raw_rows, untyped,
)

# Checks that read the catalog item (ctx.item); test_impact checks no other check does.
CATALOG_CHECKS = frozenset({"catalog_item_exists", "catalog_item_active", "catalog_item_published",
                            "catalog_method", "catalog_stage", "catalog_unit", "legal_basis_exists"})
CHANGES_KEPT = 500  # changed records listed by id; the counts cover all of them
CHUNK_IDS = 20_000


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
    query = _where(select(*untyped(READ_COLUMNS)).select_from(GuidanceRecord.__table__)
                   .where(t.id >= lo, t.id < hi), plan)
    return raw_rows(conn, query.order_by(t.id), READ_COLUMNS)


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
    plan.history = load_history(conn, plan.start - timedelta(days=history_days), plan.end)
    gc.freeze()  # the history index is never garbage: no collection scans it (nor, in workers, copies it)
    try:
        in_memory = plan.url.startswith("sqlite") and (":memory:" in plan.url or plan.url.rstrip("/") == "sqlite:")
        if workers <= 1 or in_memory or len(ranges) == 1:
            for lo, hi in ranges:
                tally.merge(check_rows(plan, read_chunk(conn, plan, lo, hi)))
                if progress:
                    progress(tally.checked, total)
            return tally
        _PLAN = plan
        # fork: the workers inherit the plan and the history index instead of unpickling them
        with get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_worker_chunk, ranges):
                tally.merge(part)
                if progress:
                    progress(tally.checked, total)
        return tally
    finally:
        _PLAN = None
        gc.unfreeze()


def default_workers(workers: int | None) -> int:
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def database_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def as_dict_rows(tally: Tally, unit_names: dict[int, str]) -> list[dict[str, Any]]:
    tally.changes.sort()
    return [{"id": i, "number": number, "status": status, "unit": unit_names.get(unit, str(unit)),
             "before": old, "after": new, "added": added, "removed": removed}
            for i, number, status, unit, old, new, added, removed in tally.changes[:CHANGES_KEPT]]
