"""The year's 总结 figures (SPEC §7) as one value, and the arithmetic they need.

The query layer fills `Stats` from SQL aggregates; pages, the API, the PDF and the xlsx all
read from it, so every output shows the same numbers under the same names.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from rules import vocabulary as vocab
from webapp.pdf.formatting import SHANGHAI
from webapp.services.calendar import default_calendar

MONTHS = tuple(range(1, 13))
OTHERS = vocab.PROJECT_KIND["other"]  # the 其他 bar that sums the rest
NO_VALUE = "—"

# Labels of the figures (one source for the page, the PDF and the xlsx).
FIGURE_LABELS = {
    "total": "行政指导总数",
    "submitted": "已提交数",
    "sent_to_review": "送法制审查数",
    "review_share": "送审比例",
    "reviewed": "审查决定数",
    "returned": "审查退回数",
    "return_rate": "退回率",
    "turnaround_median": "审查用时中位数",
    "turnaround_p90": "审查用时第90百分位",
    "closed_with_result": "办结且有反馈结果数",
    "adopted": vocab.RESULT["adopted"],
    "partially_adopted": vocab.RESULT["partially_adopted"],
    "adoption_rate": "采纳率",
    "good_practice": "典型经验数",
}
FIGURE_NOTES = {
    "review_share": "送法制审查数 ÷ 已提交数",
    "return_rate": "审查退回数 ÷ 审查决定数",
    "turnaround_median": "提交至审查决定，按工作日计（除去法定节假日，含调休上班日）",
    "turnaround_p90": "九成审查在此工作日数内作出决定",
    "adoption_rate": "（已采纳 ＋ 部分采纳）÷ 办结且有反馈结果数",
}
# 抽查 figures (issue 12.3): Stats.spot_checks keys → labels; unknown keys show as they are.
SPOT_CHECK_LABELS = {"drawn": "抽取数", "checked": "已抽查数", "clean": vocab.SPOT_CHECK_RESULT["clean"],
                     "problem": vocab.SPOT_CHECK_RESULT["problem"]}
BREAKDOWN_TITLES = {
    "by_method": ("按" + vocab.FIELD_LABELS["method"], vocab.FIELD_LABELS["method"]),
    "by_stage": ("按" + vocab.FIELD_LABELS["stage"], vocab.FIELD_LABELS["stage"]),
    "by_month": ("按月份", "月份"),
    "by_unit": ("按" + vocab.FIELD_LABELS["unit"], vocab.FIELD_LABELS["unit"]),
    "by_field": ("按领域", "领域"),
}


@dataclass(frozen=True)
class GoodPractice:
    record_id: int
    number: str | None
    subject: str
    unit: str
    reason: str
    marked_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "number": self.number, "subject": self.subject,
                "unit": self.unit, "reason": self.reason, "marked_at": self.marked_at.isoformat()}


@dataclass
class Stats:
    year: int
    unit: str | None                  # None = whole bureau
    generated_at: datetime            # aware
    total: int
    by_method: dict[str, int]         # §2 method keys, every key present (0 allowed), vocabulary order
    by_stage: dict[str, int]          # §2 stage keys
    by_unit: dict[str, int]           # unit name → count, descending
    by_month: dict[int, int]          # 1..12 all present
    by_field: dict[str, int]          # 领域 → count, descending
    closed_with_result: int           # closed records whose result is adopted/partially/not
    adopted: int                      # result adopted
    partially_adopted: int            # result partially adopted (reported apart from adopted)
    submitted: int                    # records submitted (pending_review, filed, closed, voided)
    sent_to_review: int
    reviewed: int                     # review decisions taken
    returned: int
    turnaround_median: float | None   # working days submit→decision
    turnaround_p90: float | None
    good_practice: list[GoodPractice]  # (record_id, number, subject, unit, reason, marked_at)
    spot_checks: dict[str, int] | None = None   # later issue; None hides the section

    def __post_init__(self) -> None:
        """Put every breakdown in its one display order, so charts and tables never differ."""
        if self.generated_at.tzinfo is None:
            raise ValueError("Stats.generated_at must be timezone-aware")
        self.by_method = _in_vocabulary_order(self.by_method, vocab.METHOD)
        self.by_stage = _in_vocabulary_order(self.by_stage, vocab.STAGE)
        self.by_month = {month: int(self.by_month.get(month, 0)) for month in MONTHS}
        self.by_unit = _descending(self.by_unit)
        self.by_field = _descending(self.by_field)

    @property
    def adoption_rate(self) -> float | None:
        """采纳率 = (adopted + partially_adopted) / closed_with_result; None when nothing closed."""
        return _ratio(self.adopted + self.partially_adopted, self.closed_with_result)

    @property
    def review_share(self) -> float | None:
        """Share of submitted records sent to legal review."""
        return _ratio(self.sent_to_review, self.submitted)

    @property
    def return_rate(self) -> float | None:
        """Share of review decisions that returned the record."""
        return _ratio(self.returned, self.reviewed)

    def to_json(self) -> dict[str, Any]:
        """The GET /api/v1/stats body: §2 keys for methods and stages, rates as fractions (0–1)."""
        body: dict[str, Any] = {
            "year": self.year,
            "unit": self.unit,
            "generated_at": self.generated_at.isoformat(),
            "total": self.total,
            "by_method": dict(self.by_method),
            "by_stage": dict(self.by_stage),
            "by_unit": dict(self.by_unit),
            "by_month": {str(month): count for month, count in self.by_month.items()},
            "by_field": dict(self.by_field),
            "submitted": self.submitted,
            "sent_to_review": self.sent_to_review,
            "review_share": _rounded(self.review_share, 4),
            "reviewed": self.reviewed,
            "returned": self.returned,
            "return_rate": _rounded(self.return_rate, 4),
            "turnaround_median": _rounded(self.turnaround_median, 2),
            "turnaround_p90": _rounded(self.turnaround_p90, 2),
            "closed_with_result": self.closed_with_result,
            "adopted": self.adopted,
            "partially_adopted": self.partially_adopted,
            "adoption_rate": _rounded(self.adoption_rate, 4),
            "good_practice_count": len(self.good_practice),
            "good_practice": [item.to_json() for item in self.good_practice],
        }
        if self.spot_checks is not None:
            body["spot_checks"] = dict(self.spot_checks)
        return body


def _in_vocabulary_order(counts: Mapping[str, int], vocabulary: Mapping[str, str]) -> dict[str, int]:
    ordered = {key: int(counts.get(key, 0)) for key in vocabulary}
    # Keys outside the vocabulary (old data) stay visible at the end rather than vanish.
    ordered.update({key: int(count) for key, count in counts.items() if key not in vocabulary})
    return ordered


def _descending(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(((name, int(count)) for name, count in counts.items()),
                       key=lambda item: (-item[1], item[0])))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --- arithmetic ---------------------------------------------------------------------------------

def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0–100), interpolating between ranks as PostgreSQL percentile_cont
    does; None for no values."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0–100, got {p}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_DAY = timedelta(days=1)


def is_working_day(day: date) -> bool:
    """Monday to Friday, less public holidays, plus 调休 workdays (webapp/data/holidays.toml)."""
    return default_calendar().is_working_day(day)


def working_days_between(start: datetime, end: datetime) -> float:
    """Time from start to end counted on working days only, in days (Shanghai calendar).

    Friday 16:00 → Monday 10:00 is (8 + 10) / 24 = 0.75; 0 when end is not after start.
    """
    start_local = _local(start)
    end_local = _local(end)
    if end_local <= start_local:
        return 0.0
    first, last = start_local.date(), end_local.date()
    if first == last:
        return (end_local - start_local) / _DAY if is_working_day(first) else 0.0
    # The rest of the first day, the start of the last and the whole days between: the same sum
    # as day by day, without a datetime per day (tens of thousands of decisions a year at 1M records).
    total = timedelta()
    if is_working_day(first):
        total += datetime.combine(first + _DAY, time()) - start_local
    if is_working_day(last):
        total += end_local - datetime.combine(last, time())
    total += _DAY * sum(1 for k in range(1, (last - first).days) if is_working_day(first + timedelta(days=k)))
    return total / _DAY


def _local(moment: datetime) -> datetime:
    """Naive Shanghai wall-clock time (naive input is taken as already Shanghai time)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


# --- presentation -------------------------------------------------------------------------------

def percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value * 100:.1f}%"


def days(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.1f} 个工作日"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | int | None
    kind: str   # "count" | "rate" (0–1) | "days"
    note: str

    @property
    def text(self) -> str:
        if self.kind == "rate":
            return percent(self.value)
        if self.kind == "days":
            return days(self.value)
        return str(self.value)


def figures(stats: Stats) -> list[Figure]:
    """The figures table in reading order, raw values kept (the xlsx stores numbers)."""
    raw: dict[str, tuple[float | int | None, str]] = {
        "total": (stats.total, "count"),
        "submitted": (stats.submitted, "count"),
        "sent_to_review": (stats.sent_to_review, "count"),
        "review_share": (stats.review_share, "rate"),
        "reviewed": (stats.reviewed, "count"),
        "returned": (stats.returned, "count"),
        "return_rate": (stats.return_rate, "rate"),
        "turnaround_median": (stats.turnaround_median, "days"),
        "turnaround_p90": (stats.turnaround_p90, "days"),
        "closed_with_result": (stats.closed_with_result, "count"),
        "adopted": (stats.adopted, "count"),
        "partially_adopted": (stats.partially_adopted, "count"),
        "adoption_rate": (stats.adoption_rate, "rate"),
        "good_practice": (len(stats.good_practice), "count"),
    }
    return [Figure(key, FIGURE_LABELS[key], value, kind, FIGURE_NOTES.get(key, ""))
            for key, (value, kind) in raw.items()]


def breakdown_rows(stats: Stats, name: str) -> list[tuple[str, int]]:
    """One breakdown as (Chinese label, count) rows, in display order, every entry kept."""
    counts = getattr(stats, name)
    if name == "by_method":
        return [(vocab.METHOD.get(key, key), count) for key, count in counts.items()]
    if name == "by_stage":
        return [(vocab.STAGE.get(key, key), count) for key, count in counts.items()]
    if name == "by_month":
        return [(f"{month}月", count) for month, count in counts.items()]
    return list(counts.items())


def spot_check_rows(stats: Stats) -> list[tuple[str, int]]:
    """The 抽查 figures as (label, count) rows; empty when the section is hidden."""
    return [(SPOT_CHECK_LABELS.get(key, key), count) for key, count in (stats.spot_checks or {}).items()]


def top_rows(rows: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    """The first limit-1 rows and one 其他 row summing the rest (a chart stays readable)."""
    if len(rows) <= limit:
        return rows
    kept = rows[: limit - 1]
    return kept + [(OTHERS, sum(count for _, count in rows[limit - 1:]))]
