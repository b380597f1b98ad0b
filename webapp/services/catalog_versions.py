"""目录清单 versions (issue 12): edits go to one working draft; publishing it makes a new dated
version and rewrites catalog_item (the current version, which the rules read) in one transaction.
Items are never deleted, only retired. Every change is an audit event with its field diff."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from rules import vocabulary as vocab
from rules.model import SHANGHAI
from sqlalchemy import select

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import AuditEvent, CatalogDraft, CatalogItem, CatalogVersion, GuidanceRecord
from webapp.services import Conflict, DomainError, NotFound, impact
from webapp.services import catalog_sheets as sheets
from webapp.services.audit import record_event
from webapp.services.catalog_items import CatalogDiff, ItemProblems, check_item, diff, item_changes, retired_in_full

DRAFT_ID = 1
MAX_IMPORT_BYTES = 5 * 1024 * 1024
FORMATS = ("xlsx", "json")
OPEN_STATUSES = ("draft", "pending_review")  # records that will still be checked against the catalog
ITEM_COLUMNS = ("name", "field", "responsible_unit", "methods", "stages", "legal_basis", "target_scope",
                "source", "provenance", "notes", "published", "active")
MAX_DOC_NUMBER = 100


class InvalidItem(DomainError):
    status = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


class StaleDraft(Conflict):
    """Someone saved the draft since this revision: their changes, never overwritten."""

    def __init__(self, revision: int, events: list[AuditEvent]):
        names = "、".join(sorted({e.user.display_name for e in events if e.user})) or "其他人"
        super().__init__(f"目录草稿已被{names}修改（当前第 {revision} 次修改），您的保存未生效。"
                         "请查看对方的修改，在最新草稿上重新填写。")
        self.revision = revision
        self.events = events


class NeedsConfirmation(Conflict):
    def __init__(self, records: list[GuidanceRecord]):
        listed = "、".join(f"#{r.id}（{r.catalog_code}，{r.subject or ''}）" for r in records[:20])
        more = f"等 {len(records)} 条" if len(records) > 20 else ""
        super().__init__(f"发布将停用仍被未备案记录使用的事项：{listed}{more}。这些记录提交或审查时将不能通过；"
                         "确认后请勾选“确认发布”再提交。")
        self.records = records


class ImportTooLarge(DomainError):
    status = 413


class ImportRefused(DomainError):
    status = 422

    def __init__(self, report: ImportReport):
        super().__init__(f"导入文件有 {len(report.invalid)} 处问题，未作任何修改。")
        self.report = report


# --- reading ----------------------------------------------------------------------------------


def current_version() -> CatalogVersion | None:
    return db.session.scalar(select(CatalogVersion).order_by(CatalogVersion.number.desc()).limit(1))


def current_number() -> int | None:
    return db.session.scalar(select(CatalogVersion.number).order_by(CatalogVersion.number.desc()).limit(1))


def version(number: int) -> CatalogVersion:
    found = db.session.scalar(select(CatalogVersion).where(CatalogVersion.number == number)) \
        if isinstance(number, int) and 0 < number < 2**31 else None
    if found is None:
        raise NotFound(f"目录清单{vocab.CATALOG_VERSION.format(number=number)}不存在")
    return found


def versions() -> list[CatalogVersion]:
    return db.session.scalars(select(CatalogVersion).order_by(CatalogVersion.number.desc())).all()


def version_dates(numbers) -> dict[int, date]:
    numbers = {n for n in numbers if n is not None}
    if not numbers:
        return {}
    return dict(db.session.execute(select(CatalogVersion.number, CatalogVersion.published_on)
                                   .where(CatalogVersion.number.in_(numbers))).all())


def checked_against(number: int | None) -> str | None:
    """The record page's sentence: 按2026年11月30日公布的目录清单（第N版）检查."""
    published = version_dates([number]).get(number)
    if published is None:
        return None
    return vocab.CATALOG_CHECKED.format(date=f"{published.year}年{published.month}月{published.day}日",
                                        number=number)


def public_items(edition: CatalogVersion) -> list[dict]:
    """The items a version shows the public: published and not retired."""
    return [i for i in edition.items if i.get("published", True) and i.get("active", True)]


def draft() -> CatalogDraft:
    """The working draft; before anyone edits, a copy of the current version (revision 0, unsaved)."""
    found = db.session.get(CatalogDraft, DRAFT_ID)
    if found is not None:
        return found
    current = current_version()
    return CatalogDraft(id=DRAFT_ID, items=list(current.items) if current else [], revision=0)


def draft_items() -> list[dict]:
    return list(draft().items)


def published_items() -> list[dict]:
    current = current_version()
    return list(current.items) if current else []


def draft_diff() -> CatalogDiff:
    """What publishing the draft would change in the current version."""
    return diff(published_items(), draft_items())


def draft_events(limit: int = 20) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.entity.in_(("catalog_draft", "catalog_version")))
                              .order_by(AuditEvent.id.desc()).limit(limit)).all()


def open_records_using(codes) -> list[GuidanceRecord]:
    if not codes:
        return []
    return db.session.scalars(select(GuidanceRecord).where(GuidanceRecord.catalog_code.in_(list(codes)),
                                                           GuidanceRecord.status.in_(OPEN_STATUSES))
                              .order_by(GuidanceRecord.id)).all()


def find_item(code: str) -> dict:
    code = (code or "").strip().upper()
    for item in draft_items():
        if item["code"] == code:
            return item
    raise NotFound(f"目录草稿中没有事项 {code}")


# --- changing the draft -----------------------------------------------------------------------


def _locked_draft(user, revision: int | None) -> CatalogDraft:
    found = db.session.scalar(select(CatalogDraft).where(CatalogDraft.id == DRAFT_ID).with_for_update()
                              .execution_options(populate_existing=True))
    if found is None:
        current = current_version()
        found = CatalogDraft(id=DRAFT_ID, items=list(current.items) if current else [], revision=0,
                             updated_by_id=user.id)
        db.session.add(found)
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise DomainError("请提供 revision（目录草稿当前的修改次数），以免覆盖他人的修改。")
    if revision != found.revision:
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "catalog_draft",
                                                             AuditEvent.entity_id > revision)
                                    .order_by(AuditEvent.id)).all()
        raise StaleDraft(found.revision, list(events))
    return found


def _store(user, found: CatalogDraft, items: list[dict], action: str, changes: dict, note: str | None = None):
    found.items = items  # a new list: the JSON column sees the change
    found.revision += 1
    found.updated_by_id = user.id
    found.updated_at = datetime.now(timezone.utc)
    # entity_id is the revision the change made, so a stale save finds every change it missed
    record_event(entity="catalog_draft", entity_id=found.revision, action=action, user_id=user.id,
                 changes=changes, note=note)


def _checked(fields: dict[str, Any]) -> dict:
    try:
        return check_item(fields)
    except ItemProblems as exc:
        raise InvalidItem(exc.errors) from None


def save_item(user, code: str, fields: dict[str, Any], revision: int | None) -> CatalogDraft:
    """Change an item of the draft (its code stays); no change, no new revision."""
    with write_transaction():
        found = _locked_draft(user, revision)
        items = list(found.items)
        index = next((i for i, item in enumerate(items) if item["code"] == code), None)
        if index is None:
            raise NotFound(f"目录草稿中没有事项 {code}")
        new = _checked({**items[index], **fields, "code": code})
        changes = {f"{code}.{k}": c for k, c in item_changes(items[index], new).items()}
        if changes:
            items[index] = new
            _store(user, found, items, "edit_item", changes, note=code)
    return found


def create_item(user, fields: dict[str, Any], revision: int | None) -> CatalogDraft:
    new = _checked(fields)
    with write_transaction():
        found = _locked_draft(user, revision)
        if any(item["code"] == new["code"] for item in found.items):
            raise InvalidItem({"code": f"{vocab.CATALOG_FIELDS['code']} {new['code']} 已存在，请换一个编码"
                                       "（已停用的事项也保留编码）"})
        _store(user, found, [*found.items, new], "create_item", {new["code"]: {"before": None, "after": new}},
               note=new["code"])
    return found


def retire_item(user, code: str, revision: int | None) -> CatalogDraft:
    item = find_item(code)
    if not item.get("active", True):
        raise Conflict(f"事项 {item['code']} 已停用")
    return save_item(user, item["code"], {"active": False}, revision)


def replace_items(user, items: list[dict], revision: int | None, *, action: str = "replace",
                  note: str | None = None) -> CatalogDraft:
    """The whole draft at once (API PUT, import): all items valid or nothing changes."""
    report = check_items([sheets.SheetRow(n, dict(item) if isinstance(item, dict) else {},
                                          [] if isinstance(item, dict) else ["应为一个事项对象（{…}）"])
                          for n, item in enumerate(items, start=1)], sheets.SheetRead())
    if report.invalid:
        raise ImportRefused(report)
    return _replace(user, report, revision, action, note)


def _replace(user, report: ImportReport, revision, action, note) -> CatalogDraft:
    with write_transaction():
        found = _locked_draft(user, revision)
        full = retired_in_full(found.items, report.items)
        changes = diff(found.items, full).audit_changes(found.items, full)
        if changes:
            _store(user, found, full, action, changes, note=note)
    return found


# --- import and export ------------------------------------------------------------------------


@dataclass
class ImportReport:
    items: list[dict] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: dict[str, dict] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (row, reason); row 0: the whole file
    row_word: str = "行"

    def to_json(self) -> dict:
        return {"added": self.added, "changed": self.changed, "retired": self.retired,
                "invalid": [{"row": row, "reason": reason} for row, reason in self.invalid],
                "items": len(self.items)}


def check_items(rows: list[sheets.SheetRow], read: sheets.SheetRead, row_word: str = "项") -> ImportReport:
    report = ImportReport(invalid=list(read.problems), row_word=row_word)
    seen: dict[str, int] = {}
    for row in rows:
        problems = list(row.problems)
        item = None
        try:
            item = check_item(row.values)
        except ItemProblems as exc:
            problems += [message for key, message in exc.errors.items() if key not in row.bad_keys]
        code = (item or {}).get("code") or str(row.values.get("code") or "").strip().upper()
        if code and code in seen:
            problems.append(f"{vocab.CATALOG_FIELDS['code']} {code} 与第 {seen[code]} {row_word}重复")
        elif code:
            seen[code] = row.row
        if problems:
            report.invalid += [(row.row, p) for p in problems]
        elif item is not None:
            report.items.append(item)
    report.invalid.sort(key=lambda p: p[0])
    return report


def _read_source(source: bytes | str | Path, fmt: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        fmt = fmt or path.suffix.lstrip(".").lower()
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise _too_large()
        source = path.read_bytes()
    if fmt not in FORMATS:
        raise DomainError("请上传 .xlsx 表格或 .json 文件")
    if len(source) > MAX_IMPORT_BYTES:
        raise _too_large()
    return source, fmt


def _too_large() -> ImportTooLarge:
    return ImportTooLarge(too_large_message())


def too_large_message() -> str:
    return (f"文件超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MB：目录清单的表格通常只有几十 KB，"
            "请检查是否选错了文件")


def import_dry_run(source: bytes | str | Path, fmt: str | None = None) -> ImportReport:
    """What importing would change in the draft; nothing is saved."""
    data, fmt = _read_source(source, fmt)
    read = sheets.read_xlsx(data) if fmt == "xlsx" else sheets.read_json(data)
    report = check_items(read.rows, read, "行" if fmt == "xlsx" else "项")
    current = draft_items()
    changes = diff(current, retired_in_full(current, report.items))
    report.added, report.changed, report.retired = changes.added, changes.changed, changes.retired
    return report


def import_apply(user, source: bytes | str | Path, fmt: str | None, revision: int | None) -> ImportReport:
    """All or nothing: any invalid row refuses the whole file (ImportRefused carries the report)."""
    report = import_dry_run(source, fmt)
    if report.invalid:
        raise ImportRefused(report)
    _replace(user, report, revision, "import", f"{len(report.items)} 项")
    return report


def export(fmt: str, items: list[dict] | None = None) -> bytes:
    """The draft (or the given items) as the xlsx sheet or catalog.json's JSON."""
    items = draft_items() if items is None else items
    if fmt == "xlsx":
        return sheets.export_xlsx(items)
    if fmt == "json":
        return sheets.export_json(items)
    raise DomainError("导出格式应为 xlsx 或 json")


# --- publishing -------------------------------------------------------------------------------


def parse_published_on(raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise InvalidItem({"published_on": "请填写公布日期，格式如 2026-11-30"}) from None


def publish(user, published_on: date | str, doc_number: str | None, revision: int | None,
            *, confirm: bool = False, note: str | None = None) -> CatalogVersion:
    """The draft becomes the next version; catalog_item is rewritten from it (retire, never delete).
    Refused until a reviewer or admin has opened the impact report of exactly this draft."""
    published_on = parse_published_on(published_on)
    doc_number = (doc_number or "").strip() or None
    if doc_number and len(doc_number) > MAX_DOC_NUMBER:
        raise InvalidItem({"doc_number": f"文号不能超过 {MAX_DOC_NUMBER} 个字"})
    with write_transaction():
        found = _locked_draft(user, revision)
        current = current_version()
        old = list(current.items) if current else []
        changes = diff(old, found.items)
        if current is not None and not changes:
            raise Conflict("草稿与现行目录清单相同，没有需要发布的修改")
        if current is not None and published_on < current.published_on:
            raise InvalidItem({"published_on": f"公布日期不能早于现行版本的公布日期（{current.published_on:%Y-%m-%d}）"})
        seen = impact.looked_at(impact.fingerprint(list(found.items), None))
        if seen is None:
            raise Conflict("请先运行本草稿的变更影响分析并查看报告，再发布。")
        impact_job_id = seen.id
        in_use = open_records_using(changes.retired)
        if in_use and not confirm:
            raise NeedsConfirmation(in_use)
        _rewrite_items(found.items)
        number = (current.number if current else 0) + 1
        published = CatalogVersion(number=number, published_on=published_on, doc_number=doc_number,
                                   published_by_id=user.id, items=list(found.items), impact_job_id=impact_job_id,
                                   note=note)
        db.session.add(published)
        record_event(entity="catalog_version", entity_id=number, action="publish", user_id=user.id,
                     changes=changes.audit_changes(old, found.items),
                     note=f"{vocab.CATALOG_VERSION.format(number=number)}，公布日期 {published_on:%Y-%m-%d}"
                          + (f"，文号 {doc_number}" if doc_number else ""))
    return published


def _rewrite_items(items: list[dict]) -> None:
    rows = {row.code: row for row in db.session.scalars(select(CatalogItem))}
    for item in items:
        row = rows.pop(item["code"], None)
        if row is None:
            row = CatalogItem(code=item["code"])
            db.session.add(row)
        for column in ITEM_COLUMNS:
            value = item.get(column)
            if column in ("published", "active"):
                value = value is not False
            elif column in ("methods", "stages", "legal_basis"):
                value = list(value or [])
            if getattr(row, column) != value:
                setattr(row, column, value)
    for row in rows.values():  # gone from the draft: retired, never deleted
        row.active = False


def today() -> date:
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


def first_version(items: list[dict]) -> CatalogVersion:
    """Version 1 and the draft from a freshly loaded catalog (seed-demo); the caller commits."""
    version_one = CatalogVersion(number=1, published_on=today(), items=items, note="初始载入的目录清单")
    db.session.add(version_one)
    if db.session.get(CatalogDraft, DRAFT_ID) is None:
        db.session.add(CatalogDraft(id=DRAFT_ID, items=items, revision=1))
    return version_one
