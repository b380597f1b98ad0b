"""The published guidance catalog (行政指导事项目录清单)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class CatalogItem(db.Model):
    __tablename__ = "catalog_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(50))
    responsible_unit: Mapped[str] = mapped_column(String(100))
    methods: Mapped[list] = mapped_column(JSON, default=list)  # Chinese labels, as catalog.json
    stages: Mapped[list] = mapped_column(JSON, default=list)
    legal_basis: Mapped[list] = mapped_column(JSON, default=list)  # [{law, articles[]}]
    target_scope: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def to_interchange(self) -> dict:
        """The catalog.json shape the rules engine and the documents take."""
        item = {
            "code": self.code,
            "name": self.name,
            "field": self.field,
            "responsible_unit": self.responsible_unit,
            "methods": list(self.methods),
            "stages": list(self.stages),
            "legal_basis": list(self.legal_basis),
            "target_scope": self.target_scope or "",
            "published": self.published,
            "active": self.active,
        }
        if self.notes:
            item["notes"] = self.notes
        return item

    def __repr__(self) -> str:
        return f"<CatalogItem {self.code}>"
