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
from webapp.models import AuditEvent, GuidanceRecord, NumberCounter
from webapp.models.audit import AuditChainHead, AuditText
from webapp.services import queries
from webapp.services.audit import NUMBERS_SKIPPED, TEXT_REF
from webapp.services.chain import GENESIS, event_hash, record_hashes, sha256_text
from webapp.services.documents import needed_versions, store_document_versions, version_title
from webapp.services.files import CHANGED, MISSING, OK, file_store, hash_file


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


@dataclass
class ChainWalk:
    """What walking the chain learns on the way: the head, each record's last sealed hash, the gaps
    recorded as skipped, the long texts referenced."""

    head: tuple[str, int] = (GENESIS, 0)
    sealed: dict[int, tuple[int, str]] = field(default_factory=dict)  # record id → (event id, content hash)
    skipped: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    texts: set[str] = field(default_factory=set)
    hashes: dict[str, int] = field(default_factory=dict)  # event hash → position (for --since-head)


def verify_all(*, since_head: str | None = None, repair: bool = False) -> Report:
    """Everything `flask verify` checks; repair first completes filings missing their documents."""
    report = Report()
    if repair:
        repair_documents(report)
    walk = verify_chain(report)
    if since_head is not None:
        _check_since_head(since_head, walk, report)
    verify_records(walk, report)
    verify_numbers(walk, report)
    files = verify_files()
    report.problems += files.problems
    for kind, n in files.checked.items():
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


def _event_name(event: AuditEvent) -> str:
    return f"审计事件 #{event.id}（{event.entity} #{event.entity_id}，{event.action}）"


def verify_chain(report: Report) -> ChainWalk:
    """Walk the events in chain order: positions 1…n, each prev_hash the hash before it, each hash
    recomputed from the event's content; the head row must name the last event."""
    walk = ChainWalk()
    unsealed = db.session.scalars(select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)).all()
    for event_id in unsealed:
        report.problems.append(f"审计事件 #{event_id} 不在审计链中（未经系统写入）")
    expected, prev = 1, GENESIS
    query = select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
    for event in db.session.scalars(query.execution_options(yield_per=2000)):
        report.checked["events"] += 1
        if event.seq != expected:
            report.problems.append(f"{_event_name(event)}：位置 {event.seq}，应为 {expected}（审计链缺失或插入了事件）")
        if event.prev_hash != prev:
            report.problems.append(f"{_event_name(event)}：前一哈希与审计链不符（之前的事件被删除、插入或改写）")
        recomputed = event_hash(seq=event.seq, prev_hash=event.prev_hash or "", at=event.at, user_id=event.user_id,
                                entity=event.entity, entity_id=event.entity_id, action=event.action,
                                changes=event.changes, note=event.note, record_sha256=event.record_sha256)
        if recomputed != event.hash:
            report.problems.append(f"{_event_name(event)}：内容与其哈希不符（事件已被改写）")
        if event.entity == "record" and event.record_sha256:
            walk.sealed[event.entity_id] = (event.id, event.record_sha256)
        if event.action == NUMBERS_SKIPPED:
            _note_skipped(event, walk)
        _collect_texts(event.changes, walk.texts)
        walk.hashes[event.hash] = event.seq
        expected, prev = event.seq + 1, event.hash
        walk.head = (event.hash, event.seq)
        db.session.expunge(event)  # a million events need not stay in the identity map
    head = db.session.get(AuditChainHead, 1)
    if walk.head[1] and (head is None or (head.hash, head.seq) != walk.head):
        report.problems.append(f"审计链头（{head.seq if head else '无'}）与最后一个事件（{walk.head[1]}）不符"
                               "（末尾的事件被删除或链头被改动）")
    _check_texts(walk, report)
    return walk


def _note_skipped(event: AuditEvent, walk: ChainWalk) -> None:
    try:
        year, first, last = (int(event.changes[key]["after"]) for key in ("year", "from", "to"))
    except (KeyError, TypeError, ValueError):
        return
    walk.skipped[year].append((first, last))


def _collect_texts(value, into: set[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get(TEXT_REF), str):
            into.add(value[TEXT_REF])
        for item in value.values():
            _collect_texts(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect_texts(item, into)


def _check_texts(walk: ChainWalk, report: Report) -> None:
    stored = set()
    for sha256, body in db.session.execute(select(AuditText.sha256, AuditText.body)):
        stored.add(sha256)
        if sha256_text(body) != sha256:
            report.problems.append(f"审计长文本 {sha256}：内容与其哈希不符（已被改写）")
    for sha256 in sorted(walk.texts - stored):
        report.problems.append(f"审计长文本 {sha256} 缺失")


def _check_since_head(given: str, walk: ChainWalk, report: Report) -> None:
    """An earlier head (HASH or HASH:COUNT, as verify and backups print it) must still be in the chain
    at its position: a rewrite of the whole chain changes every hash after the first rewritten event."""
    digest, _, count = given.strip().partition(":")
    position = walk.hashes.get(digest.lower())
    if position is None:
        report.problems.append(f"给定的链头 {digest} 不在审计链中：该链头之前的审计记录已被改写或删除")
    elif count and count.isdigit() and int(count) != position:
        report.problems.append(f"给定的链头 {digest} 位于第 {position} 位，而不是第 {count} 位")
    else:
        report.notes.append(f"给定的链头 {digest} 仍在审计链第 {position} 位，之后的事件均已核对")


def verify_records(walk: ChainWalk, report: Report) -> None:
    """Each record's content now must hash to what its last sealed audit event recorded."""
    for record_id, digest in record_hashes(db.session.connection()):
        report.checked["records"] += 1
        sealed = walk.sealed.get(record_id)
        if sealed is None:
            report.problems.append(f"记录 #{record_id} 没有带内容哈希的审计事件（未经系统写入）")
        elif sealed[1] != digest:
            number = db.session.scalar(select(GuidanceRecord.number).where(GuidanceRecord.id == record_id))
            report.problems.append(f"记录 #{record_id}（{number or '未编号'}）的内容或审查意见与其最后一个审计事件"
                                   f" #{sealed[0]} 记录的不一致（被直接修改）")


def verify_numbers(walk: ChainWalk, report: Report) -> None:
    """Per year: numbers 1…counter all issued (or recorded as skipped), none above the counter."""
    counters = dict(db.session.execute(select(NumberCounter.year, NumberCounter.last_seq)).all())
    issued: dict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(select(GuidanceRecord.number_year, GuidanceRecord.number_seq)
                              .where(GuidanceRecord.number_seq.is_not(None)))
    for year, seq in rows:
        issued[year].add(seq)
    for year in sorted(set(issued) | set(counters)):
        last = counters.get(year)
        numbers = issued.get(year, set())
        if last is None:
            report.problems.append(f"{year} 年有文号但没有文号计数器")
            continue
        if numbers and max(numbers) > last:
            report.problems.append(f"{year} 年文号计数器为 {last}，但已发出第 {max(numbers)} 号"
                                   "（计数器被回拨，将重复发号）")
        skipped = walk.skipped.get(year, [])
        missing = [n for n in range(1, last + 1)
                   if n not in numbers and not any(a <= n <= b for a, b in skipped)]
        for first, end in _ranges(missing):
            span = f"第 {first} 号" if first == end else f"第 {first}–{end} 号"
            report.problems.append(f"{year} 年文号缺{span}（没有记录，也没有号段说明）")


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    return spans


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
