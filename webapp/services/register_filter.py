"""The register's filters (SPEC §7): read from GET parameters, checked, turned into SQL.

One reading for the page, the exports and the API, so the same URL means the same rows
everywhere. A bad value never raises: it is reported per parameter, in Chinese.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta

from rules import vocabulary as vocab
from rules.model import SHANGHAI
from sqlalchemy import Column, and_, case, column, exists, func, literal_column, or_, select, table
from sqlalchemy.sql import visitors

from webapp.extensions import db
from webapp.models import CatalogItem, GuidanceRecord, Unit

Record = GuidanceRecord
MAX_TEXT = 100  # a filter value longer than any name, code or number we keep is a mistake
YEAR_RANGE = (2000, 2100)
SORT_LABELS = {"-number": "文号从大到小", "number": "文号从小到大", "-guided_at": "指导时间从近到远",
               "guided_at": "指导时间从远到近", "-id": "登记从新到旧", "id": "登记从旧到新"}


@dataclass(frozen=True)
class RecordFilter:
    year: int | None = None
    unit: str | None = None
    methods: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    catalog: str | None = None
    field: str | None = None
    officer: str | None = None
    q: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    good: bool = False
    sort: str = "-number"
    unit_id: int | None = dataclass_field(default=None, compare=False)  # resolved from `unit`

    def params(self) -> list[tuple[str, str]]:
        """The GET parameters that give this filter back (for links, exports, next pages)."""
        out: list[tuple[str, str]] = []
        if self.year is not None:
            out.append(("year", str(self.year)))
        for name, value in (("unit", self.unit), ("catalog", self.catalog), ("field", self.field),
                            ("officer", self.officer), ("q", self.q)):
            if value:
                out.append((name, value))
        out += [("method", m) for m in self.methods] + [("stage", s) for s in self.stages]
        out += [("status", s) for s in self.statuses]
        if self.date_from:
            out.append(("from", self.date_from.isoformat()))
        if self.date_to:
            out.append(("to", self.date_to.isoformat()))
        if self.good:
            out.append(("good", "1"))
        if self.sort != "-number":
            out.append(("sort", self.sort))
        return out

    def words(self) -> str:
        """The filter in words, for titles of exports: 2026年度；劝导警示；已备案."""
        parts = []
        if self.year is not None:
            parts.append(f"{self.year}年度")
        if self.unit:
            parts.append(self.unit)
        parts += [vocab.METHOD[m] for m in self.methods] + [vocab.STAGE[s] for s in self.stages]
        parts += [vocab.STATUS[s] for s in self.statuses]
        if self.catalog:
            parts.append(f"目录事项 {self.catalog}")
        if self.field:
            parts.append(f"领域：{self.field}")
        if self.officer:
            parts.append(f"指导人员：{self.officer}")
        if self.q:
            parts.append(f"含“{self.q}”")
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or ''}至{self.date_to or ''}")
        if self.good:
            parts.append("典型经验")
        return "；".join(parts) or "全部记录"


def _one(args, name: str) -> str:
    value = args.get(name)
    return value.strip() if isinstance(value, str) else ""


def _keys(args, name: str, vocabulary: dict[str, str], errors: dict[str, str]) -> tuple[str, ...]:
    keys = []
    for raw in args.getlist(name):
        raw = raw.strip()
        if not raw:
            continue
        key = vocab.key_for_label(vocabulary, raw)
        if key is None:
            errors[name] = f"“{raw[:20]}”不是有效的选项，应为：" + "、".join(vocabulary.values())
            continue
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _day(args, name: str, errors: dict[str, str]) -> date | None:
    raw = _one(args, name)
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw, re.ASCII):
        errors[name] = "日期格式应为 2026-11-30"
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = "日期不存在，请检查年月日"
        return None
    if not YEAR_RANGE[0] <= day.year <= YEAR_RANGE[1]:
        errors[name] = f"日期应在 {YEAR_RANGE[0]} 至 {YEAR_RANGE[1]} 年之间"
        return None
    return day


def _text(args, name: str, errors: dict[str, str]) -> str | None:
    raw = _one(args, name)
    if "\x00" in raw:
        errors[name] = "含有无效字符"
        return None
    if len(raw) > MAX_TEXT:
        errors[name] = f"最多 {MAX_TEXT} 个字"
        return None
    return raw or None


def parse_filter(args, *, units: Mapping[str, int] | None = None) -> tuple[RecordFilter, dict[str, str]]:
    """RecordFilter from GET parameters, and {parameter: message} for each value refused.

    Refused values are left out of the filter (the page shows the message beside the field).
    `units` maps unit names to ids; an unknown unit is refused.
    """
    errors: dict[str, str] = {}
    year = None
    raw_year = _one(args, "year")
    if raw_year:
        if raw_year.isascii() and raw_year.isdigit() and len(raw_year) == 4 \
                and YEAR_RANGE[0] <= int(raw_year) <= YEAR_RANGE[1]:
            year = int(raw_year)
        else:
            errors["year"] = f"年度应为 {YEAR_RANGE[0]} 至 {YEAR_RANGE[1]} 之间的四位数字"
    unit = _text(args, "unit", errors)
    unit_id = None
    if unit and units is not None:
        unit_id = units.get(unit)
        if unit_id is None:
            errors["unit"] = f"没有名为“{unit[:30]}”的单位"
            unit = None
    date_from, date_to = _day(args, "from", errors), _day(args, "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = "截止日期不能早于起始日期"
        date_to = None
    catalog = _text(args, "catalog", errors)
    sort = _one(args, "sort") or "-number"
    if sort not in SORT_LABELS:
        errors["sort"] = "排序方式应为：" + "、".join(SORT_LABELS.values())
        sort = "-number"
    good = _one(args, "good")
    if good not in ("", "0", "1"):
        errors["good"] = "good 应为 1（只看典型经验）或不填"
    flt = RecordFilter(
        year=year, unit=unit, unit_id=unit_id,
        methods=_keys(args, "method", vocab.METHOD, errors),
        stages=_keys(args, "stage", vocab.STAGE, errors),
        statuses=_keys(args, "status", vocab.STATUS, errors),
        catalog=catalog.upper() if catalog else None,
        field=_text(args, "field", errors), officer=_text(args, "officer", errors),
        q=_text(args, "q", errors), date_from=date_from, date_to=date_to,
        good=good == "1", sort=sort)
    return flt, errors


def _shanghai_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def without_index(condition):
    """On SQLite, `condition` with +column: no index serves it. A database that was never
    ANALYZEd (as deployed) gives SQLite no statistics, and it then takes any equality for more
    selective than a range: it would read a year's records through `status IN (…)` (measured
    1–2 s at 1M records) instead of through the period's covering index (20 ms)."""
    if db.engine.dialect.name != "sqlite":
        return condition

    def swap(element):
        if isinstance(element, Column) and element.table is Record.__table__:
            return literal_column(f"+{element.table.name}.{element.name}", element.type)
        return None

    return visitors.replacement_traverse(condition, {}, swap)


def filter_conditions(flt: RecordFilter) -> list:
    """SQL conditions for a filter (engine-neutral except the officer and text search)."""
    c = []
    # Within a period the guided_at indexes lead; the unit may join them (ix_record_unit_guided_cover).
    other = without_index if flt.year is not None or flt.date_from or flt.date_to else (lambda condition: condition)
    if flt.year is not None:
        c += [Record.guided_at >= _shanghai_start(date(flt.year, 1, 1)),
              Record.guided_at < _shanghai_start(date(flt.year + 1, 1, 1))]
    if flt.unit_id is not None:
        c.append(Record.owner_unit_id == flt.unit_id)
    elif flt.unit:
        c.append(Record.owner_unit_id.in_(select(Unit.id).where(Unit.name == flt.unit)))
    if flt.methods:
        c.append(other(Record.method.in_(flt.methods)))
    if flt.stages:
        c.append(other(Record.stage.in_(flt.stages)))
    if flt.statuses:
        c.append(other(Record.status.in_(flt.statuses)))
    if flt.catalog:
        c.append(other(Record.catalog_code == flt.catalog))
    if flt.field:
        c.append(other(Record.catalog_code.in_(select(CatalogItem.code).where(CatalogItem.field == flt.field))))
    if flt.date_from:
        c.append(Record.guided_at >= _shanghai_start(flt.date_from))
    if flt.date_to:
        c.append(Record.guided_at < _shanghai_start(flt.date_to + timedelta(days=1)))
    if flt.good:
        c.append(other(Record.good_practice.is_(True)))
    if flt.officer:
        c.append(_has_officer(flt.officer))
    if flt.q:
        c.append(_text_search(flt.q))
    return c


def _has_officer(name: str):
    """officers is a JSON list: one element equal to `name`."""
    if db.engine.dialect.name == "postgresql":
        # A draft saved with "officers": null holds JSON null, which json_array_elements_text refuses.
        officers = case((func.json_typeof(Record.officers) == "array", Record.officers),
                        else_=literal_column("'[]'::json"))
        element = func.json_array_elements_text(officers).table_valued("value")
    else:
        element = func.json_each(Record.officers).table_valued("value")
    return exists(select(1).select_from(element).where(element.c.value == name))


# SQLite's trigram full-text index over the searched columns (migration 0004); on PostgreSQL the
# same columns carry pg_trgm GIN indexes, which serve the LIKE conditions themselves.
SEARCH_TABLE = table("guidance_record_search", column("rowid"), column("guidance_record_search"))
TRIGRAM = 3  # shorter text has no trigram to look up: LIKE alone, a scan of the table


def _text_search(text: str):
    """Party name, credit code / ID number, subject or document number contains `text`."""
    pattern = like_pattern(text)
    upper = like_pattern(text.upper())
    like = or_(Record.target_name.like(pattern, escape="\\"), Record.subject.like(pattern, escape="\\"),
               Record.target_id_number.like(upper, escape="\\"), Record.number.like(pattern, escape="\\"))
    if len(text) < TRIGRAM or db.engine.dialect.name != "sqlite":
        return like
    # The index finds candidates (case-insensitively, in any of the columns); LIKE keeps the
    # substring semantics exact.
    phrase = '"' + text.replace('"', '""') + '"'
    found = select(SEARCH_TABLE.c.rowid).where(SEARCH_TABLE.c.guidance_record_search.op("MATCH")(phrase))
    return and_(Record.id.in_(found), like)


def with_sort(flt: RecordFilter, sort: str) -> RecordFilter:
    return replace(flt, sort=sort)


# --- keyset cursors: the sort values of the last row shown, opaque to the client ------------------

def encode_cursor(sort: str, values: tuple) -> str:
    parts = [sort] + [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(parts, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(sort: str, text: str) -> tuple | None:
    """The cursor's values for `sort`, or None if it is not one we issued for that order."""
    if not text or len(text) > 200:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    width = {"number": 3, "-number": 3, "guided_at": 2, "-guided_at": 2, "id": 1, "-id": 1}[sort]
    if not isinstance(parts, list) or len(parts) != width + 1 or parts[0] != sort:
        return None
    *values, last_id = parts[1:]
    if type(last_id) is not int or not 0 < last_id <= 2**31 - 1:
        return None
    if sort.lstrip("-") == "number":
        if not (values == [None, None] or all(type(v) is int and 0 <= v <= 10**7 for v in values)):
            return None
    elif sort.lstrip("-") == "guided_at":
        if values[0] is not None:
            try:
                values[0] = datetime.fromisoformat(values[0]) if isinstance(values[0], str) else None
            except ValueError:
                return None
            if values[0] is None or values[0].tzinfo is None:
                return None
    return (*values, last_id)
