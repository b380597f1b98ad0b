"""The web app's side of the rules engine: catalog from the database, history from an indexed
query, and a stored record handed over in its parsed form (never re-serialised and parsed)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from threading import Lock

import rules
from rules import model as m
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
    """rules.HistorySource backed by the (target_id_number|target_name_key, guided_at) indexes."""

    def __init__(self, exclude_record_id: int | None = None):
        self.exclude_record_id = exclude_record_id

    def earlier_records(self, *, target_name: str, target_id_number: str | None,
                        start: datetime, end: datetime) -> Iterable[Mapping]:
        key = rules.target_key(target_name)
        same_target = [GuidanceRecord.target_name_key == key] if key else []
        if target_id_number:
            same_target.append(GuidanceRecord.target_id_number == target_id_number.strip().upper())
        if not same_target:
            return []
        query = (select(GuidanceRecord.guided_at, GuidanceRecord.target_name,
                        GuidanceRecord.target_id_number, GuidanceRecord.method,
                        GuidanceRecord.catalog_code, GuidanceRecord.status)
                 .where(or_(*same_target), GuidanceRecord.status.in_(COUNTED_STATUSES),
                        GuidanceRecord.guided_at >= start, GuidanceRecord.guided_at < end))
        if self.exclude_record_id is not None:
            query = query.where(GuidanceRecord.id != self.exclude_record_id)
        return [{"guided_at": row.guided_at.isoformat(), "method": row.method,
                 "catalog_code": row.catalog_code, "status": row.status,
                 "target": {"name": row.target_name, "id_number": row.target_id_number}}
                for row in db.session.execute(query)]


def evaluate_reading(reading: rules.Reading, *, phase: str = "submit", record_id: int | None = None,
                     now: datetime | None = None) -> rules.Report:
    from webapp.services.rule_params import current_ruleset  # the published params overlay

    return rules.evaluate(reading, phase=phase, catalog=rules_catalog(),
                          history=DatabaseHistory(record_id), now=now, ruleset=current_ruleset())


def evaluate_stored(record: GuidanceRecord, *, phase: str = "submit", now: datetime | None = None) -> rules.Report:
    """A stored record's one evaluation, from its columns (already normalised when saved)."""
    return evaluate_reading(stored_reading(record), phase=phase, record_id=record.id, now=now)


def _model(cls, data: Mapping | None, **convert):
    if data is None:
        return None
    values = {key: data.get(key) for key in cls.model_fields}
    for key, fn in convert.items():
        if values.get(key) is not None:
            values[key] = fn(values[key])
    return cls.model_construct(**values)


def stored_reading(record: GuidanceRecord) -> rules.Reading:
    """The record's columns as the validator's parsed model; values were parsed when saved."""
    target = {f: getattr(record, f"target_{f}") for f in ("name", "kind", "id_number", "contact", "phone")}
    parsed = m.GuidanceRecord.model_construct(
        catalog_code=record.catalog_code, method=record.method, stage=record.stage, form=record.form,
        initiated_by=record.initiated_by, applied_at=record.applied_at, unit=record.unit,
        officers=list(record.officers) if record.officers is not None else None,
        guided_at=record.guided_at, place=record.place,
        target=_model(m.Target, target) if any(v is not None for v in target.values()) else None,
        subject=record.subject, content=record.content, problem=record.problem, opinion=record.opinion,
        legal_basis=[_model(m.LegalBasis, b) for b in record.legal_basis]
        if record.legal_basis is not None else None,
        informed_of_voluntariness=record.informed_of_voluntariness,
        written_requested=record.written_requested, oral_confirmation=record.oral_confirmation,
        contact_person=record.contact_person, contact_phone=record.contact_phone,
        admonition_conditions=_model(m.AdmonitionConditions, record.admonition_conditions),
        case=_model(m.Case, record.case_info, closed_on=_day),
        project=_model(m.Project, record.project),
        follow_up_due=record.follow_up_due, result=record.result, effect=record.effect,
    )
    return rules.Reading.of(parsed)


def _day(value):
    return value if isinstance(value, date) else date.fromisoformat(value)
