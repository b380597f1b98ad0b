"""Gapless document numbers per year: a counter row locked inside the filing transaction.

SQLite: the filing transaction already holds the write lock (BEGIN IMMEDIATE).
PostgreSQL: SELECT … FOR UPDATE on the year's counter row. Never a sequence (sequences leave gaps).
Each number is also appended to the number journal before the commit (number_journal.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rules import vocabulary as vocab
from rules.model import SHANGHAI
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from webapp.db_setup import write_transaction
from webapp.extensions import db, settings
from webapp.models import AuditEvent, NumberCounter
from webapp.services.audit import NUMBERS_SKIPPED, record_numbers_skipped
from webapp.services.number_journal import append_number


def document_number(year: int, seq: int) -> str:
    """文号 as printed: 指导书〔2026〕12号."""
    return f"{settings['DOCUMENT_NUMBER_PREFIX']}〔{year}〕{seq}号"


def likely_next_number(year: int) -> int:
    """The number the next filing of `year` gets unless another filing commits first (no lock: a guess)."""
    return (db.session.scalar(select(NumberCounter.last_seq).where(NumberCounter.year == year)) or 0) + 1


def allocate_number(year: int, *, record_id: int | None = None) -> int:
    """The next number of `year`; the caller's transaction must commit or roll back with it."""
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(NumberCounter).values(year=year, last_seq=0)
                       .on_conflict_do_nothing(index_elements=["year"]))
    counter = db.session.scalar(
        select(NumberCounter).where(NumberCounter.year == year)
        .with_for_update().execution_options(populate_existing=True))
    counter.last_seq += 1
    db.session.flush()
    append_number(year, counter.last_seq, record_id)  # still under the counter's lock: lines stay in order
    return counter.last_seq


@dataclass(frozen=True)
class SkippedRange:
    """Numbers a restore passed over: issued before the backup's state was reinstalled, never reused."""

    year: int
    first: int
    last: int
    at: datetime | None = None


def continue_numbering(floors: dict[int, int], *, note: str) -> list[SkippedRange]:
    """Move each year's counter up to at least floors[year]; each jump is an audit event
    `numbers_skipped` {year, from, to} (the 登记簿's 号段说明)."""
    skipped: list[SkippedRange] = []
    with write_transaction():
        for year, floor in sorted(floors.items()):
            counter = db.session.get(NumberCounter, year, with_for_update=True)
            if counter is None:
                counter = NumberCounter(year=year, last_seq=0)
                db.session.add(counter)
            if floor <= counter.last_seq:
                continue
            gap = SkippedRange(year, counter.last_seq + 1, floor)
            counter.last_seq = floor
            record_numbers_skipped(year, gap.first, gap.last, note=note)
            skipped.append(gap)
    return skipped


def skipped_ranges(year: int | None = None) -> list[SkippedRange]:
    """The ranges restores passed over (of one number year, or all), oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == NUMBERS_SKIPPED).order_by(AuditEvent.id)
    if year is not None:
        query = query.where(AuditEvent.entity == "number_counter", AuditEvent.entity_id == year)
    ranges = []
    for event in db.session.scalars(query):
        params = event.changes or {}
        try:
            year, first, last = (int(params[key]["after"]) for key in ("year", "from", "to"))
            ranges.append(SkippedRange(year, first, last, event.at))
        except (KeyError, TypeError, ValueError):
            continue  # not ours to explain; verify reports a damaged event
    return ranges


def gap_notes(year: int | None = None) -> list[str]:
    """The 登记簿's 号段说明 lines (of one number year, or all)."""
    notes = []
    for gap in skipped_ranges(year):
        day = gap.at.astimezone(SHANGHAI) if gap.at else None
        when = f"{day.year}年{day.month}月{day.day}日" if day else ""
        notes.append(vocab.NUMBER_GAP_NOTE.format(year=gap.year, first=gap.first, last=gap.last, when=when))
    return notes
