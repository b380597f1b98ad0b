"""The §6 documents from stored data: what goes into each PDF, and the versions kept as issued."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from rules import RULESET
from rules import vocabulary as vocab
from rules.explain import edition_words, plain_rules
from rules.model import SHANGHAI

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.db_setup import write_transaction
from webapp.extensions import db, settings
from webapp.models import DocumentVersion, GuidanceRecord
from webapp.pdf import (
    DocumentFonts, DocumentRecord, FontConfig, catalog_pdf, find_fonts, guidance_document_pdf,
    opinion_letter_pdf, rules_handout_pdf,
)
from webapp.services import Conflict, catalog_versions, queries
from webapp.services.audit import record_event
from webapp.models.types import utcnow
from webapp.services.files import Stored, file_store
from webapp.services.numbering import document_number, likely_next_number

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
        attachments=[{"label": a.label, "name": a.name, "pages": a.pages, "size": a.size}
                     for a in queries.record_attachments(record.id)],
    )


def guidance_document(record: GuidanceRecord) -> bytes:
    """行政指导文书 — every record; as issued once filed."""
    return issued_document(record, "guidance")


def has_opinion_letter(record: GuidanceRecord) -> bool:
    return record.method in vocab.OPINION_LETTER_METHODS


def opinion_letter(record: GuidanceRecord) -> bytes:
    """行政指导意见书 — advice and admonition only; as issued once filed."""
    return issued_document(record, "opinion")


def catalog_stamp() -> datetime:
    """When the catalog last changed — its 公布日期 until catalog versions exist (SPEC §7)."""
    return queries.catalog_stamp() or EPOCH


def catalog_date() -> date:
    return catalog_stamp().astimezone(SHANGHAI).date()


def rules_handout() -> bytes:
    """The rule set as a training handout (干部学习), dated with the day the rules took effect."""
    effective = RULESET.effective or date(2026, 1, 1)
    return rules_handout_pdf(plain_rules(), title="行政指导记录检查规则", edition=edition_words(),
                             bureau=settings["BUREAU_NAME"], font=document_fonts(),
                             generated_at=datetime(effective.year, effective.month, effective.day))


def catalog_document(number: int | None = None) -> bytes:
    """The published catalog (current version, or version `number`) as issued on its 公布日期."""
    if number is not None:
        edition = catalog_versions.version(number)
        items = catalog_versions.public_items(edition)
    else:  # catalog_item holds the current version
        edition = catalog_versions.current_version()
        items = [i.to_interchange() for i in queries.published_catalog()]
    return catalog_pdf(items, bureau=settings["BUREAU_NAME"], font=document_fonts(),
                       published_on=edition.published_on if edition else catalog_stamp(),
                       edition=vocab.CATALOG_VERSION.format(number=edition.number) if edition else None)


# --- documents as issued: stored once per state, served byte for byte --------------------------

# The versions a record's state issues: 备案 the 文书 (and 意见书), 办结 a 文书 with the result,
# 作废 both with the 作废 mark. A closed record's 意见书 is the one issued at filing.
ISSUED_KINDS = {"filed": ("guidance", "opinion"), "closed": ("guidance",), "voided": ("guidance", "opinion")}


def needed_versions(record: GuidanceRecord, status: str | None = None) -> list[tuple[str, str]]:
    """(kind, state) of every version the record's current state (or `status`) should have stored."""
    status = status or record.status
    return [(kind, status) for kind in ISSUED_KINDS.get(status, ())
            if kind == "guidance" or has_opinion_letter(record)]


def serving_state(record: GuidanceRecord, kind: str) -> str | None:
    """Which stored version a download of `kind` serves now; None: render live (draft, pending)."""
    if record.status not in ISSUED_KINDS:
        return None
    if kind == "opinion" and record.status == "closed":
        return "filed"
    return record.status


def version_title(version: DocumentVersion) -> str:
    """备案版行政指导文书 — how an officer names a stored version."""
    return vocab.DOCUMENT_STATES[version.state] + vocab.DOCUMENT_KINDS[version.kind]


def _render(record: GuidanceRecord, kind: str) -> bytes:
    return _render_document(_document_record(record), kind)


def _render_document(doc: DocumentRecord, kind: str) -> bytes:
    if kind == "guidance":
        return guidance_document_pdf(doc, document_fonts())
    return opinion_letter_pdf(doc, document_fonts())


@dataclass
class Prerendered:
    """The filed versions drawn before the filing takes the write lock, for the number it will
    most likely get (bench/filing_bench.py: drawing them under the lock held it ~9× longer)."""

    at: datetime  # the filing's moment, printed on them
    number_year: int
    number_seq: int
    versions: dict[tuple[str, str], tuple[DocumentRecord, Stored]]


def prerender_filing(record: GuidanceRecord) -> Prerendered:
    """Draw and store (content-addressed, harmless if unused) the versions a filing of `record` now
    would issue; the transaction uses them only if what they print is exactly what it files."""
    year = utcnow().astimezone(SHANGHAI).year
    seq = likely_next_number(year)
    at = utcnow()  # after the counter was read: a filing that takes this number cannot be earlier
    doc = replace(_document_record(record), number=document_number(year, seq), status="filed",
                  filed_at=at, updated_at=at)
    versions = {(kind, state): (doc, file_store().put(_render_document(doc, kind)))
                for kind, state in needed_versions(record, status="filed")}
    return Prerendered(at, year, seq, versions)


def store_issued_versions(record: GuidanceRecord, user_id: int | None,
                          prerendered: Prerendered | None = None) -> list[DocumentVersion]:
    """Inside the caller's write transaction: render and store the versions the record's state
    issues and has not stored yet (idempotent), each with its audit event and hash.

    A filing, closing or voiding calls this in its own transaction, so the state change and its
    documents commit together or not at all; the filed 文书's hash is also kept as `document_sha256`.
    """
    db.session.flush()  # the number and state the documents print
    created = []
    drawn = prerendered.versions if prerendered else {}
    for kind, state in needed_versions(record):
        if queries.document_version(record.id, kind, state) is not None:
            continue
        doc = _document_record(record)
        if (kind, state) in drawn and drawn[(kind, state)][0] == doc:
            stored = drawn[(kind, state)][1]  # drawn before the lock from exactly this content
        else:  # content-addressed: a rollback leaves a harmless orphan file
            stored = file_store().put(_render_document(doc, kind))
        version = DocumentVersion(record_id=record.id, kind=kind, state=state, sha256=stored.sha256,
                                  size=stored.size, created_by_id=user_id)
        db.session.add(version)
        changes = {"sha256": {"before": None, "after": stored.sha256}}
        if (kind, state) == ("guidance", "filed") and record.document_sha256 != stored.sha256:
            changes["document_sha256"] = {"before": record.document_sha256, "after": stored.sha256}
            record.document_sha256 = stored.sha256
        record_event(entity="record", entity_id=record.id, action="document", user_id=user_id,
                     changes=changes, note=f"{version_title(version)} SHA-256 {stored.sha256}")
        created.append(version)
    return created


def store_document_versions(record_id: int, user_id: int | None, *, quiet: bool = False) -> list[DocumentVersion]:
    """Complete a record whose issued versions are missing (filed before filing was one
    transaction, or restored from such a backup): on the next touch and by `verify --repair`.

    quiet: log a failure instead of raising (the caller's answer does not depend on it)."""
    record = queries.fresh_record(record_id)
    if record is None or all(queries.document_version(record_id, *need) is not None
                             for need in needed_versions(record)):
        return []
    try:
        with write_transaction():
            record = visible_for_update(record_id)
            return store_issued_versions(record, user_id)
    except IntegrityError:  # another process stored the same versions first
        return []
    except Exception:
        if not quiet:
            raise
        log.exception("storing the documents of record %s failed; the next touch retries", record_id)
        return []


def visible_for_update(record_id: int) -> GuidanceRecord:
    return db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.id == record_id)
                             .with_for_update().execution_options(populate_existing=True))


def version_bytes(version: DocumentVersion) -> bytes:
    """The stored bytes of a version, checked against its hash (never served if missing or changed)."""
    return file_store().read(version.sha256, version_title(version))


def issued_document(record: GuidanceRecord, kind: str, user_id: int | None = None) -> bytes:
    """A download: the version stored for the record's state, byte for byte; drafts render live."""
    state = serving_state(record, kind)
    if state is None:
        return _render(record, kind)
    version = queries.document_version(record.id, kind, state)
    if version is None:  # its storing step failed or has not run: complete it now
        store_document_versions(record.id, user_id, quiet=False)
        version = queries.document_version(record.id, kind, state)
        if version is None:
            raise Conflict("记录的状态刚刚发生变化，请刷新页面后重新下载。")
    return version_bytes(version)
