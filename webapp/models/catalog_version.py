"""Published versions of the 目录清单 and the one working draft they are published from."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User


class CatalogVersion(db.Model):
    """One publication: the whole catalog as published (catalog.json's shape), never changed."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    published_on: Mapped[date] = mapped_column(Date)  # 公布日期
    doc_number: Mapped[str | None] = mapped_column(String(100))  # 文号
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[list] = mapped_column(JSON, default=list)
    impact_job_id: Mapped[int | None] = mapped_column(Integer)  # the change-impact run looked at
    note: Mapped[str | None] = mapped_column(Text)

    published_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<CatalogVersion {self.number}>"


class CatalogDraft(db.Model):
    """The one working draft (id 1); `revision` is its optimistic lock."""

    __tablename__ = "catalog_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    updated_by: Mapped[User | None] = relationship()
