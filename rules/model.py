"""The guidance record of SPEC §3 (interchange format v1) and its lenient parser."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationError

from . import vocabulary as v

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _aliases(vocab: dict[str, str]):
    table = v.label_to_key_map(vocab)

    def to_key(value: Any) -> Any:
        return table.get(value, value) if isinstance(value, str) else value

    return BeforeValidator(to_key)


def _only_text_or_datetime(value: Any) -> Any:
    # pydantic would read numbers as Unix timestamps; the format wants ISO 8601 text.
    if value is None or isinstance(value, (str, datetime)):
        return value
    raise ValueError("not an ISO 8601 datetime")


def _only_text_or_date(value: Any) -> Any:
    if value is None or isinstance(value, (str, date)):
        return value
    raise ValueError("not an ISO 8601 date")


def _shanghai(value: datetime) -> datetime:
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


Method = Annotated[Literal[tuple(v.METHOD)], _aliases(v.METHOD)]
Stage = Annotated[Literal[tuple(v.STAGE)], _aliases(v.STAGE)]
Form = Annotated[Literal[tuple(v.FORM)], _aliases(v.FORM)]
InitiatedBy = Annotated[Literal[tuple(v.INITIATED_BY)], _aliases(v.INITIATED_BY)]
TargetKind = Annotated[Literal[tuple(v.TARGET_KIND)], _aliases(v.TARGET_KIND)]
Result = Annotated[Literal[tuple(v.RESULT)], _aliases(v.RESULT)]
CaseKind = Annotated[Literal[tuple(v.CASE_KIND)], _aliases(v.CASE_KIND)]
ProjectKind = Annotated[Literal[tuple(v.PROJECT_KIND)], _aliases(v.PROJECT_KIND)]
OralConfirmation = Annotated[Literal[tuple(v.ORAL_CONFIRMATION)], _aliases(v.ORAL_CONFIRMATION)]
Moment = Annotated[datetime, BeforeValidator(_only_text_or_datetime), AfterValidator(_shanghai)]
Day = Annotated[date, BeforeValidator(_only_text_or_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    name: str | None = None
    kind: TargetKind | None = None
    id_number: str | None = None
    contact: str | None = None
    phone: str | None = None


class LegalBasis(_Strict):
    law: str | None = None
    articles: list[str] | None = None


class AdmonitionConditions(_Strict):
    minor: StrictBool | None = None
    no_intent: StrictBool | None = None
    corrected: StrictBool | None = None
    no_harm: StrictBool | None = None


class Case(_Strict):
    decision_number: str | None = None
    kind: CaseKind | None = None
    closed_on: Day | None = None


class Project(_Strict):
    name: str | None = None
    kind: ProjectKind | None = None


class GuidanceRecord(_Strict):
    """Every field optional: which fields are required is a rule, not a schema matter."""

    catalog_code: str | None = None
    method: Method | None = None
    stage: Stage | None = None
    form: Form | None = None
    initiated_by: InitiatedBy | None = None
    applied_at: Moment | None = None
    unit: str | None = None
    officers: list[str] | None = None
    guided_at: Moment | None = None
    place: str | None = None
    target: Target | None = None
    subject: str | None = None
    content: str | None = None
    problem: str | None = None
    opinion: str | None = None
    legal_basis: list[LegalBasis] | None = None
    informed_of_voluntariness: StrictBool | None = None
    written_requested: StrictBool | None = None
    oral_confirmation: OralConfirmation | None = None
    contact_person: str | None = None
    contact_phone: str | None = None
    admonition_conditions: AdmonitionConditions | None = None
    case: Case | None = None
    project: Project | None = None
    follow_up_due: Day | None = None
    result: Result | None = None
    effect: str | None = None


RECORD_KEYS = frozenset(GuidanceRecord.model_fields)
EMPTY_RECORD = GuidanceRecord()


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
    "string_type": "应填写文字",
    "bool_type": "应为“是”或“否”（true/false）",
    "list_type": "应为列表",
    "model_type": "应为对象（键值对）",
    "model_attributes_type": "应为对象（键值对）",
    "dict_type": "应为对象（键值对）",
    "date_from_datetime_inexact": "应为日期，如 2026-12-20",
}


def _detail(error: dict, path: str) -> str:
    kind = error["type"]
    general = ".".join(p for p in path.split(".") if not v.is_index(p))
    if kind == "literal_error":
        labels = "、".join(v.FIELD_VOCABULARY.get(general, {}).values())
        return f"应为以下之一：{labels}" if labels else "取值无效"
    if kind.startswith("datetime") or (kind == "value_error" and "datetime" in error["msg"]):
        return "应为日期时间，如 2026-11-20T10:00:00+08:00"
    if kind.startswith("date") or (kind == "value_error" and "date" in error["msg"]):
        return "应为日期，如 2026-12-20"
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
