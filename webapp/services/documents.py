"""The §6 documents from stored data: what goes into each PDF, and its hash at filing."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import current_app
from rules import vocabulary as vocab
from sqlalchemy import func, select

from webapp.auth.permissions import PUBLIC_STATUSES
from webapp.extensions import db
from webapp.models import CatalogItem, GuidanceRecord
from webapp.models.record import SHANGHAI
from webapp.pdf import (
    DocumentFonts, DocumentRecord, FontConfig, RegisterRow, catalog_pdf, find_fonts,
    guidance_document_pdf, opinion_letter_pdf, register_pdf, sha256_hex,
)
from webapp.services.audit import record_event
from webapp.db_setup import write_transaction

OPINION_METHODS = frozenset({"advice", "admonition"})
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def document_fonts() -> DocumentFonts:
    """The title, heading and body faces (PDF_FONTS)."""
    return find_fonts(current_app.config["PDF_FONTS"])


def document_font() -> FontConfig:
    """The body face alone, for a document that uses one font."""
    return document_fonts().body


def _catalog_item(code: str | None) -> dict | None:
    if not code:
        return None
    item = db.session.scalar(select(CatalogItem).where(CatalogItem.code == code))
    return item.to_interchange() if item else None


def _document_record(record: GuidanceRecord) -> DocumentRecord:
    config = current_app.config
    return DocumentRecord(
        bureau=config["BUREAU_NAME"], number=record.number, status=record.status,
        record=record.to_interchange(), filed_at=record.filed_at, updated_at=record.updated_at,
        number_prefix=config["DOCUMENT_NUMBER_PREFIX"], catalog_item=_catalog_item(record.catalog_code),
        voluntariness_text=config["OPINION_VOLUNTARINESS_TEXT"],
        objection_text=config["OPINION_OBJECTION_TEXT"],
    )


def guidance_document(record: GuidanceRecord) -> bytes:
    """行政指导文书 — every record."""
    return guidance_document_pdf(_document_record(record), document_fonts())


def has_opinion_letter(record: GuidanceRecord) -> bool:
    return record.method in OPINION_METHODS


def opinion_letter(record: GuidanceRecord) -> bytes:
    """行政指导意见书 — advice and admonition only."""
    return opinion_letter_pdf(_document_record(record), document_fonts())


def register_rows(year: int, unit_id: int | None = None) -> list[GuidanceRecord]:
    query = (select(GuidanceRecord).where(GuidanceRecord.status.in_(PUBLIC_STATUSES),
                                          GuidanceRecord.number_year == year)
             .order_by(GuidanceRecord.number_seq))
    if unit_id is not None:
        query = query.where(GuidanceRecord.owner_unit_id == unit_id)
    return db.session.scalars(query).all()


def register(year: int, unit_id: int | None = None, unit_name: str | None = None) -> bytes:
    """行政指导事项登记簿 of one year (optionally one unit); same data → same bytes."""
    records = register_rows(year, unit_id)
    rows = [RegisterRow(seq=i, guided_at=r.guided_at, subject=r.subject or "",
                        result=_result_label(r), officers=list(r.officers or []), number=r.number,
                        target=r.target_name or "")
            for i, r in enumerate(records, start=1)]
    stamp = max((r.updated_at for r in records), default=datetime(year, 1, 1, tzinfo=timezone.utc))
    subtitle = f"{current_app.config['BUREAU_NAME']}　{year}年度" + (f"　{unit_name}" if unit_name else "")
    return register_pdf(rows, title="行政指导事项登记簿", subtitle=subtitle, generated_at=stamp,
                        font=document_fonts())


def _result_label(record: GuidanceRecord) -> str:
    text = vocab.RESULT.get(record.result or "pending", record.result or "")
    return f"{text}（已作废）" if record.status == "voided" else text


def published_catalog() -> list[CatalogItem]:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.published, CatalogItem.active)
                              .order_by(CatalogItem.code)).all()


def catalog_stamp() -> datetime:
    """When the catalog last changed — its 公布日期 until catalog versions exist (SPEC §7)."""
    return db.session.scalar(select(func.max(CatalogItem.updated_at))) or EPOCH


def catalog_date() -> date:
    return catalog_stamp().astimezone(SHANGHAI).date()


def catalog_document() -> bytes:
    items = published_catalog()
    return catalog_pdf([i.to_interchange() for i in items], bureau=current_app.config["BUREAU_NAME"],
                       published_on=catalog_stamp(), font=document_fonts())


def record_document_hash(record_id: int, user_id: int) -> str | None:
    """At filing: the SHA-256 of the 行政指导文书 as filed, kept on the record and in the audit trail.

    Rendered after the filing commits, so the write lock is never held while a PDF is drawn.
    """
    record = db.session.get(GuidanceRecord, record_id)
    try:
        digest = sha256_hex(guidance_document(record))
    except Exception:  # the filing stands; the hash is recorded when the font is fixed and it is re-run
        current_app.logger.exception("document hash for record %s failed", record_id)
        return None
    with write_transaction():
        record = db.session.get(GuidanceRecord, record_id)
        record.document_sha256 = digest
        record_event(entity="record", entity_id=record.id, action="document", user_id=user_id,
                     changes={"document_sha256": {"before": None, "after": digest}},
                     note=f"行政指导文书 SHA-256 {digest}")
    return digest
