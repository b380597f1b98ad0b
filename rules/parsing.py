"""The lenient parser: a raw record in, the normalised model and every problem out; never raises."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from . import vocabulary as v
from .model import EMPTY_RECORD, RECORD_KEYS, GuidanceRecord


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """One problem met while reading the record; kind is 'not_object', 'unknown_key' or 'value'."""

    kind: str
    field: str
    detail: str


@dataclass(slots=True)
class ParsedRecord:
    record: GuidanceRecord
    issues: list[ParseIssue] = field(default_factory=list)
    bad_fields: frozenset[str] = frozenset()


_TYPE_DETAILS = {
    "text_type": "应填写文字",
    "string_type": "应填写文字",
    "flag_type": "应为“是”或“否”（true/false）",
    "bool_type": "应为“是”或“否”（true/false）",
    "moment_type": "应为日期时间，如 2026-11-20T10:00:00+08:00",
    "day_type": "应为日期，如 2026-12-20",
    "list_type": "应为列表",
    "model_type": "应为对象（键值对）",
    "model_attributes_type": "应为对象（键值对）",
    "dict_type": "应为对象（键值对）",
    "date_from_datetime_inexact": "应为日期，如 2026-12-20",
    "year_range": "年份应在 2000 至 2100 年之间",
}


def _detail(error: dict, path: str) -> str:
    kind = error["type"]
    general = ".".join(p for p in path.split(".") if not v.is_index(p))
    if kind in ("choice_type", "literal_error"):
        labels = "、".join(v.FIELD_VOCABULARY.get(general, {}).values())
        return f"应为以下之一：{labels}" if labels else "取值无效"
    if kind.startswith("datetime") or (kind == "value_error" and "datetime" in error["msg"]):
        return "应为日期时间，如 2026-11-20T10:00:00+08:00"
    if kind.startswith("date") or (kind == "value_error" and "date" in error["msg"]):
        return "应为日期，如 2026-12-20"
    if kind == "too_long":
        return f"最多{error.get('ctx', {}).get('max_length', '')}项"
    return _TYPE_DETAILS.get(kind, "格式不正确")


def _drop(data: Any, loc: tuple) -> None:
    """Remove the value at loc from nested dicts/lists (already a private copy)."""
    *parents, last = loc
    for part in parents:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict):
        data.pop(last, None)
    elif isinstance(data, list) and isinstance(last, int) and last < len(data):
        data[last] = _DROPPED


_DROPPED = object()


def _purge(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _purge(x) for k, x in data.items()}
    if isinstance(data, list):
        return [_purge(x) for x in data if x is not _DROPPED]
    return data


def parse_record(raw: Any) -> ParsedRecord:
    """Read a JSON-like record; never raises. Bad parts are dropped and reported as issues."""
    if not isinstance(raw, dict):
        return ParsedRecord(EMPTY_RECORD, [ParseIssue("not_object", "", type(raw).__name__)])
    try:
        return ParsedRecord(GuidanceRecord.model_validate(raw))
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    except Exception:  # noqa: BLE001 — e.g. unhashable or exotic Python values
        return _per_field(raw)
    issues: list[ParseIssue] = []
    data = copy.deepcopy(raw)
    for _ in range(3):
        for error in errors:
            loc = tuple(error["loc"])
            path = ".".join(str(p) for p in loc)
            if error["type"] == "extra_forbidden":
                issues.append(ParseIssue("unknown_key", path, ""))
            else:
                issues.append(ParseIssue("value", path, _detail(error, path)))
            _drop(data, loc)
        data = _purge(data)
        try:
            record = GuidanceRecord.model_validate(data)
            break
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
        except Exception:  # noqa: BLE001
            return _per_field(raw)
    else:
        return _per_field(raw)
    bad = frozenset(i.field for i in issues)
    return ParsedRecord(record, _unique(issues), bad)


def _per_field(raw: dict) -> ParsedRecord:
    """Last resort: keep each top-level field that validates on its own."""
    kept: dict[str, Any] = {}
    issues: list[ParseIssue] = []
    for key, value in raw.items():
        name = str(key)
        if name not in RECORD_KEYS:
            issues.append(ParseIssue("unknown_key", name, ""))
            continue
        try:
            GuidanceRecord.model_validate({name: value})
            kept[name] = value
        except Exception:  # noqa: BLE001
            issues.append(ParseIssue("value", name, "格式不正确"))
    record = GuidanceRecord.model_validate(kept)
    return ParsedRecord(record, issues, frozenset(i.field for i in issues))


def _unique(issues: list[ParseIssue]) -> list[ParseIssue]:
    return list(dict.fromkeys(issues))
