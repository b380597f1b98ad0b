"""The §6 documents from stored data: what goes into each PDF, and its hash at filing."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from rules import vocabulary as vocab
from rules.model import SHANGHAI

from webapp.db_setup import write_transaction
from webapp.extensions import db, settings
from webapp.models import GuidanceRecord
from webapp.pdf import (
    DocumentFonts, DocumentRecord, FontConfig, catalog_pdf, find_fonts, guidance_document_pdf,
    opinion_letter_pdf, sha256_hex,
)
from webapp.services import queries
from webapp.services.audit import record_event

log = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def document_fonts() -> DocumentFonts:
    """The title, heading and body faces (PDF_FONTS)."""
    return find_fonts(settings["PDF_FONTS"])


def document_font() -> FontConfig:
    """The body face alone, for a document that uses one font."""
    return document_fonts().body


def _catalog_item(code: str | None) -> dict | None:
    item = queries.catalog_item(code)
    return item.to_interchange() if item else None


def _document_record(record: GuidanceRecord) -> DocumentRecord:
    config = settings
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
    return record.method in vocab.OPINION_LETTER_METHODS


def opinion_letter(record: GuidanceRecord) -> bytes:
    """行政指导意见书 — advice and admonition only."""
    return opinion_letter_pdf(_document_record(record), document_fonts())


def catalog_stamp() -> datetime:
    """When the catalog last changed — its 公布日期 until catalog versions exist (SPEC §7)."""
    return queries.catalog_stamp() or EPOCH


def catalog_date() -> date:
    return catalog_stamp().astimezone(SHANGHAI).date()


def catalog_document() -> bytes:
    items = queries.published_catalog()
    return catalog_pdf([i.to_interchange() for i in items], bureau=settings["BUREAU_NAME"],
                       published_on=catalog_stamp(), font=document_fonts())


def record_document_hash(record_id: int, user_id: int) -> str | None:
    """At filing: the SHA-256 of the 行政指导文书 as filed, kept on the record and in the audit trail.

    Rendered after the filing commits, so the write lock is never held while a PDF is drawn.
    """
    record = db.session.get(GuidanceRecord, record_id)
    try:
        digest = sha256_hex(guidance_document(record))
    except Exception:  # the filing stands; the hash is recorded when the font is fixed and it is re-run
        log.exception("document hash for record %s failed", record_id)
        return None
    with write_transaction():
        record = db.session.get(GuidanceRecord, record_id)
        record.document_sha256 = digest
        record_event(entity="record", entity_id=record.id, action="document", user_id=user_id,
                     changes={"document_sha256": {"before": None, "after": digest}},
                     note=f"行政指导文书 SHA-256 {digest}")
    return digest
