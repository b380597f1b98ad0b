"""The working-day calendar against the State Council's 2025 and 2026 holiday notices."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.services.calendar import (
    CalendarError, add_working_days, default_calendar, is_working_day, parse_calendar, working_days_between,
)

D = date


@pytest.mark.parametrize("day", [
    D(2025, 1, 26),   # Sunday, 春节调休上班
    D(2025, 2, 8),    # Saturday, 春节调休上班
    D(2025, 4, 27),   # Sunday, 劳动节调休上班
    D(2025, 9, 28),   # Sunday, 国庆节调休上班
    D(2025, 10, 11),  # Saturday
    D(2026, 1, 4),    # Sunday, 元旦调休上班
    D(2026, 2, 14),   # Saturday before 春节
    D(2026, 2, 28),   # Saturday after 春节
    D(2026, 5, 9),    # Saturday, 劳动节调休上班
    D(2026, 9, 20),   # Sunday, 国庆节调休上班
    D(2026, 10, 10),  # Saturday
    D(2026, 11, 30),  # an ordinary Monday
])
def test_calendar_make_up_and_ordinary_working_days(day):
    assert is_working_day(day)


@pytest.mark.parametrize("first, last", [
    (D(2025, 1, 1), D(2025, 1, 1)),     # 元旦 on a Wednesday: one day only
    (D(2025, 1, 28), D(2025, 2, 4)),    # 春节, 8 days from 除夕
    (D(2025, 4, 4), D(2025, 4, 6)),
    (D(2025, 5, 1), D(2025, 5, 5)),
    (D(2025, 5, 31), D(2025, 6, 2)),
    (D(2025, 10, 1), D(2025, 10, 8)),   # 国庆节 with 中秋节, 8 days
    (D(2026, 1, 1), D(2026, 1, 3)),
    (D(2026, 2, 15), D(2026, 2, 23)),   # 春节, 9 days
    (D(2026, 4, 4), D(2026, 4, 6)),
    (D(2026, 5, 1), D(2026, 5, 5)),
    (D(2026, 6, 19), D(2026, 6, 21)),
    (D(2026, 9, 25), D(2026, 9, 27)),
    (D(2026, 10, 1), D(2026, 10, 7)),
])
def test_calendar_every_holiday_day_is_off(first, last):
    day = first
    while day <= last:
        assert not is_working_day(day), day
        day += timedelta(days=1)
    assert is_working_day(first - timedelta(days=1)) or (first - timedelta(days=1)).weekday() >= 5


def test_calendar_counts_of_a_year_match_the_notices():
    # 2025: 261 weekdays − 18 weekday holidays (1 + 6 + 1 + 3 + 1 + 6) + 5 make-up days = 248.
    assert working_days_between(D(2024, 12, 31), D(2025, 12, 31)) == 248
    # 2026: 261 weekdays − 19 weekday holidays (2 + 6 + 1 + 3 + 1 + 1 + 5) + 6 make-up days = 248.
    assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 248


def test_calendar_weekend_days_off_outside_the_table():
    assert not is_working_day(D(2027, 3, 6))  # a Saturday in a year not yet published
    assert is_working_day(D(2027, 3, 8))
    assert 2027 not in default_calendar().years


def test_calendar_add_working_days_jumps_over_spring_festival():
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)   # Friday → the make-up Saturday
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)   # over the 9 days off
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)   # over 国庆 and 中秋
    assert add_working_days(D(2025, 10, 9), -1) == D(2025, 9, 30)
    assert add_working_days(D(2026, 11, 30), 0) == D(2026, 11, 30)


def test_calendar_working_days_between_counts_days_after_the_first():
    assert working_days_between(D(2026, 11, 27), D(2026, 11, 30)) == 1   # Friday → Monday
    assert working_days_between(D(2026, 11, 30), D(2026, 11, 30)) == 0
    assert working_days_between(D(2026, 11, 30), D(2026, 11, 27)) == -1
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2   # 2-14 and 2-24
    assert working_days_between(datetime(2025, 1, 24, 17), datetime(2025, 1, 27, 9)) == 2  # Sunday 26th works


@given(st.dates(D(2024, 6, 1), D(2027, 6, 1)), st.integers(-40, 40))
def test_calendar_add_and_count_agree(day, n):
    assert working_days_between(day, add_working_days(day, n)) == n


@pytest.mark.parametrize("text, problem", [
    ('[2025]\noff = [{ name = "x", from = 2025-01-05, to = 2025-01-04 }]', "放假日期有误"),
    ("[2025]\nwork = [2025-01-06]", "周六或周日"),
    ('[2025]\noff = [{ name = "x", from = 2025-01-04, to = 2025-01-05 }]\nwork = [2025-01-04]', "既放假又上班"),
    ('[2025]\noff = [{ name = "x", from = 2023-01-04, to = 2023-01-05 }]', "不属于该年度"),
])
def test_calendar_refuses_a_malformed_table(text, problem):
    with pytest.raises(CalendarError, match=problem):
        parse_calendar(text)


def test_calendar_names_the_holidays():
    assert default_calendar().names[D(2026, 2, 17)] == "春节"
