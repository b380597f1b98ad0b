"""Earlier records for history-dependent rules, and how the engine reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from .model import METHOD_KEYS, STATUS_KEYS, read_moment, target_key, to_key, upper_code

COUNTED_STATUSES = frozenset({"pending_review", "filed", "closed"})


class HistorySource(Protocol):
    """Where the engine finds earlier records of the same target.

    The engine passes ``target_name`` as ``target_key(name)`` (NFKC, case-folded, no white space;
    "" when the record has no name) and ``target_id_number`` trimmed and upper-cased (or None).
    A source may return more than asked: the engine reads every entry with ``read_earlier``
    (the records' own normalisation) and applies status, window and same-target itself.
    Entries are §3 records plus an optional ``status`` (key or Chinese label; absent = filed).
    """

    def earlier_records(self, *, target_name: str, target_id_number: str | None,
                        start: datetime, end: datetime) -> Iterable[Mapping]: ...


@dataclass(frozen=True, slots=True)
class EarlierRecord:
    """What the history rules need of an earlier record, normalised like a record."""

    guided_at: datetime
    name_key: str | None
    id_number: str | None
    method: Any
    catalog_code: Any


def normalize_id(value: Any) -> str | None:
    """A target id_number as records hold it: trimmed, upper-cased, None if blank."""
    value = upper_code(value)
    return value if isinstance(value, str) else None


def read_earlier(entry: Any) -> EarlierRecord | None:
    """Counted earlier record, or None (wrong status, unreadable time, not a mapping).

    A few fields read with the model's own normalisers, not the whole model: entries are many.
    """
    if not isinstance(entry, Mapping):
        return None
    status = to_key(STATUS_KEYS, entry.get("status"))
    if status is not None and (not isinstance(status, str) or status not in COUNTED_STATUSES):
        return None
    moment = read_moment(entry.get("guided_at"))
    if moment is None:
        return None
    target = entry.get("target")
    if not isinstance(target, Mapping):
        target = {}
    return EarlierRecord(moment, target_key(target.get("name")),
                         normalize_id(target.get("id_number")),
                         to_key(METHOD_KEYS, entry.get("method")), upper_code(entry.get("catalog_code")))


def same_target(earlier: EarlierRecord, name_key: str | None, id_number: str | None) -> bool:
    """Same id_number when both have one, else same name (compared by target_key)."""
    if id_number and earlier.id_number:
        return id_number == earlier.id_number
    return name_key is not None and name_key == earlier.name_key


def within(earlier: EarlierRecord, guided_at: datetime, days: int) -> bool:
    """In [guided_at − days, guided_at)."""
    return guided_at - timedelta(days=days) <= earlier.guided_at < guided_at


class ListHistory:
    """HistorySource over an in-memory list (CLI, tests), indexed by target key and id."""

    def __init__(self, records: Iterable[Mapping]):
        self.records = list(records)
        self._by_key: dict[str, list[tuple[Mapping, EarlierRecord | None]]] = {}
        for entry in self.records:
            target = entry.get("target") if isinstance(entry, Mapping) else None
            if not isinstance(target, Mapping):
                continue
            read = read_earlier(entry)  # read once here, not on every evaluation
            keys = {f"name:{target_key(target.get('name'))}",
                    f"id:{normalize_id(target.get('id_number'))}"}
            for key in keys - {"name:None", "id:None"}:
                self._by_key.setdefault(key, []).append((entry, read))

    def _candidates(self, target_name: str, target_id_number: str | None):
        found = self._by_key.get(f"name:{target_key(target_name)}", [])
        if target_id_number:
            by_id = self._by_key.get(f"id:{normalize_id(target_id_number)}", [])
            if by_id:
                found = list({id(e): (e, r) for e, r in (*found, *by_id)}.values()) if found else by_id
        return found

    def earlier_records(self, *, target_name: str, target_id_number: str | None,
                        start: datetime, end: datetime) -> Iterable[Mapping]:
        # The engine applies window, status and same-target rules itself; this only trims.
        return [entry for entry, read in self._candidates(target_name, target_id_number)
                if read is None or start <= read.guided_at < end]

    def earlier_read(self, *, target_name: str, target_id_number: str | None,
                     start: datetime, end: datetime) -> list[EarlierRecord]:
        """Fast path for the engine: the same entries, already read by read_earlier."""
        return [read for _, read in self._candidates(target_name, target_id_number)
                if read is not None and start <= read.guided_at < end]
