"""Reading stored records for the impact run in bulk: untyped column batches decoded by hand, a
rules.Reading built without pydantic's per-call cost, and the history rules' earlier records
indexed in one sorted pass. Flask-free."""
from __future__ import annotations

import gc
import json
from array import array
from bisect import bisect_left
from collections import namedtuple
from datetime import date, datetime, timedelta, timezone

import rules
from rules import model as m
from rules.history import EarlierRecord, normalize_id
from rules.model import upper_code
from sqlalchemy import JSON, Boolean, Date, literal_column, select

from webapp.models import GuidanceRecord
from webapp.models.types import UTCDateTime
from webapp.services.rules_bridge import COUNTED_STATUSES

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


def _sqlite_moment(text):
    if text is None or text.__class__ is not str:
        return text
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)  # SQLite keeps naive UTC text


def _sqlite_day(text):
    return date.fromisoformat(text) if text.__class__ is str else text


_parsed: dict[str, object] = {}  # legal bases, officer pairs, conditions repeat: parse each text once


def _sqlite_json(text):
    if text.__class__ is not str:
        return text
    found = _parsed.get(text)
    if found is None:
        if len(_parsed) > 50_000:
            _parsed.clear()
        found = _parsed[text] = json.loads(text)  # shared between rows: fast_reading only reads it
    return found


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


def raw_rows(conn, query, names):
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


def untyped(names):
    table = GuidanceRecord.__table__
    return [literal_column(f"{table.name}.{name}") for name in names]


HISTORY_COLUMNS = ("guided_at", "target_name", "target_id_number", "method", "catalog_code")


def load_history(conn, start: datetime, end: datetime) -> BulkHistory:
    """Every counted record guided in [start, end), in one pass sorted by guided_at."""
    t = GuidanceRecord.__table__.c
    query = (select(*untyped(HISTORY_COLUMNS)).select_from(GuidanceRecord.__table__)
             .where(t.status.in_(COUNTED_STATUSES), t.guided_at >= start, t.guided_at < end)
             .order_by(t.guided_at))
    gc.disable()  # a million small objects: collections in the middle would rescan them again and again
    try:
        return BulkHistory(raw_rows(conn, query, HISTORY_COLUMNS))
    finally:
        gc.enable()
