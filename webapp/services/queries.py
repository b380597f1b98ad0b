"""The read side: every list, count and register row that pages, the API and the PDFs show.

No commits here, and no view runs a query of its own. What a user may see comes from
`policy.visible_condition`; filters come in as a `RecordFilter` (see `register_filter.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import Column, func, literal_column, select, tuple_
from sqlalchemy.orm import load_only
from sqlalchemy.sql import visitors

from webapp.extensions import db
from webapp.models import (
    Attachment, AuditEvent, CatalogItem, DocumentVersion, GuidanceRecord, Job, Unit, User,
)
from webapp.models.record import RegisterTally
from webapp.services import policy
from webapp.services.register_filter import RecordFilter, filter_conditions, without_index

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
    query = select(Record).where(Record.owner_unit_id == unit_id, Record.status != policy.DISCARDED)
    if status:
        query = query.where(Record.status == status)
    return query.order_by(Record.updated_at.desc(), Record.id.desc())


def unit_status_counts(unit_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Record.status, func.count()).where(Record.owner_unit_id == unit_id, Record.status != policy.DISCARDED)
        .group_by(Record.status)).all())


def discarded_records():
    """放弃的草稿, newest first: the admin's restore list (they are in no other list)."""
    return select(Record).where(Record.status == policy.DISCARDED).order_by(Record.updated_at.desc(), Record.id.desc())


def discarded_record(record_id: int) -> GuidanceRecord | None:
    record = db.session.get(Record, record_id) if 0 < record_id <= policy.MAX_ID else None
    return record if record is not None and record.status == policy.DISCARDED else None


def review_queue():
    return select(Record).where(Record.status == "pending_review").order_by(Record.submitted_at)


def fresh_record(record_id: int) -> GuidanceRecord | None:
    """The record as stored now (after a service changed it in this session)."""
    return db.session.get(Record, record_id, populate_existing=True)


def audit_trail(record_id: int) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "record", AuditEvent.entity_id == record_id)
        .order_by(AuditEvent.id)).all()


# --- the register (台账): filters, counts and keyset pages ------------------------------------------


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
# What the register shows, exports, masks and pages by; the long texts and JSON reports stay in
# the table (loaded only if something asks for them).
REGISTER_COLUMNS = (Record.id, Record.status, Record.number, Record.number_year, Record.number_seq,
                    Record.version, Record.owner_unit_id, Record.created_by_id, Record.updated_at,
                    Record.catalog_code, Record.method, Record.stage, Record.form, Record.unit, Record.officers,
                    Record.guided_at, Record.target_name, Record.target_kind, Record.target_id_number,
                    Record.subject, Record.result, Record.filed_at, Record.good_practice)
# Filter fields the tally answers; any other field set means counting the records themselves.
TALLIED = frozenset({"year", "unit", "unit_id", "methods", "stages", "statuses", "good", "sort"})


def register_query(user, flt: RecordFilter, *, columns=None):
    """The records `user` may see that match `flt` (unordered)."""
    # FROM named outright: a count with only a correlated condition (officer) would lose it
    query = select(*columns).select_from(Record) if columns is not None else select(Record)
    visible = policy.visible_condition(user)
    if visible is not None:
        visible = without_index(visible)  # nearly every record is visible: never a way in
    conditions = ([visible] if visible is not None else []) + filter_conditions(flt)
    return query.where(*conditions) if conditions else query


def register_count(user, flt: RecordFilter) -> int:
    tallied = _tally_count(user, flt)
    if tallied is not None:
        return tallied
    return db.session.scalar(register_query(user, flt, columns=[func.count()]))


def _tally_count(user, flt: RecordFilter) -> int | None:
    """The count from RegisterTally (thousands of rows, not a million) when the filter and the
    visibility rule use only what it is keyed on; None otherwise."""
    if any(getattr(flt, f.name) != f.default for f in fields(flt) if f.name not in TALLIED):
        return None
    tally = RegisterTally
    conditions = []
    visible = policy.visible_condition(user)
    if visible is not None:
        visible = _on_tally(visible)
        if visible is None:
            return None
        conditions.append(visible)
    if flt.year is not None:
        conditions.append(tally.year == flt.year)
    if flt.unit_id is not None:
        conditions.append(tally.owner_unit_id == flt.unit_id)
    elif flt.unit:
        conditions.append(tally.owner_unit_id.in_(select(Unit.id).where(Unit.name == flt.unit)))
    if flt.methods:
        conditions.append(tally.method.in_(flt.methods))
    if flt.stages:
        conditions.append(tally.stage.in_(flt.stages))
    if flt.statuses:
        conditions.append(tally.status.in_(flt.statuses))
    if flt.good:
        conditions.append(tally.good_practice.is_(True))
    return db.session.scalar(select(func.coalesce(func.sum(tally.n), 0)).where(*conditions))


def _on_tally(condition):
    """A condition on record columns rewritten onto the tally's columns of the same name, or
    None if it needs a column the tally does not keep."""
    missing = []

    def swap(element):
        if isinstance(element, Column) and element.table is Record.__table__:
            twin = RegisterTally.__table__.c.get(element.name)
            if twin is None:
                missing.append(element.name)
            return twin
        return None

    rewritten = visitors.replacement_traverse(condition, {}, swap)
    return None if missing else rewritten


def _segments(user, flt: RecordFilter, after: tuple | None, *, columns=None):
    """The ordered queries that make up the register in `flt.sort` order, from `after` on.

    Two segments, so each ORDER BY can walk an index: rows with the sort key (key columns, then
    id), then rows without it (drafts have no number; ORDER BY id). A cursor whose key values
    are None is already in the second segment.
    """
    spec = SORTS[flt.sort]
    cols = spec.columns
    unindexed = _time_range(flt) and not (cols and cols[0] is Record.guided_at)
    key = (lambda c: c + literal_column("0")) if unindexed else (lambda c: c)
    direction = (lambda c: key(c).desc()) if spec.descending else (lambda c: key(c).asc())
    beyond = (lambda a, b: a < b) if spec.descending else (lambda a, b: a > b)
    *values, last_id = after if after is not None else (None, None)
    query = register_query(user, flt, columns=columns)
    if not cols:
        if after is not None:
            query = query.where(beyond(Record.id, last_id))
        return [query.order_by(direction(Record.id))]
    segments = []
    if after is None or values[0] is not None:
        keyed = query.where(cols[0].is_not(None))
        if after is not None:  # a row value comparison, so the index range starts at the cursor
            keyed = keyed.where(beyond(tuple_(*cols, Record.id), tuple_(*values, last_id)))
        segments.append(keyed.order_by(*map(direction, cols), direction(Record.id)))
    unkeyed = query.where(cols[0].is_(None))
    if after is not None and values[0] is None:
        unkeyed = unkeyed.where(beyond(Record.id, last_id))
    segments.append(unkeyed.order_by(direction(Record.id)))
    return segments


def _time_range(flt: RecordFilter) -> bool:
    """A year or dates: then sorting that period's records (through the covering index on
    guided_at) beats walking the number or id index, which would first pass every later record
    (numbers and ids follow time). `column + 0` keeps both engines from walking it."""
    return flt.year is not None or flt.date_from is not None or flt.date_to is not None


def cursor_of(spec_name: str, record) -> tuple:
    spec = SORTS[spec_name]
    return tuple(getattr(record, c.key) for c in spec.columns) + (record.id,)


def register_page(user, flt: RecordFilter, *, after: tuple | None = None, limit: int = 50):
    """One keyset page: (records, cursor of the next page or None)."""
    # The ids first (the sort then handles short index tuples, not whole records), then the page's rows.
    ids: list[int] = []
    for segment in _segments(user, flt, after, columns=[Record.id]):
        ids += db.session.scalars(segment.limit(limit + 1 - len(ids))).all()
        if len(ids) > limit:
            break
    found = {r.id: r for r in db.session.scalars(
        select(Record).where(Record.id.in_(ids[:limit])).options(load_only(*REGISTER_COLUMNS)))}
    items = [found[i] for i in ids[:limit]]
    next_cursor = cursor_of(flt.sort, items[-1]) if len(ids) > limit else None
    return items, next_cursor


def register_rows(user, flt: RecordFilter):
    """Every matching record in register order, streamed (PDF, exports): rows of REGISTER_COLUMNS,
    read like records (row.number, row.officers …) without building 100,000 ORM objects."""
    for segment in _segments(user, flt, None, columns=REGISTER_COLUMNS):
        yield from db.session.execute(segment.execution_options(yield_per=1000))


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
