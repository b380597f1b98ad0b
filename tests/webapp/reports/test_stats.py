import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.pdf.formatting import SHANGHAI
from webapp.reports import breakdown_rows, figures, percentile, working_days_between
from webapp.reports.stats import top_rows
from webapp.services.calendar import default_calendar

from .conftest import make_stats


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in November 2026 (Shanghai): the 20th is a Friday, the 23rd a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize("values, p, expected", [
    ([1, 2, 3, 4], 50, 2.5), ([1, 2, 3, 4], 90, 3.7), ([4, 1, 3, 2], 0, 1), ([4, 1, 3, 2], 100, 4),
    ([5], 90, 5), ([0.5, 2.0, 9.0], 50, 2.0),
])
def test_percentile_interpolates_like_postgres_percentile_cont(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_none_and_p_must_be_a_percentage():
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


@pytest.mark.parametrize("start, end, expected", [
    (at(20, 16), at(23, 10), (8 + 10) / 24),   # Friday afternoon → Monday morning
    (at(23, 9), at(23, 17), 8 / 24),            # within one Monday
    (at(21, 9), at(22, 17), 0),                 # Saturday → Sunday
    (at(23, 10), at(30, 10), 5),                # a whole week
    (at(23, 10), at(23, 9), 0),                 # end before start
    (at(27, 12), at(30, 0), 0.5),               # Friday noon → Monday 00:00
])
def test_working_days_count_only_monday_to_friday(start, end, expected):
    assert working_days_between(start, end) == pytest.approx(expected)


def test_working_days_follow_the_shanghai_calendar():
    # Friday 20:00 UTC is Saturday 04:00 in Shanghai: nothing of it is a working day.
    friday_night_utc = datetime(2026, 11, 20, 20, 0, tzinfo=timezone.utc)
    assert working_days_between(friday_night_utc, friday_night_utc + timedelta(hours=20)) == 0
    # Naive times are taken as Shanghai wall-clock time.
    assert working_days_between(datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 21)) == pytest.approx(0.5)


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                       timezones=st.just(SHANGHAI))


@given(st.lists(moments, min_size=3, max_size=3).map(sorted))
def test_working_days_add_up_over_consecutive_spans(three):
    a, b, c = three
    whole = working_days_between(a, c)
    assert whole == pytest.approx(working_days_between(a, b) + working_days_between(b, c))
    calendar_days = (c - a) / timedelta(days=1)
    # Weekends take 2 days in 7 (± 2 at the ends); each public holiday on a weekday takes one more.
    holidays = sum(1 for day in default_calendar().off if day.weekday() < 5 and a.date() <= day <= c.date())
    assert calendar_days * 5 / 7 - 2 - holidays <= whole <= calendar_days


def test_working_days_skip_public_holidays_and_count_make_up_days():
    # Friday 2026-02-13 16:00 → Tuesday 2026-02-24 10:00: the rest of Friday (8 h), the make-up
    # Saturday 2-14 (24 h), nothing for 春节 2-15…2-23, then 10 h of 2-24.
    start = datetime(2026, 2, 13, 16, tzinfo=SHANGHAI)
    assert working_days_between(start, datetime(2026, 2, 24, 10, tzinfo=SHANGHAI)) == pytest.approx((8 + 24 + 10) / 24)
    # 国庆节 2025 (10-01…10-08): a week-long holiday counts as no time at all.
    assert working_days_between(datetime(2025, 10, 1, 9), datetime(2025, 10, 8, 17)) == 0


def test_stats_put_breakdowns_in_display_order_and_fill_missing_keys():
    stats = make_stats(by_method={"reminder": 4, "advice": 1}, by_stage={"after": 2},
                       by_month={3: 5}, by_unit={"乙科": 2, "甲科": 9, "丙科": 2},
                       by_field={"矿产": 1, "土地": 3})
    assert list(stats.by_method.items()) == [
        ("policy_guidance", 0), ("advice", 1), ("reminder", 4), ("admonition", 0),
        ("commendation", 0), ("case_revisit", 0)]
    assert stats.by_stage == {"before": 0, "during": 0, "after": 2}
    assert list(stats.by_month) == list(range(1, 13)) and stats.by_month[3] == 5 and stats.by_month[4] == 0
    assert list(stats.by_unit.items()) == [("甲科", 9), ("丙科", 2), ("乙科", 2)]
    assert list(stats.by_field) == ["土地", "矿产"]


def test_stats_keep_an_unknown_method_key_visible():
    stats = make_stats(by_method={"advice": 1, "retired_method": 2})
    assert list(stats.by_method)[-1] == "retired_method" and stats.by_method["retired_method"] == 2


def test_stats_rates_follow_their_definitions(stats):
    assert stats.adoption_rate == pytest.approx((60 + 10) / 80)
    assert stats.review_share == pytest.approx(30 / 120)
    assert stats.return_rate == pytest.approx(4 / 28)


def test_stats_rates_are_none_without_a_denominator():
    stats = make_stats(closed_with_result=0, adopted=0, partially_adopted=0, submitted=0,
                       sent_to_review=0, reviewed=0, returned=0)
    assert (stats.adoption_rate, stats.review_share, stats.return_rate) == (None, None, None)


def test_stats_need_an_aware_generation_time():
    with pytest.raises(ValueError, match="aware"):
        make_stats(generated_at=datetime(2026, 12, 31, 17))


def test_stats_json_is_the_api_body(stats):
    body = stats.to_json()
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body
    assert body == {
        "year": 2026, "unit": None, "generated_at": "2026-12-31T17:00:00+08:00", "total": 128,
        "by_method": {"policy_guidance": 30, "advice": 20, "reminder": 40, "admonition": 25,
                      "commendation": 3, "case_revisit": 10},
        "by_stage": {"before": 50, "during": 60, "after": 18},
        "by_unit": {"自然资源开发利用科": 40, "国土空间规划科": 30, "耕地保护监督科": 20, "执法监察大队": 18,
                    "不动产登记中心": 12, "王村自然资源所": 8},
        "by_month": {"1": 7, "2": 14, "3": 21, "4": 5, "5": 12, "6": 19, "7": 3, "8": 10, "9": 17,
                     "10": 1, "11": 8, "12": 11},
        "by_field": {"土地": 60, "规划": 30, "矿产": 20, "不动产登记": 10, "测绘": 8},
        "submitted": 120, "sent_to_review": 30, "review_share": 0.25,
        "reviewed": 28, "returned": 4, "return_rate": 0.1429,
        "turnaround_median": 1.5, "turnaround_p90": 4.25,
        "closed_with_result": 80, "adopted": 60, "partially_adopted": 10, "adoption_rate": 0.875,
        "good_practice_count": 1,
        "good_practice": [{"record_id": 7, "number": "指导书〔2026〕12号", "subject": "临时用地期满未复垦归还",
                           "unit": "自然资源开发利用科", "reason": "企业主动整改，效果显著，可在全区推广",
                           "marked_at": "2026-06-01T10:00:00+08:00"}],
    }


def test_stats_json_shows_spot_checks_only_once_they_exist(stats):
    assert "spot_checks" not in stats.to_json()
    assert make_stats(spot_checks={"drawn": 12, "checked": 9}).to_json()["spot_checks"] == {
        "drawn": 12, "checked": 9}


def test_figures_read_as_a_person_would_write_them(stats):
    shown = {figure.label: figure.text for figure in figures(stats)}
    assert shown["行政指导总数"] == "128"
    assert shown["采纳率"] == "87.5%"
    assert shown["送审比例"] == "25.0%"
    assert shown["退回率"] == "14.3%"
    assert shown["审查用时中位数"] == "1.5 个工作日"
    assert shown["典型经验数"] == "1"
    empty = {f.label: f.text for f in figures(make_stats(reviewed=0, returned=0, turnaround_median=None))}
    assert empty["退回率"] == "—" and empty["审查用时中位数"] == "—"


def test_breakdown_rows_carry_chinese_labels(stats):
    assert breakdown_rows(stats, "by_method")[0] == ("政策指引", 30)
    assert breakdown_rows(stats, "by_stage") == [("事前", 50), ("事中", 60), ("事后", 18)]
    assert breakdown_rows(stats, "by_month")[11] == ("12月", 11)
    assert breakdown_rows(stats, "by_unit")[0] == ("自然资源开发利用科", 40)


def test_top_rows_fold_the_tail_into_others():
    rows = [(f"单位{i}", 20 - i) for i in range(15)]
    folded = top_rows(rows, 12)
    assert len(folded) == 12 and folded[-1] == ("其他", sum(20 - i for i in range(11, 15)))
    assert top_rows(rows[:5], 12) == rows[:5]

