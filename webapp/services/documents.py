"""The §6 documents from stored data: what goes into each PDF, and its hash at filing."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from rules import vocabulary as vocab

from webapp.extensions import db, settings
from webapp.models import GuidanceRecord
from webapp.pdf import (
    DocumentRecord, FontConfig, RegisterRow, catalog_pdf, find_font, guidance_document_pdf,
    opinion_letter_pdf, register_pdf, sha256_hex,
)
from webapp.db_setup import write_transaction
from webapp.services import queries
from webapp.services.audit import record_event

log = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def document_font() -> FontConfig:
    return find_font(settings["PDF_FONT_PATH"])


def _document_record(record: GuidanceRecord) -> DocumentRecord:
    return DocumentRecord(
        bureau=settings["BUREAU_NAME"], number=record.number, status=record.status,
        record=record.to_interchange(), filed_at=record.filed_at, updated_at=record.updated_at,
        number_prefix=settings["DOCUMENT_NUMBER_PREFIX"],
    )


def guidance_document(record: GuidanceRecord) -> bytes:
    """行政指导文书 — every record."""
    return guidance_document_pdf(_document_record(record), document_font())


def has_opinion_letter(record: GuidanceRecord) -> bool:
    return record.method in vocab.OPINION_LETTER_METHODS


def opinion_letter(record: GuidanceRecord) -> bytes:
    """行政指导意见书 — advice and admonition only."""
    return opinion_letter_pdf(_document_record(record), document_font())


def register(year: int, unit_id: int | None = None, unit_name: str | None = None) -> bytes:
    """行政指导事项登记簿 of one year (optionally one unit); same data → same bytes."""
    records = queries.document_register_rows(year, unit_id)
    rows = [RegisterRow(seq=i, guided_at=r.guided_at, subject=r.subject or "",
                        result=_result_label(r), officers=list(r.officers or []), number=r.number)
            for i, r in enumerate(records, start=1)]
    stamp = max((r.updated_at for r in records), default=datetime(year, 1, 1, tzinfo=timezone.utc))
    subtitle = f"{settings['BUREAU_NAME']}　{year}年度" + (f"　{unit_name}" if unit_name else "")
    return register_pdf(rows, title="行政指导事项登记簿", subtitle=subtitle, generated_at=stamp,
                        font=document_font())


def _result_label(record: GuidanceRecord) -> str:
    text = vocab.RESULT.get(record.result or "pending", record.result or "")
    return f"{text}（已作废）" if record.status == "voided" else text


def catalog_document() -> bytes:
    items = queries.published_catalog()
    stamp = queries.catalog_stamp() or EPOCH
    return catalog_pdf([i.to_interchange() for i in items], bureau=settings["BUREAU_NAME"],
                       generated_at=stamp, font=document_font())


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
