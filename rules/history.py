"""Earlier records for history-dependent rules, and how the engine reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from .model import SHANGHAI

COUNTED_STATUSES = frozenset({"pending_review", "filed", "closed"})


class HistorySource(Protocol):
    def earlier_records(self, *, target_name: str, target_id_number: str | None,
                        start: datetime, end: datetime) -> Iterable[Mapping]: ...


@dataclass(frozen=True, slots=True)
class EarlierRecord:
    """What the history rules need of an earlier record."""

    guided_at: datetime
    name: str | None
    id_number: str | None
    method: Any
    catalog_code: Any


def _moment(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def normalize_id(value: Any) -> str | None:
    text = _text(value)
    return text.upper() if text else None


def read_earlier(entry: Mapping) -> EarlierRecord | None:
    """Counted earlier record, or None (wrong status, unreadable time, not a mapping)."""
    if not isinstance(entry, Mapping):
        return None
    status = entry.get("status", "filed")
    if not isinstance(status, str) or status not in COUNTED_STATUSES:
        return None
    moment = _moment(entry.get("guided_at"))
    if moment is None:
        return None
    target = entry.get("target")
    target = target if isinstance(target, Mapping) else {}
    method = entry.get("method")
    if method == "劝导警示":
        method = "admonition"
    return EarlierRecord(moment, _text(target.get("name")), normalize_id(target.get("id_number")),
                         method, entry.get("catalog_code"))


def same_target(earlier: EarlierRecord, name: str | None, id_number: str | None) -> bool:
    """Same id_number when both have one, else same name."""
    if id_number and earlier.id_number:
        return id_number == earlier.id_number
    return name is not None and name == earlier.name


def within(earlier: EarlierRecord, guided_at: datetime, days: int) -> bool:
    """In [guided_at − days, guided_at)."""
    return guided_at - timedelta(days=days) <= earlier.guided_at < guided_at


class ListHistory:
    """HistorySource over an in-memory list (CLI, tests), indexed by target name and id."""

    def __init__(self, records: Iterable[Mapping]):
        self.records = list(records)
        self._by_key: dict[str, list[tuple[Mapping, EarlierRecord | None]]] = {}
        for entry in self.records:
            target = entry.get("target") if isinstance(entry, Mapping) else None
            if not isinstance(target, Mapping):
                continue
            read = read_earlier(entry)  # parsed once here, not on every evaluation
            keys = {f"name:{_text(target.get('name'))}", f"id:{normalize_id(target.get('id_number'))}"}
            for key in keys - {"name:None", "id:None"}:
                self._by_key.setdefault(key, []).append((entry, read))

    def _candidates(self, target_name: str, target_id_number: str | None):
        found = self._by_key.get(f"name:{_text(target_name)}", [])
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
