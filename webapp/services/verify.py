"""`flask --app webapp verify`: the audit hash chain, every record against its last audit event,
the number sequence of each year, every stored file against its hash and its audit event; and an
archive package against its own manifests and the database.
"""
from __future__ import annotations

import json
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import bagit
from rules import vocabulary as vocab

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord
from webapp.services import queries
from webapp.services.documents import needed_versions, store_document_versions, version_title
from webapp.services.files import CHANGED, MISSING, OK, file_store, hash_file
from webapp.services.verify_trail import check_since_head, verify_chain, verify_numbers, verify_records


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: tuple[str, int] | None = None  # the audit chain's (hash, count) after a full verify

    @property
    def ok(self) -> bool:
        return not self.problems


def _hashes_in_audit() -> dict[int, set[str]]:
    """record id → every hash its 'document' and 'attachment' events carry."""
    found: dict[int, set[str]] = defaultdict(set)
    for event in queries.file_events():
        for change in (event.changes or {}).values():
            if isinstance(change, dict) and isinstance(change.get("after"), str):
                found[event.entity_id].add(change["after"])
    return found


def _file_state(sha256: str) -> str:
    path = file_store().path(sha256)
    if not path.is_file():
        return MISSING
    return OK if hash_file(path) == sha256 else CHANGED  # recomputed: no cached answer here


def verify_files() -> Report:
    """Recompute the hash of every stored document and attachment; each must match its audit event."""
    report = Report()
    audited = _hashes_in_audit()
    items = [(v.record_id, f"{version_title(v)}", v.sha256, "documents") for v in queries.all_document_versions()]
    items += [(a.record_id, f"附件“{a.name}”", a.sha256, "attachments") for a in queries.all_attachments()]
    for record_id, what, sha256, kind in items:
        report.checked[kind] += 1
        state = _file_state(sha256)
        if state != OK:
            report.problems.append(f"记录 #{record_id} {what}：{vocab.FILE_PROBLEMS[state]}（{file_store().path(sha256)}）")
        if sha256 not in audited.get(record_id, ()):
            report.problems.append(f"记录 #{record_id} {what}：审计记录中没有 SHA-256 {sha256}")
    for record in queries.public_records():
        report.checked["records"] += 1
        _check_record_versions(record, report)
    return report


def _check_record_versions(record: GuidanceRecord, report: Report) -> None:
    stored = {(v.kind, v.state): v for v in queries.document_versions(record.id)}
    for kind, state in needed_versions(record):
        if (kind, state) not in stored:
            report.problems.append(f"记录 #{record.id}（{record.number}）尚未保存"
                                   f"{vocab.DOCUMENT_STATES[state]}{vocab.DOCUMENT_KINDS[kind]}")
    filed = stored.get(("guidance", "filed"))
    if filed is not None and record.document_sha256 != filed.sha256:
        report.problems.append(f"记录 #{record.id}（{record.number}）的备案版文书 SHA-256 与记录上登记的不一致")


def verify_all(*, since_head: str | None = None, repair: bool = False) -> Report:
    """Everything `flask verify` checks; repair first completes filings missing their documents."""
    report = Report()
    if repair:
        repair_documents(report)
    walk = verify_chain(report)
    if since_head is not None:
        check_since_head(since_head, walk, report)
    verify_records(walk, report)
    verify_numbers(walk, report)
    files = verify_files()
    report.problems += files.problems
    for kind, n in files.checked.items():
        if kind != "records":  # verify_records counted every record already
            report.checked[kind] += n
    report.head = walk.head
    return report


def repair_documents(report: Report) -> None:
    """`verify --repair`: store the issued versions a filed, closed or voided record lacks."""
    for record in list(queries.public_records()):
        if all(queries.document_version(record.id, *need) is not None for need in needed_versions(record)):
            continue
        try:
            created = store_document_versions(record.id, None)
        except Exception as exc:  # reported, and the walk goes on to the other records
            report.problems.append(f"记录 #{record.id}（{record.number}）的文书无法补全：{exc}")
            continue
        if created:
            report.notes.append(f"已补全记录 #{record.id}（{record.number}）的"
                                + "、".join(version_title(v) for v in created))


def verify_archive(path: Path) -> Report:
    """Validate the bag (manifests, Payload-Oxum) and check every file it holds against the database."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="verify-") as temp:
        try:
            bag_dir = _unzip(Path(path), Path(temp))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            report.problems.append(f"无法读取档案包 {path}：{exc}")
            return report
        bag = bagit.Bag(str(bag_dir))
        try:
            bag.validate()
        except bagit.BagValidationError as exc:
            details = [str(d) for d in getattr(exc, "details", [])] or [str(exc)]
            report.problems += [f"BagIt 校验不通过：{d}" for d in details]
        except bagit.BagError as exc:
            report.problems.append(f"BagIt 校验不通过：{exc}")
        for record_json in sorted((bag_dir / "data" / "records").glob("*/record.json")):
            _check_archived_record(record_json, report)
        _check_archived_head(bag.info.get("Audit-Chain-Head"), report)
    return report


def _check_archived_head(given: str | None, report: Report) -> None:
    """The package's Audit-Chain-Head must still be in the chain at its position."""
    if not given:
        report.notes.append("档案包未记录审计链头（较早版本生成），无法核对审计记录是否被改写")
        return
    digest, _, count = given.strip().partition(":")
    position = db.session.scalar(select(AuditEvent.seq).where(AuditEvent.hash == digest))
    if position is None or (count.isdigit() and int(count) != position):
        report.problems.append(f"档案包记录的审计链头 {given} 不在审计链的原位置：归档之前的审计记录已被改写")


def _unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or "\\" in name:
                raise ValueError(f"档案包中有不安全的路径：{name}")
        archive.extractall(into)
    tops = [p for p in into.iterdir() if (p / "bagit.txt").is_file()]
    if len(tops) != 1:
        raise ValueError("档案包顶层应恰好有一个含 bagit.txt 的文件夹")
    return tops[0]


def _check_archived_record(record_json: Path, report: Report) -> None:
    folder = record_json.parent
    try:
        data = json.loads(record_json.read_text(encoding="utf-8"))
        record_id = int(data["id"])
    except (ValueError, KeyError, TypeError):
        report.problems.append(f"{folder.name}/record.json 无法读取")
        return
    report.checked["records"] += 1
    record = queries.fresh_record(record_id) if 0 < record_id < 2**31 else None
    if record is None or record.number != data.get("number"):
        report.problems.append(f"{folder.name}：数据库中没有文号为 {data.get('number')} 的记录 #{record_id}")
        return
    if record.status != data.get("status"):
        report.notes.append(f"{record.number}：归档后状态已变为“{record.status_label}”")
    versions = {(v.kind, v.state): v.sha256 for v in queries.document_versions(record.id)}
    attached = {a.sha256 for a in queries.record_attachments(record.id)}
    for entry in data.get("documents", []):
        report.checked["documents"] += 1
        actual = _archived_hash(folder.parent.parent, entry, report)
        if actual is not None and versions.get((entry.get("kind"), entry.get("state"))) != actual:
            report.problems.append(f"{record.number} {entry.get('file')}：与数据库中保存的文书不一致")
    for entry in data.get("attachments", []):
        report.checked["attachments"] += 1
        actual = _archived_hash(folder.parent.parent, entry, report)
        if actual is not None and actual not in attached:
            report.problems.append(f"{record.number} {entry.get('file')}：与数据库中登记的附件不一致")


def _archived_hash(data_dir: Path, entry: dict, report: Report) -> str | None:
    relative = str(entry.get("file") or "")
    path = (data_dir / relative).resolve()
    if not relative or not path.is_relative_to(data_dir.resolve()) or not path.is_file():
        report.problems.append(f"档案包中缺少文件 {relative or '（未注明）'}")
        return None
    actual = hash_file(path)
    if actual != entry.get("sha256"):
        report.problems.append(f"{relative}：SHA-256 与 record.json 不一致")
    return actual
