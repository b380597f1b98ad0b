"""Rule-parameter versions (规则参数版本): the admin's draft overlay, its published versions, and
the change-impact runs that must be looked at before a draft is published."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.archive import Job
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User


class RulesetVersion(db.Model):
    """A published overlay of rule params; a record's `ruleset_version` names the `ruleset` it was checked by."""

    __tablename__ = "ruleset_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    published_on: Mapped[date] = mapped_column(Date)
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # {rule id: {param: value}}
    ruleset: Mapped[str] = mapped_column(String(40))  # the effective RuleSet.version ("base+digest")
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    impact_job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))

    published_by: Mapped[User] = relationship()


class RulesetDraft(db.Model):
    """The one draft overlay being edited (id 1); `version` refuses a stale save."""

    __tablename__ = "ruleset_draft"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    updated_by: Mapped[User | None] = relationship()


class ImpactRun(db.Model):
    """What an impact job compares and what it found; `looked_at` is set when a reviewer/admin opens the report."""

    __tablename__ = "impact_run"

    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    label: Mapped[str] = mapped_column(String(200))
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    items: Mapped[list | None] = mapped_column(JSON)  # None: the current catalog
    params: Mapped[dict | None] = mapped_column(JSON)  # None: the current rule params
    result: Mapped[dict | None] = mapped_column(JSON)
    looked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    looked_at_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    job: Mapped[Job] = relationship()
