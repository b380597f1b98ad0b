"""Append-only audit trail: who, when, what, before → after."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "id"),
                      Index("uq_audit_event_seq", "seq", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entity: Mapped[str] = mapped_column(String(30))  # record | user | catalog_item | unit
    entity_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: {"before": …, "after": …}}
    note: Mapped[str | None] = mapped_column(String)
    # The hash chain (migration 0012): position, the previous event's hash, this event's hash over
    # its content and prev_hash; for a record event, the record's content hash after the change.
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    record_sha256: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()


class AuditChainHead(db.Model):
    """The chain's last position and hash (one row): locked while events are appended, so the
    chain stays one line under concurrent writers on PostgreSQL."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditText(db.Model):
    """A long text of an event's changes, stored once by its SHA-256 and referenced from the events."""

    __tablename__ = "audit_text"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class AuditIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target):
    raise AuditIsAppendOnly(f"audit event {target.id} cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target):
    raise AuditIsAppendOnly(f"audit event {target.id} cannot be deleted")
