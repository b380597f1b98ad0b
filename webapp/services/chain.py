"""The audit hash chain and record content hashes: pure functions over stored values.

Used by the sealing of new events (services/audit.py), by `verify` and by migration 0012's
backfill, so all three compute byte-for-byte the same canonical JSON from what the database holds.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection

GENESIS = "0" * 64  # prev_hash of the first event
LONG_TEXT_BYTES = 1024  # longer texts in an event's changes are stored once in audit_text

# The stored fields a record's content hash covers. Derived data (draft/last reports, the
# target's comparison key) is left out: it is recomputed without an audit event.
RECORD_HASH_FIELDS = (
    "id", "status", "number", "number_year", "number_seq", "version", "owner_unit_id", "created_by_id",
    "updated_by_id", "created_at", "updated_at", "catalog_code", "method", "stage", "form", "initiated_by",
    "applied_at", "unit", "officers", "guided_at", "place", "target_name", "target_kind", "target_id_number",
    "target_contact", "target_phone", "subject", "content", "problem", "opinion", "legal_basis",
    "informed_of_voluntariness", "written_requested", "oral_confirmation", "contact_person", "contact_phone",
    "admonition_conditions", "case_info", "project", "follow_up_due", "result", "effect", "submitted_at",
    "filed_at", "closed_at", "voided_at", "void_reason", "ruleset_version", "filed_report", "document_sha256",
    "good_practice", "good_practice_reason", "good_practice_at",
)
DECISION_FIELDS = ("id", "reviewer_id", "decision", "comment", "submitted_at", "at")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: one text for one value on every engine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def normalised(value: Any) -> Any:
    """The value as it reads back from a JSON column (tuples → lists, keys → strings, dates → ISO)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=_plain))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(*, seq: int, prev_hash: str, at: datetime, user_id: int | None, entity: str, entity_id: int,
               action: str, changes: Any, note: str | None, record_sha256: str | None) -> str:
    content = {"seq": seq, "prev_hash": prev_hash, "at": _plain(at), "user_id": user_id, "entity": entity,
               "entity_id": entity_id, "action": action, "changes": changes or {}, "note": note,
               "record_sha256": record_sha256}
    return sha256_text(canonical(content))


def record_hash(values: Mapping[str, Any], decisions: Iterable[Mapping[str, Any]]) -> str:
    content = {name: _plain(values[name]) for name in RECORD_HASH_FIELDS}
    content["decisions"] = [{name: _plain(d[name]) for name in DECISION_FIELDS}
                            for d in sorted(decisions, key=lambda d: d["id"])]
    return sha256_text(canonical(content))


def record_hashes(connection: Connection, record_ids: Iterable[int] | None = None,
                  batch: int = 2000) -> Iterator[tuple[int, str]]:
    """(record id, content hash) as stored now: of the given records, or of all, in id order."""
    from webapp.models import GuidanceRecord, ReviewDecision

    records, decisions = GuidanceRecord.__table__, ReviewDecision.__table__
    columns = [records.c[name] for name in RECORD_HASH_FIELDS]
    wanted = sorted(set(record_ids)) if record_ids is not None else None
    last = 0
    while True:
        query = select(*columns).order_by(records.c.id).limit(batch)
        if wanted is not None:
            chunk, wanted = wanted[:batch], wanted[batch:]
            if not chunk:
                return
            query = query.where(records.c.id.in_(chunk))
        else:
            query = query.where(records.c.id > last)
        rows = [row._mapping for row in connection.execute(query)]
        if not rows:
            return
        ids = [row["id"] for row in rows]
        by_record: dict[int, list] = {i: [] for i in ids}
        for d in connection.execute(select(decisions.c.record_id, *[decisions.c[n] for n in DECISION_FIELDS])
                                    .where(decisions.c.record_id.in_(ids))):
            by_record[d.record_id].append(d._mapping)
        for row in rows:
            yield row["id"], record_hash(row, by_record[row["id"]])
        last = ids[-1]
