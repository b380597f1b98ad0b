"""档案: documents stored as issued, attachments, and background jobs (the year archive).

File bytes live outside the database, content-addressed by SHA-256 (services/files.py); these
rows say which record a file belongs to, what it is, and who stored it when.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User

DOCUMENT_KINDS = ("guidance", "opinion")  # 行政指导文书, 行政指导意见书
DOCUMENT_STATES = ("filed", "closed", "voided")  # 备案版, 办结版, 作废版
JOB_STATUSES = ("queued", "running", "done", "failed")


class DocumentVersion(db.Model):
    """A document as issued in one state of its record: rendered once, never changed (0005 triggers)."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("record_id", "kind", "state", name="uq_document_version_kind_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("guidance_record.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DocumentVersion {self.record_id} {self.kind} {self.state} {self.sha256[:12]}>"


class Attachment(db.Model):
    """A file attached to a record; `name` is the uploader's file name, for display only."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("record_id", "sha256", name="uq_attachment_record_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("guidance_record.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(255))
    pages: Mapped[int | None] = mapped_column(Integer)  # PDFs only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Attachment {self.id} of {self.record_id} {self.media_type} {self.sha256[:12]}>"


class Job(db.Model):
    """Work done by `flask --app webapp worker`, off the request: queued → running → done | failed."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    message: Mapped[str | None] = mapped_column(String(200))
    result_path: Mapped[str | None] = mapped_column(String(500))  # relative to FILES_FOLDER
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()
