"""归档: a year's records as a BagIt bag (RFC 8493, written with the `bagit` library), zipped.

The same database state gives the same zip bytes: every time in it comes from the data (the
latest change of the archived records or the catalog), entries are sorted, and the 归档 audit
events the archiving itself writes are left out of the records it packs.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import bagit
from rules import vocabulary as vocab
from rules.model import SHANGHAI

from webapp.db_setup import write_transaction
from webapp.extensions import settings
from webapp.models import GuidanceRecord, User
from webapp.reports.tabular import Column, write_xlsx
from webapp.services import DomainError, queries
from webapp.services.audit import chain_head, expand_texts, record_event
from webapp.services.attachments import file_extension
from webapp.services.documents import (
    catalog_document, catalog_stamp, needed_versions, store_document_versions, version_title,
)
from webapp.services.exports import register_document
from webapp.services.files import file_store, hash_file
from webapp.services.jobs import handler
from webapp.services.register_filter import YEAR_RANGE, RecordFilter

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
ARCHIVE_ACTION = "archive"
AGENT = "guidance-register archive (bagit.py)"
Progress = Callable[[int, str], None]
INDEX_COLUMNS = (
    Column("number", vocab.RECORD_LABELS["number"], width=22),
    Column("status", vocab.RECORD_LABELS["status"], width=8),
    Column("subject", vocab.FIELD_LABELS["subject"], width=30),
    Column("target", vocab.FIELD_LABELS["target.name"], width=24),
    Column("category", "文件类别", width=14),
    Column("name", "文件名称", width=30),
    Column("path", "档案包内路径", width=44),
    Column("size", "大小（字节）", kind="int", width=12),
    Column("pages", "页数", kind="int", width=6),
    Column("sha256", "SHA-256", width=66),
)


class ArchiveRefused(DomainError):
    status = 422


@dataclass(frozen=True)
class Scope:
    year: int
    unit: str | None = None
    unit_id: int | None = None

    def words(self) -> str:
        return f"{self.year}年度" + (f"（{self.unit}）" if self.unit else "（全部单位）")

    @property
    def folder(self) -> str:
        return f"guidance-archive-{self.year}" + (f"-unit-{self.unit_id}" if self.unit_id else "")


@dataclass
class Summary:
    scope: Scope
    path: Path
    sha256: str
    records: int
    documents: int
    attachments: int


def read_scope(year: Any, unit: str | None) -> Scope:
    """The year (and unit) to archive, checked; ArchiveRefused says what is wrong."""
    text = str(year if year is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or not YEAR_RANGE[0] <= int(text) <= YEAR_RANGE[1]:
        raise ArchiveRefused(f"归档年度应为 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间的四位数字。")
    unit = (unit or "").strip() or None
    unit_id = None
    if unit:
        found = queries.unit_by_name(unit)
        if found is None:
            raise ArchiveRefused(f"没有名为“{unit[:30]}”的单位。")
        unit_id = found.id
    return Scope(int(text), unit, unit_id)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat() if moment else None


def _folder(record: GuidanceRecord) -> str:
    return f"records/{record.number_year}-{record.number_seq:04d}"


def _record_json(record: GuidanceRecord, versions, attachments) -> dict:
    trail = [e for e in queries.audit_trail(record.id) if e.action != ARCHIVE_ACTION]
    return {
        "id": record.id, "number": record.number, "status": record.status,
        "status_label": vocab.STATUS.get(record.status, record.status), "owner_unit": record.owner_unit.name,
        "record": record.to_interchange(),
        "workflow": {"created_at": _iso(record.created_at), "submitted_at": _iso(record.submitted_at),
                     "filed_at": _iso(record.filed_at), "closed_at": _iso(record.closed_at),
                     "voided_at": _iso(record.voided_at), "void_reason": record.void_reason,
                     "ruleset_version": record.ruleset_version, "document_sha256": record.document_sha256,
                     "good_practice": record.good_practice, "good_practice_reason": record.good_practice_reason},
        "filed_report": record.filed_report,
        "review_decisions": [{"decision": d.decision, "decision_label": vocab.DECISIONS.get(d.decision, d.decision),
                              "reviewer": d.reviewer.username, "reviewer_name": d.reviewer.display_name,
                              "comment": d.comment, "at": _iso(d.at), "submitted_at": _iso(d.submitted_at)}
                             for d in record.decisions],
        "audit": [{"at": _iso(e.at), "by": e.user.username if e.user else None, "action": e.action,
                   "action_label": vocab.AUDIT_ACTIONS.get(e.action, e.action), "changes": expand_texts(e.changes),
                   "note": e.note} for e in trail],
        "documents": [{"kind": v.kind, "state": v.state, "title": version_title(v), "sha256": v.sha256,
                       "size": v.size, "created_at": _iso(v.created_at), "file": path} for v, path in versions],
        "attachments": [{"id": a.id, "label": a.label, "label_text": vocab.ATTACHMENT_LABELS.get(a.label, a.label),
                         "name": a.name, "media_type": a.media_type, "size": a.size, "pages": a.pages,
                         "sha256": a.sha256, "created_at": _iso(a.created_at), "file": path}
                        for a, path in attachments],
    }


def _copy_checked(sha256: str, target: Path, what: str) -> None:
    source = file_store().path(sha256)
    if not source.is_file() or hash_file(source) != sha256:
        file_store().read(sha256, what)  # raises StoredFileProblem with the words for it
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    if hash_file(target) != sha256:  # changed while being copied
        file_store().read(sha256, what)


def build_archive(scope: Scope, out: Path, *, user: User | None, progress: Progress | None = None) -> Summary:
    """Write the bag for `scope` to `out` (a zip, replaced atomically) and note it on each record."""
    progress = progress or (lambda percent, message: None)
    flt = RecordFilter(year=scope.year, unit=scope.unit, unit_id=scope.unit_id,
                       statuses=("filed", "closed", "voided"), sort="number")
    for record in queries.archive_records(flt):  # archiving is a touch: complete any document not yet stored
        if any(queries.document_version(record.id, *need) is None for need in needed_versions(record)):
            store_document_versions(record.id, user.id if user else None, quiet=False)
    records = queries.archive_records(flt)
    stamp = max(filter(None, [queries.record_audit_stamp([r.id for r in records], leave_out=(ARCHIVE_ACTION,)),
                              catalog_stamp()]), default=EPOCH)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = {"documents": 0, "attachments": 0}
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".archive-") as temp:
        bag_dir = Path(temp) / scope.folder
        bag_dir.mkdir()
        progress(2, "正在生成登记簿")
        (bag_dir / "register.pdf").write_bytes(register_document(records, flt))
        (bag_dir / "catalog.pdf").write_bytes(catalog_document())
        index_rows = []
        for number, record in enumerate(records, start=1):
            folder = _folder(record)
            versions, attachments = [], []
            for version in queries.document_versions(record.id):
                path = f"{folder}/documents/{version.kind}-{version.state}.pdf"
                _copy_checked(version.sha256, bag_dir / path, f"记录 {record.number} 的{version_title(version)}")
                versions.append((version, path))
                index_rows.append(_index_row(record, version_title(version), version.kind + ".pdf", path,
                                             version.size, None, version.sha256))
            for seq, item in enumerate(queries.record_attachments(record.id), start=1):
                path = f"{folder}/attachments/{seq:02d}-{item.sha256[:12]}.{file_extension(item)}"
                _copy_checked(item.sha256, bag_dir / path, f"记录 {record.number} 的附件“{item.name}”")
                attachments.append((item, path))
                index_rows.append(_index_row(record, vocab.ATTACHMENT_LABELS.get(item.label, item.label),
                                             item.name, path, item.size, item.pages, item.sha256))
            counts["documents"] += len(versions)
            counts["attachments"] += len(attachments)
            data = _record_json(record, versions, attachments)
            (bag_dir / folder / "record.json").write_text(
                json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            index_rows.append(_index_row(record, "记录", "record.json", f"{folder}/record.json", None, None, None))
            progress(5 + 80 * number // max(len(records), 1), f"已整理 {number}/{len(records)} 条记录")
        with open(bag_dir / "index.xlsx", "wb") as fh:
            write_xlsx(fh, sheet="档案目录", title_lines=[f"{settings['BUREAU_NAME']}行政指导档案目录",
                                                        f"{scope.words()}，共 {len(records)} 条记录"],
                       columns=INDEX_COLUMNS, rows=index_rows, created=stamp.astimezone(SHANGHAI).replace(tzinfo=None))
        progress(88, "正在计算校验值（BagIt）")
        local = stamp.astimezone(SHANGHAI)
        head_hash, head_count = chain_head(leave_out=(ARCHIVE_ACTION,))  # the same state, the same bag
        bagit.make_bag(str(bag_dir), {
            "Source-Organization": settings["BUREAU_NAME"],
            "External-Description": f"行政指导档案 {scope.words()}",
            "Archive-Year": str(scope.year),
            "Archive-Unit": scope.unit or "全部单位",
            "Record-Count": str(len(records)),
            "Document-Count": str(counts["documents"]),
            "Attachment-Count": str(counts["attachments"]),
            "Created-By": _who(user),
            "Created-At": local.isoformat(),
            "Bagging-Date": local.date().isoformat(),
            "Bag-Software-Agent": AGENT,
            # `flask verify --since-head HASH:COUNT` checks the trail was not rewritten since this package
            "Audit-Chain-Head": f"{head_hash}:{head_count}",
        }, checksums=["sha256"])
        progress(95, "正在打包")
        _zip(bag_dir, out, local)
    digest = hash_file(out)
    _note_archived(records, scope, digest, user)
    return Summary(scope, out, digest, len(records), counts["documents"], counts["attachments"])


def _who(user: User | None) -> str:
    return f"{user.display_name}（{user.username}）" if user else "命令行（flask --app webapp archive）"


def _index_row(record, category, name, path, size, pages, sha256) -> dict:
    return {"number": record.number, "status": vocab.STATUS.get(record.status, record.status),
            "subject": record.subject or "", "target": record.target_name or "", "category": category,
            "name": name, "path": f"data/{path}", "size": size, "pages": pages, "sha256": sha256 or ""}


def _zip(folder: Path, out: Path, moment: datetime) -> None:
    """Sorted entries, one fixed time and mode: the same files give the same zip."""
    date_time = max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).as_posix())
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(temp, "w") as archive:
            for path in files:
                info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o100644 << 16
                with open(path, "rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, out)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _note_archived(records, scope: Scope, digest: str, user: User | None) -> None:
    with write_transaction():
        for record in records:
            record_event(entity="record", entity_id=record.id, action=ARCHIVE_ACTION,
                         user_id=user.id if user else None,
                         note=f"归入{scope.words()}档案包（SHA-256 {digest}）")


@handler("archive")
def archive_job(params: dict, progress: Progress, user: User | None) -> str:
    """The page's background job: the bag goes to <files>/archives/, named by its content."""
    scope = read_scope(params.get("year"), params.get("unit"))
    folder = file_store().root / "archives"
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".job-", suffix=".zip")
    os.close(fd)
    try:
        summary = build_archive(scope, Path(temp), user=user, progress=progress)
        name = f"archives/{scope.folder}-{summary.sha256[:16]}.zip"
        os.replace(temp, file_store().root / name)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return name


def archive_file(relative: str) -> Path:
    """A finished job's zip (the path the job stored), inside the files folder only."""
    root = file_store().root.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root / "archives") or not path.is_file():
        raise DomainError("档案包文件不存在（可能已被清理），请重新生成。")
    return path


__all__ = ["ArchiveRefused", "Scope", "Summary", "archive_file", "archive_job", "build_archive", "read_scope"]
