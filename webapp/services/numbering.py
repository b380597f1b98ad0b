"""Gapless document numbers per year: a counter row locked inside the filing transaction.

SQLite: the filing transaction already holds the write lock (BEGIN IMMEDIATE).
PostgreSQL: SELECT … FOR UPDATE on the year's counter row. Never a sequence (sequences leave gaps).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db, settings
from webapp.models import NumberCounter


def document_number(year: int, seq: int) -> str:
    """文号 as printed: 指导书〔2026〕12号."""
    return f"{settings['DOCUMENT_NUMBER_PREFIX']}〔{year}〕{seq}号"


def likely_next_number(year: int) -> int:
    """The number the next filing of `year` gets unless another filing commits first (no lock: a guess)."""
    return (db.session.scalar(select(NumberCounter.last_seq).where(NumberCounter.year == year)) or 0) + 1


def allocate_number(year: int) -> int:
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
    return counter.last_seq
