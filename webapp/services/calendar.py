"""The working-day calendar: Monday to Friday, minus Chinese public holidays, plus 调休 workdays.

The dated table is webapp/data/holidays.toml (one [year] table per State Council notice); years
not in it fall back to Monday to Friday. No Flask here: rules, services and reports all use it.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

HOLIDAYS_FILE = Path(__file__).resolve().parents[1] / "data" / "holidays.toml"
_DAY = timedelta(days=1)


class CalendarError(ValueError):
    """The holiday table is malformed (a wrong date, a range backwards, a day both off and on)."""


@dataclass(frozen=True)
class Calendar:
    off: frozenset[date]      # public holidays, including the weekend days inside a holiday range
    work: frozenset[date]     # weekend days that are working days (调休上班)
    years: frozenset[int]     # years the table covers
    names: dict[date, str]    # holiday → its name (元旦, 春节 …)

    def is_working_day(self, day: date) -> bool:
        if day in self.work:
            return True
        return day.weekday() < 5 and day not in self.off


def parse_calendar(text: str) -> Calendar:
    data = tomllib.loads(text)
    off: set[date] = set()
    work: set[date] = set()
    names: dict[date, str] = {}
    for year_text, table in data.items():
        year = int(year_text)
        days: list[date] = []
        for span in table.get("off", []):
            start, end = span.get("from"), span.get("to")
            if not (isinstance(start, date) and isinstance(end, date)) or end < start:
                raise CalendarError(f"{year}: 放假日期有误：{span}")
            day = start
            while day <= end:
                off.add(day)
                names[day] = span.get("name", "")
                days.append(day)
                day += _DAY
        for day in table.get("work", []):
            if not isinstance(day, date) or day.weekday() < 5:
                raise CalendarError(f"{year}: 调休上班日应为周六或周日：{day}")
            work.add(day)
            days.append(day)
        # A notice may start a holiday on the last days of the year before (元旦 on 12-30, 12-31).
        strays = [day for day in days if day.year not in (year - 1, year)]
        if strays:
            raise CalendarError(f"{year}: 日期不属于该年度：{strays}")
    if off & work:
        raise CalendarError(f"既放假又上班的日期：{sorted(off & work)}")
    return Calendar(frozenset(off), frozenset(work), frozenset(int(y) for y in data), names)


@cache
def default_calendar() -> Calendar:
    return parse_calendar(HOLIDAYS_FILE.read_text(encoding="utf-8"))


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def is_working_day(day: date | datetime, calendar: Calendar | None = None) -> bool:
    return (calendar or default_calendar()).is_working_day(_as_date(day))


def add_working_days(day: date | datetime, n: int, calendar: Calendar | None = None) -> date:
    """The date n working days after `day` (before it for negative n); 0 gives `day` itself."""
    calendar = calendar or default_calendar()
    current = _as_date(day)
    step = _DAY if n >= 0 else -_DAY
    remaining = abs(n)
    while remaining:
        current += step
        if calendar.is_working_day(current):
            remaining -= 1
    return current


def working_days_between(a: date | datetime, b: date | datetime, calendar: Calendar | None = None) -> int:
    """How many working days `b` is after `a`: working days d with a < d <= b (b < a: minus the
    working days b <= d < a), so that working_days_between(a, add_working_days(a, n)) == n.

    A record submitted on a Friday and looked at on the Monday after has waited 1 working day.
    """
    calendar = calendar or default_calendar()
    first, last = _as_date(a), _as_date(b)
    sign = 1
    if last < first:
        first, last, sign = last - _DAY, first - _DAY, -1
    total = 0
    day = first + _DAY
    while day <= last:
        total += calendar.is_working_day(day)
        day += _DAY
    return sign * total
