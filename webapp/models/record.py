"""The guidance record (行政指导记录), review decisions and the per-year number counter."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import rules
from rules import vocabulary
from rules.model import SHANGHAI
from sqlalchemy import false as sa_false
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import Unit, User

STATUSES = vocabulary.STATUS  # SPEC §2 keys and labels, as the validator holds them

# SPEC §3 top-level keys that map one-to-one onto a column of the same name.
PLAIN_FIELDS = (
    "catalog_code", "method", "stage", "form", "initiated_by", "applied_at", "unit", "officers",
    "guided_at", "place", "subject", "content", "problem", "opinion", "legal_basis",
    "informed_of_voluntariness", "written_requested", "oral_confirmation", "contact_person",
    "contact_phone", "admonition_conditions", "project", "follow_up_due", "result", "effect",
)
TARGET_FIELDS = ("name", "kind", "id_number", "contact", "phone")
INTERCHANGE_KEYS = PLAIN_FIELDS[:10] + ("target",) + PLAIN_FIELDS[10:] + ("case",)


def outside_models(name: str | None) -> bool:
    """The engine-specific text search of migration 0004 (SQLite FTS5 tables, PostgreSQL trigram
    indexes) has no model: autogenerate and the schema test leave these names alone."""
    return bool(name) and (name.startswith("guidance_record_search") or name.endswith("_trgm"))


class GuidanceRecord(db.Model):
    __tablename__ = "guidance_record"
    __table_args__ = (
        UniqueConstraint("number_year", "number_seq", name="uq_record_number_year_seq"),
        Index("ix_record_target_id_guided", "target_id_number", "guided_at"),
        Index("ix_record_target_key_guided", "target_name_key", "guided_at"),
        Index("ix_record_owner_status", "owner_unit_id", "status"),
        Index("ix_record_status_id", "status", "id"),
        # The register at a million records (migration 0004, measured in bench/register_bench.py).
        Index("ix_record_unit_number", "owner_unit_id", "number_year", "number_seq"),
        Index("ix_record_status_number", "status", "number_year", "number_seq"),
        Index("ix_record_catalog_number", "catalog_code", "number_year", "number_seq", "status", "owner_unit_id"),
        Index("ix_record_guided_cover", "guided_at", "number_year", "number_seq", "owner_unit_id", "method",
              "status", "stage", "catalog_code", "result", "good_practice", "id"),
        Index("ix_record_unit_guided_cover", "owner_unit_id", "guided_at", "method", "status", "number_year",
              "number_seq", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_seq: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # SPEC §3 fields. Free text is unbounded in the database: the rules report length limits,
    # and a draft must keep whatever the officer typed.
    catalog_code: Mapped[str | None] = mapped_column(String(30))  # indexed by ix_record_catalog_number
    method: Mapped[str | None] = mapped_column(String(30))
    stage: Mapped[str | None] = mapped_column(String(20))
    form: Mapped[str | None] = mapped_column(String(20))
    initiated_by: Mapped[str | None] = mapped_column(String(20))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit: Mapped[str | None] = mapped_column(String)
    officers: Mapped[list] = mapped_column(JSON, default=list)
    guided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # indexed by ix_record_guided_cover
    place: Mapped[str | None] = mapped_column(String)
    target_name: Mapped[str | None] = mapped_column(String)
    # rules.target_key(target_name): how the history rules compare targets (NFKC, case, spaces).
    target_name_key: Mapped[str | None] = mapped_column(String)
    target_kind: Mapped[str | None] = mapped_column(String(20))
    target_id_number: Mapped[str | None] = mapped_column(String)
    target_contact: Mapped[str | None] = mapped_column(String)
    target_phone: Mapped[str | None] = mapped_column(String)
    subject: Mapped[str | None] = mapped_column(String)
    content: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    opinion: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[list] = mapped_column(JSON, default=list)
    informed_of_voluntariness: Mapped[bool | None] = mapped_column(Boolean)
    written_requested: Mapped[bool | None] = mapped_column(Boolean)
    oral_confirmation: Mapped[str | None] = mapped_column(String(30))
    contact_person: Mapped[str | None] = mapped_column(String)
    contact_phone: Mapped[str | None] = mapped_column(String)
    admonition_conditions: Mapped[dict | None] = mapped_column(JSON)
    case_info: Mapped[dict | None] = mapped_column("case_info", JSON)
    project: Mapped[dict | None] = mapped_column(JSON)
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(30))
    effect: Mapped[str | None] = mapped_column(Text)

    # Workflow.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)
    ruleset_version: Mapped[str | None] = mapped_column(String(40))
    catalog_version: Mapped[int | None] = mapped_column(Integer)  # the 目录清单 version checked at submit
    last_report: Mapped[dict | None] = mapped_column(JSON)
    filed_report: Mapped[dict | None] = mapped_column(JSON)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    # The rules' report of the draft as last saved (GET never re-evaluates).
    draft_report: Mapped[dict | None] = mapped_column(JSON)
    # The officer's 说明理由 per kept warning ("rule|field" → text): for the reviewer only.
    warning_reasons: Mapped[dict | None] = mapped_column(JSON)
    # 典型经验: marked by a reviewer on a filed or closed record.
    good_practice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    good_practice_reason: Mapped[str | None] = mapped_column(Text)
    good_practice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner_unit: Mapped[Unit] = relationship(foreign_keys=[owner_unit_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="record", order_by="ReviewDecision.id"
    )

    @property
    def status_label(self) -> str:
        return vocabulary.RECORD_STATES.get(self.status, self.status)

    def to_interchange(self) -> dict[str, Any]:
        """The record in the SPEC §3 format (JSON-ready: ISO dates, Shanghai offsets)."""
        data: dict[str, Any] = {}
        for key in INTERCHANGE_KEYS:
            if key == "target":
                data["target"] = {f: getattr(self, f"target_{f}") for f in TARGET_FIELDS}
            elif key == "case":
                data["case"] = self.case_info
            else:
                data[key] = _jsonable(getattr(self, key))
        return data

    def apply_interchange(self, data: dict[str, Any]) -> None:
        """Set fields from parsed §3 values (datetimes aware, dates as date); keys absent stay."""
        for key, value in data.items():
            if key == "target":
                for f in TARGET_FIELDS:
                    if value is None or f in value:
                        setattr(self, f"target_{f}", None if value is None else value.get(f))
                self.target_name_key = rules.target_key(self.target_name)
            elif key == "case":
                self.case_info = value
            elif key in PLAIN_FIELDS:
                setattr(self, key, value)
            else:
                raise KeyError(key)

    def __repr__(self) -> str:
        return f"<GuidanceRecord {self.id} {self.status} {self.number or ''}>"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class ReviewDecision(db.Model):
    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("guidance_record.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(20))  # approve | return
    comment: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict | None] = mapped_column(JSON)  # the findings the reviewer saw
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the submit decided on (turnaround)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[GuidanceRecord] = relationship(back_populates="decisions")
    reviewer: Mapped[User] = relationship()


class NumberCounter(db.Model):
    """Last document number issued per year; locked while filing so numbers stay gapless."""

    __tablename__ = "number_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class RegisterTally(db.Model):
    """Records per unit, state, guidance year (Asia/Shanghai; 0 = not yet guided), method, stage
    ("" = not chosen yet) and good-practice mark.

    Kept by database triggers (migration 0004), never by the application: the register counts
    a million records by summing a few thousand rows of this table.
    """

    __tablename__ = "register_tally"

    owner_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    method: Mapped[str] = mapped_column(String(30), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    good_practice: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
