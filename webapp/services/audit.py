"""Writing audit events and computing field-level diffs; sealing them into the hash chain.

record_event() queues an event in the session; when the transaction commits, the queued events
get the record's content hash after the change and their place in the chain (under the lock of
the chain's head row), then are inserted in the same transaction.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import AuditEvent
from webapp.models.audit import AuditChainHead, AuditText
from webapp.models.types import utcnow
from webapp.services.chain import GENESIS, LONG_TEXT_BYTES, event_hash, normalised, record_hashes, sha256_text

PENDING, TEXTS = "audit_pending", "audit_texts"
TEXT_REF = "$text"  # {"$text": sha256, "chars": n}: a long text stored once in audit_text
NUMBERS_SKIPPED = "numbers_skipped"  # entity "number_counter", entity_id = year; changes year/from/to


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-level changes between two flat-or-nested dicts; nested dicts diff by dotted key."""
    changes: dict[str, dict[str, Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            for sub, change in diff(old, new).items():
                changes[f"{key}.{sub}"] = change
        elif old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def record_event(*, entity: str, entity_id: int, action: str, user_id: int | None,
                 changes: dict | None = None, note: str | None = None) -> AuditEvent:
    """Queue an event; it is sealed into the chain and inserted when the transaction commits."""
    session = db.session()
    texts = session.info.setdefault(TEXTS, {})
    event_ = AuditEvent(entity=entity, entity_id=entity_id, action=action, user_id=user_id, at=utcnow(),
                        changes=_referenced(normalised(changes or {}), texts), note=note)
    session.info.setdefault(PENDING, []).append(event_)
    return event_


def record_numbers_skipped(year: int, first: int, last: int, *, user_id: int | None = None,
                           note: str | None = None) -> AuditEvent:
    """号段说明: numbers first…last of `year` were never issued (e.g. skipped after a restore);
    `verify` accepts exactly these gaps in the year's sequence."""
    return record_event(entity="number_counter", entity_id=year, action=NUMBERS_SKIPPED, user_id=user_id,
                        changes={"year": {"before": None, "after": year}, "from": {"before": None, "after": first},
                                 "to": {"before": None, "after": last}}, note=note)


def _referenced(value: Any, texts: dict[str, str]) -> Any:
    """Long strings replaced by a reference; each text is stored once however many events carry it."""
    if isinstance(value, str) and len(value.encode("utf-8")) > LONG_TEXT_BYTES:
        digest = sha256_text(value)
        texts[digest] = value
        return {TEXT_REF: digest, "chars": len(value)}
    if isinstance(value, dict):
        return {key: _referenced(item, texts) for key, item in value.items()}
    if isinstance(value, list):
        return [_referenced(item, texts) for item in value]
    return value


def expand_texts(changes: Any) -> Any:
    """An event's changes with every long-text reference replaced by its text (for display)."""
    wanted: set[str] = set()
    _collect_refs(changes, wanted)
    if not wanted:
        return changes
    bodies = dict(db.session.execute(select(AuditText.sha256, AuditText.body)
                                     .where(AuditText.sha256.in_(wanted))).all())
    return _expanded(changes, bodies)


def _collect_refs(value: Any, into: set[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get(TEXT_REF), str):
            into.add(value[TEXT_REF])
            return
        for item in value.values():
            _collect_refs(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect_refs(item, into)


def _expanded(value: Any, bodies: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get(TEXT_REF), str):
            return bodies.get(value[TEXT_REF], value)
        return {key: _expanded(item, bodies) for key, item in value.items()}
    if isinstance(value, list):
        return [_expanded(item, bodies) for item in value]
    return value


def chain_head(leave_out: tuple[str, ...] = ()) -> tuple[str, int]:
    """(hash, count) of the chain's last event: written into backups and archives, checked by
    `verify --since-head`. leave_out: the last event of another action (still a point in the chain)."""
    query = select(AuditEvent.hash, AuditEvent.seq).where(AuditEvent.seq.is_not(None))
    if leave_out:
        query = query.where(AuditEvent.action.not_in(leave_out))
    row = db.session.execute(query.order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row.hash, row.seq) if row else (GENESIS, 0)


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _locked_head(session: Session) -> AuditChainHead:
    session.execute(_insert(session)(AuditChainHead).values(id=1, seq=0, hash=GENESIS)
                    .on_conflict_do_nothing(index_elements=["id"]))
    return session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1)
                          .with_for_update().execution_options(populate_existing=True))


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    texts = session.info.pop(TEXTS, None)
    if not pending:
        return
    session.flush()  # the records as this transaction leaves them
    if texts:
        session.execute(_insert(session)(AuditText).values([{"sha256": k, "body": v} for k, v in texts.items()])
                        .on_conflict_do_nothing(index_elements=["sha256"]))
    record_ids = {e.entity_id for e in pending if e.entity == "record"}
    hashes = dict(record_hashes(session.connection(), record_ids)) if record_ids else {}
    head = _locked_head(session)
    for e in pending:
        e.record_sha256 = hashes.get(e.entity_id) if e.entity == "record" else None
        e.seq, e.prev_hash = head.seq + 1, head.hash
        e.hash = event_hash(seq=e.seq, prev_hash=e.prev_hash, at=e.at, user_id=e.user_id, entity=e.entity,
                            entity_id=e.entity_id, action=e.action, changes=e.changes, note=e.note,
                            record_sha256=e.record_sha256)
        head.seq, head.hash = e.seq, e.hash
        session.add(e)
    session.flush()


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction) -> None:
    if transaction.parent is None:  # rolled back (or committed): queued events go with it
        session.info.pop(PENDING, None)
        session.info.pop(TEXTS, None)
