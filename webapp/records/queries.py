"""Read-side queries for the record pages (no commits here)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from webapp.auth.permissions import PUBLIC_STATUSES
from webapp.extensions import db
from webapp.models import AuditEvent, CatalogItem, GuidanceRecord, User


@dataclass
class Page:
    items: list
    page: int
    pages: int
    total: int


def paginate(query, page: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items, page, pages, total)


def unit_records(unit_id: int, status: str | None):
    query = select(GuidanceRecord).where(GuidanceRecord.owner_unit_id == unit_id)
    if status:
        query = query.where(GuidanceRecord.status == status)
    return query.order_by(GuidanceRecord.updated_at.desc(), GuidanceRecord.id.desc())


def unit_status_counts(unit_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(GuidanceRecord.status, func.count()).where(GuidanceRecord.owner_unit_id == unit_id)
        .group_by(GuidanceRecord.status)).all())


def filed_records():
    return (select(GuidanceRecord).where(GuidanceRecord.status.in_(PUBLIC_STATUSES))
            .order_by(GuidanceRecord.number_year.desc(), GuidanceRecord.number_seq.desc()))


def review_queue():
    return (select(GuidanceRecord).where(GuidanceRecord.status == "pending_review")
            .order_by(GuidanceRecord.submitted_at))


def audit_trail(record_id: int) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "record", AuditEvent.entity_id == record_id)
        .order_by(AuditEvent.id)).all()


def active_catalog_items() -> list[CatalogItem]:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.active)
                              .order_by(CatalogItem.code)).all()


def catalog_item(code: str | None) -> CatalogItem | None:
    if not code:
        return None
    return db.session.scalar(select(CatalogItem).where(CatalogItem.code == code.strip()))


def unit_officer_names(unit_id: int) -> list[str]:
    return db.session.scalars(select(User.display_name).where(User.unit_id == unit_id, User.active)
                              .order_by(User.display_name)).all()
