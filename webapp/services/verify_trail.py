"""The audit trail's part of `flask verify`: the hash chain, each record against its last sealed
event, and the number sequence of each year."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord, NumberCounter
from webapp.models.audit import AuditChainHead, AuditText
from webapp.services.audit import NUMBERS_SKIPPED, TEXT_REF
from webapp.services.chain import GENESIS, event_hash, record_hashes, sha256_text

if TYPE_CHECKING:
    from webapp.services.verify import Report


@dataclass
class ChainWalk:
    """What walking the chain learns on the way: the head, each record's last sealed hash, the gaps
    recorded as skipped, the long texts referenced."""

    head: tuple[str, int] = (GENESIS, 0)
    sealed: dict[int, tuple[int, str]] = field(default_factory=dict)  # record id → (event id, content hash)
    skipped: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    texts: set[str] = field(default_factory=set)
    hashes: dict[str, int] = field(default_factory=dict)  # event hash → position (for --since-head)


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


def check_since_head(given: str, walk: ChainWalk, report: Report) -> None:
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
