"""The read side: every list, count and register row that pages, the API and the PDFs show.

No commits here, and no view runs a query of its own. What a user may see comes from
`policy.visible_condition`; filters come in as a `RecordFilter` (see `register_filter.py`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from webapp.extensions import db
from webapp.models import (
    Attachment, AuditEvent, CatalogItem, DocumentVersion, GuidanceRecord, Job, Unit, User,
)
from webapp.services import policy
from webapp.services.register_filter import RecordFilter, filter_conditions

Record = GuidanceRecord


@dataclass
class Page:
    items: list
    page: int
    pages: int
    total: int


def paginate(query, page: int, per_page: int) -> Page:
    """Numbered pages for the short working lists (my records, review queue)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items, page, pages, total)


# --- working lists -----------------------------------------------------------------------------


def unit_records(unit_id: int, status: str | None):
    query = select(Record).where(Record.owner_unit_id == unit_id)
    if status:
        query = query.where(Record.status == status)
    return query.order_by(Record.updated_at.desc(), Record.id.desc())


def unit_status_counts(unit_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Record.status, func.count()).where(Record.owner_unit_id == unit_id)
        .group_by(Record.status)).all())


def filed_records():
    return (select(Record).where(Record.status.in_(policy.PUBLIC_STATUSES))
            .order_by(Record.number_year.desc(), Record.number_seq.desc()))


def review_queue():
    return select(Record).where(Record.status == "pending_review").order_by(Record.submitted_at)


def fresh_record(record_id: int) -> GuidanceRecord | None:
    """The record as stored now (after a service changed it in this session)."""
    return db.session.get(Record, record_id, populate_existing=True)


def audit_trail(record_id: int) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "record", AuditEvent.entity_id == record_id)
        .order_by(AuditEvent.id)).all()


# --- the register (台账): filters and keyset pages ------------------------------------------------


@dataclass(frozen=True)
class SortSpec:
    """Keyset order: a nullable leading key (numbers, dates), then the id as tie-breaker."""

    columns: tuple
    descending: bool


SORTS = {
    "number": SortSpec((Record.number_year, Record.number_seq), False),
    "-number": SortSpec((Record.number_year, Record.number_seq), True),
    "guided_at": SortSpec((Record.guided_at,), False),
    "-guided_at": SortSpec((Record.guided_at,), True),
    "id": SortSpec((), False),
    "-id": SortSpec((), True),
}


def register_query(user, flt: RecordFilter, *, columns=None):
    """The records `user` may see that match `flt` (unordered)."""
    query = select(*columns) if columns is not None else select(Record)
    visible = policy.visible_condition(user)
    conditions = ([visible] if visible is not None else []) + filter_conditions(flt)
    return query.where(*conditions) if conditions else query


def register_count(user, flt: RecordFilter) -> int:
    return db.session.scalar(register_query(user, flt, columns=[func.count(Record.id)]))


def _order(spec: SortSpec):
    keys = []
    for column in spec.columns:
        # Records without the key (drafts have no number) come after those with one.
        keys.append(column.is_(None))
        keys.append(column.desc() if spec.descending else column.asc())
    keys.append(Record.id.desc() if spec.descending else Record.id.asc())
    return keys


def _after(spec: SortSpec, cursor: tuple):
    """Rows strictly after `cursor` (the sort values of the last row shown, then its id)."""
    *values, last_id = cursor
    beyond_id = Record.id < last_id if spec.descending else Record.id > last_id
    if not spec.columns:
        return beyond_id
    if values[0] is None:  # already among the rows without the key
        return and_(spec.columns[0].is_(None), beyond_id)
    cols = spec.columns
    ors = []
    for i, column in enumerate(cols):
        equal = [cols[j] == values[j] for j in range(i)]
        beyond = column < values[i] if spec.descending else column > values[i]
        ors.append(and_(*equal, beyond))
    ors.append(and_(*[c == v for c, v in zip(cols, values)], beyond_id))
    ors.append(cols[0].is_(None))
    return or_(*ors)


def cursor_of(spec_name: str, record) -> tuple:
    spec = SORTS[spec_name]
    return tuple(getattr(record, c.key) for c in spec.columns) + (record.id,)


def register_page(user, flt: RecordFilter, *, after: tuple | None = None, limit: int = 50):
    """One keyset page: (records, cursor of the next page or None)."""
    spec = SORTS[flt.sort]
    query = register_query(user, flt)
    if after is not None:
        query = query.where(_after(spec, after))
    rows = db.session.scalars(query.order_by(*_order(spec)).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = cursor_of(flt.sort, items[-1]) if len(rows) > limit else None
    return items, next_cursor


def register_rows(user, flt: RecordFilter):
    """Every matching record in register order, streamed (PDF, exports)."""
    spec = SORTS[flt.sort]
    query = register_query(user, flt).order_by(*_order(spec)).execution_options(yield_per=500)
    return db.session.scalars(query)


# --- catalog, units, people ----------------------------------------------------------------------


def active_catalog_items() -> list[CatalogItem]:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.active)
                              .order_by(CatalogItem.code)).all()


def published_catalog() -> list[CatalogItem]:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.published, CatalogItem.active)
                              .order_by(CatalogItem.code)).all()


def catalog_item(code: str | None) -> CatalogItem | None:
    if not code or len(code) > 30:
        return None
    return db.session.scalar(select(CatalogItem).where(CatalogItem.code == code.strip().upper()))


def catalog_names() -> dict[str, str]:
    return dict(db.session.execute(select(CatalogItem.code, CatalogItem.name)).all())


def catalog_stamp():
    return db.session.scalar(select(func.max(CatalogItem.updated_at)))


def catalog_fields() -> list[str]:
    return db.session.scalars(select(CatalogItem.field).distinct().order_by(CatalogItem.field)).all()


def unit_names() -> list[str]:
    return db.session.scalars(select(Unit.name).order_by(Unit.sort_order)).all()


def unit_ids() -> dict[str, int]:
    return dict(db.session.execute(select(Unit.name, Unit.id)).all())


def unit_by_name(name: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.name == name))


def unit_by_id(unit_id: int) -> Unit | None:
    return db.session.get(Unit, unit_id) if 0 < unit_id <= policy.MAX_ID else None


def unit_officer_names(unit_id: int) -> list[str]:
    return db.session.scalars(select(User.display_name).where(User.unit_id == unit_id, User.active)
                              .order_by(User.display_name)).all()


# --- 档案: stored documents, attachments, jobs ----------------------------------------------------


def document_versions(record_id: int) -> list[DocumentVersion]:
    return db.session.scalars(select(DocumentVersion).where(DocumentVersion.record_id == record_id)
                              .order_by(DocumentVersion.id)).all()


def document_version(record_id: int, kind: str, state: str) -> DocumentVersion | None:
    return db.session.scalar(select(DocumentVersion).where(
        DocumentVersion.record_id == record_id, DocumentVersion.kind == kind, DocumentVersion.state == state))


def document_version_by_id(record_id: int, version_id: int) -> DocumentVersion | None:
    version = db.session.get(DocumentVersion, version_id) if 0 < version_id <= policy.MAX_ID else None
    return version if version is not None and version.record_id == record_id else None


def record_attachments(record_id: int) -> list[Attachment]:
    return db.session.scalars(select(Attachment).where(Attachment.record_id == record_id)
                              .order_by(Attachment.id)).all()


def attachment(record_id: int, attachment_id: int) -> Attachment | None:
    """An attachment of this record (one of another record is as absent as a missing one)."""
    found = db.session.get(Attachment, attachment_id) if 0 < attachment_id <= policy.MAX_ID else None
    return found if found is not None and found.record_id == record_id else None


def attachment_by_hash(record_id: int, sha256: str) -> Attachment | None:
    return db.session.scalar(select(Attachment).where(Attachment.record_id == record_id,
                                                      Attachment.sha256 == sha256))


def all_document_versions() -> list[DocumentVersion]:
    return db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.id)).all()


def all_attachments() -> list[Attachment]:
    return db.session.scalars(select(Attachment).order_by(Attachment.id)).all()


def file_events() -> list[AuditEvent]:
    """Audit events that name a stored file's hash (documents stored, attachments added)."""
    return db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "record",
                                                       AuditEvent.action.in_(("document", "attachment")))
                              .order_by(AuditEvent.id)).all()


def public_records():
    """Every filed, closed or voided record (the ones that have issued documents)."""
    return db.session.scalars(select(Record).where(Record.status.in_(policy.PUBLIC_STATUSES))
                              .order_by(Record.id))


def archive_records(flt: RecordFilter) -> list[GuidanceRecord]:
    """The records a year archive holds: filed, closed or voided, matching `flt`, in number order."""
    conditions = filter_conditions(flt) + [Record.status.in_(policy.PUBLIC_STATUSES)]
    return db.session.scalars(select(Record).where(*conditions)
                              .order_by(Record.number_year, Record.number_seq, Record.id)).all()


def record_audit_stamp(record_ids: list[int], *, leave_out: tuple[str, ...] = ()):
    """The time of the latest audit event of these records (events of `leave_out` actions aside)."""
    if not record_ids:
        return None
    query = select(func.max(AuditEvent.at)).where(AuditEvent.entity == "record",
                                                  AuditEvent.entity_id.in_(record_ids))
    if leave_out:
        query = query.where(AuditEvent.action.not_in(leave_out))
    return db.session.scalar(query)


def job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id) if 0 < job_id <= policy.MAX_ID else None


def recent_jobs(kind: str, limit: int = 20) -> list[Job]:
    return db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(limit)).all()


def user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))
