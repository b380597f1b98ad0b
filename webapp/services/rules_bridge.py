"""The web app's side of the rules engine: catalog from the database, history from an indexed query."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from threading import Lock

import rules
from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import CatalogItem, GuidanceRecord

COUNTED_STATUSES = ("pending_review", "filed", "closed")

_catalog_cache: dict[tuple, rules.Catalog] = {}
_catalog_lock = Lock()


def rules_catalog() -> rules.Catalog:
    """The catalog as the engine wants it, rebuilt only when an item changed."""
    count, latest = db.session.execute(
        select(func.count(CatalogItem.id), func.max(CatalogItem.updated_at))).one()
    key = (str(db.engine.url), count, latest)
    cached = _catalog_cache.get(key)
    if cached is None:
        items = db.session.scalars(select(CatalogItem).order_by(CatalogItem.code)).all()
        cached = rules.Catalog([item.to_interchange() for item in items])
        with _catalog_lock:
            _catalog_cache.clear()
            _catalog_cache[key] = cached
    return cached


class DatabaseHistory:
    """rules.HistorySource backed by the (target_id_number|target_name, guided_at) indexes."""

    def __init__(self, exclude_record_id: int | None = None):
        self.exclude_record_id = exclude_record_id

    def earlier_records(self, *, target_name: str, target_id_number: str | None,
                        start: datetime, end: datetime) -> Iterable[Mapping]:
        same_target = [GuidanceRecord.target_name == target_name] if target_name else []
        if target_id_number:
            same_target.append(GuidanceRecord.target_id_number == target_id_number.strip().upper())
        if not same_target:
            return []
        query = (select(GuidanceRecord)
                 .where(or_(*same_target), GuidanceRecord.status.in_(COUNTED_STATUSES),
                        GuidanceRecord.guided_at >= start, GuidanceRecord.guided_at < end))
        if self.exclude_record_id is not None:
            query = query.where(GuidanceRecord.id != self.exclude_record_id)
        return [{**r.to_interchange(), "status": r.status} for r in db.session.scalars(query)]


def evaluate_record(data: Mapping, *, phase: str = "submit", record_id: int | None = None,
                    now: datetime | None = None) -> rules.Report:
    return rules.evaluate(dict(data) if isinstance(data, Mapping) else data, phase=phase, catalog=rules_catalog(),
                          history=DatabaseHistory(record_id), now=now)
