"""抽查 (issue 12.3): a filing that no reviewer saw, drawn at random for a reviewer to check."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.record import GuidanceRecord
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User


class SpotCheck(db.Model):
    __tablename__ = "spot_check"
    __table_args__ = (Index("ix_spot_check_result_drawn", "result", "drawn_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("guidance_record.id"), unique=True)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    draw_value: Mapped[float] = mapped_column(Float)  # the uniform number in [0, 1) that fell below the rate
    rate: Mapped[float] = mapped_column(Float)  # SPOT_CHECK_RATE at the draw
    result: Mapped[str | None] = mapped_column(String(20))  # None: waiting | clean | problem
    note: Mapped[str | None] = mapped_column(Text)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[GuidanceRecord] = relationship()
    checked_by: Mapped[User | None] = relationship()
