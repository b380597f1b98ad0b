"""The number journal: every document number issued is also appended (and fsynced) to a small
file beside the database, so a restored backup never issues a number a second time.

A line is "year number record_id iso-time". It is written inside the filing transaction, before
the commit: a crash after it leaves a number in the journal that the database never kept (it is
skipped after a restore, never reused); writing after the commit could lose an issued number.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from webapp.extensions import settings


@dataclass(frozen=True)
class JournalLine:
    year: int
    number: int
    record_id: int | None
    at: str


def journal_path() -> Path:
    return Path(settings["NUMBER_JOURNAL"])


def append_number(year: int, number: int, record_id: int | None, *, path: Path | None = None) -> None:
    """Append one issued number and fsync it; raises OSError (the filing then rolls back)."""
    target = path or journal_path()
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    line = f"{year} {number} {record_id if record_id is not None else '-'} {at}\n".encode()
    # O_APPEND with one short write: lines of concurrent processes never interleave.
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(path: Path) -> Iterator[JournalLine]:
    """Every well-formed line; a torn last line (a crash mid-write) is passed over."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    for text in raw.decode("utf-8", "replace").splitlines():
        parts = text.split()
        if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit()):
            continue
        record_id = int(parts[2]) if parts[2].isdigit() else None
        yield JournalLine(int(parts[0]), int(parts[1]), record_id, parts[3])


def highest_numbers(path: Path) -> dict[int, int]:
    """year → the highest number the journal says was issued."""
    highest: dict[int, int] = {}
    for line in read_journal(path):
        highest[line.year] = max(highest.get(line.year, 0), line.number)
    return highest
