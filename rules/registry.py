"""Check functions are registered by name; rules in ruleset.toml bind to them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .catalog import Catalog, CatalogItem
from .history import EarlierRecord, HistorySource, read_earlier, same_target
from .model import SHANGHAI, GuidanceRecord, target_key

# A check yields the field path of each finding, or (field, extra message values).
Hit = str | tuple[str, dict[str, Any]]
CheckFn = Callable[["Context", Any], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    name: str
    fn: CheckFn
    prepare: Callable[[dict[str, Any]], Any] | None
    extras: frozenset[str]
    history: bool


CHECKS: dict[str, CheckSpec] = {}


def check(name: str, *, prepare: Callable[[dict[str, Any]], Any] | None = None,
          extras: Iterable[str] = (), history: bool = False):
    """Register a pure check function under the name rules use in `check = "…"`."""

    def register(fn: CheckFn) -> CheckFn:
        if name in CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        CHECKS[name] = CheckSpec(name, fn, prepare, frozenset(extras), history)
        return fn

    return register


class Context:
    """One record under evaluation, with what the checks derive from it computed once.

    ``parsed`` is the engine's Reading (record, issues, bad_fields).
    """

    __slots__ = ("rec", "parsed", "catalog", "item", "now", "today", "guided_at",
                 "guided_day", "_history", "_history_days", "_earlier")

    def __init__(self, parsed: Any, catalog: Catalog, history: HistorySource | None,
                 now: datetime, history_days: int):
        rec = parsed.record
        self.rec: GuidanceRecord = rec
        self.parsed = parsed
        self.catalog = catalog
        self.item: CatalogItem | None = catalog.get(rec.catalog_code)
        self.now = now
        self.today: date = now.astimezone(SHANGHAI).date()
        self.guided_at: datetime | None = rec.guided_at
        self.guided_day: date | None = (
            rec.guided_at.astimezone(SHANGHAI).date() if rec.guided_at is not None else None)
        self._history = history
        self._history_days = history_days
        self._earlier: list[EarlierRecord] | None = None

    def earlier(self, days: int) -> list[EarlierRecord]:
        """Counted earlier records of the same target in [guided_at − days, guided_at)."""
        if self._earlier is None:
            self._earlier = self._fetch()
        if not self._earlier:
            return self._earlier
        start = self.guided_at - timedelta(days=days)
        return [e for e in self._earlier if start <= e.guided_at]

    def _fetch(self) -> list[EarlierRecord]:
        target = self.rec.target
        if self._history is None or self.guided_at is None or target is None:
            return []
        name = target_key(target.name)
        id_number = target.id_number  # the model trimmed and upper-cased it
        if name is None and id_number is None:
            return []
        end = self.guided_at
        start = end - timedelta(days=self._history_days)
        found = []
        fast = getattr(self._history, "earlier_read", None)  # ListHistory: entries pre-read
        if fast is not None:
            entries = fast(target_name=name or "", target_id_number=id_number, start=start, end=end)
        else:
            entries = map(read_earlier, self._history.earlier_records(
                target_name=name or "", target_id_number=id_number, start=start, end=end))
        for earlier in entries:
            if (earlier is not None and start <= earlier.guided_at < end
                    and same_target(earlier, name, id_number)):
                found.append(earlier)
        return found
