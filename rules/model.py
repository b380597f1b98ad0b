"""The guidance record of SPEC §3 (interchange format v1) and its normalisation (SPEC §4 Details).

Normalisation lives here, in the model's field types, and nowhere else: strings are trimmed, a
blank string is a missing field, Chinese labels become stable keys, id_number and catalog_code
are upper-cased, officers are distinct non-blank names. History entries (rules.history) are read
field by field with tidy/upper_code/to_key/read_moment/target_key below, which give the same
values (tests/rules/test_rules_normalisation.py checks it).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Len
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator, BaseModel, ConfigDict, GetPydanticSchema, TypeAdapter, ValidationError,
    WithJsonSchema, model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_core import core_schema as cs

from . import vocabulary as v
from .limits import LIST_LIMITS

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- normalisers shared by records and history entries -------------------------------------


# Unicode White_Space: what pydantic-core's strip_whitespace removes (str.strip() also takes \x1c-\x1f).
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000"


def tidy(value: Any) -> Any:
    """Strings trimmed, a blank string becomes None (missing); other values unchanged."""
    if isinstance(value, str):
        return value.strip(WHITE_SPACE) or None
    return value


def upper_code(value: Any) -> Any:
    """id_number and catalog_code: trimmed and upper-cased (` zd-td-03 ` → `ZD-TD-03`)."""
    value = tidy(value)
    return value.upper() if isinstance(value, str) else value


def target_key(name: str | None) -> str | None:
    """The 'same target' comparison key: NFKC, casefold, all white space removed; None if empty."""
    if not isinstance(name, str):
        return None
    key = "".join(unicodedata.normalize("NFKC", name).casefold().split())
    return key or None


def distinct_names(names: list[str | None]) -> list[str]:
    """Non-blank names, each once, in their first order (["张明", "张明"] is one officer)."""
    unique = dict.fromkeys(names)
    unique.pop(None, None)  # blank items (Text reads them as None)
    unique.pop("", None)
    return names if len(unique) == len(names) else list(unique)


def key_table(vocab: dict[str, str]) -> dict[str, str]:
    """Stable key for a key or its Chinese label."""
    return v.label_to_key_map(vocab)


def to_key(table: dict[str, str], value: Any) -> Any:
    """A trimmed label or key → its stable key; anything else unchanged (the type check decides)."""
    value = tidy(value)
    return table.get(value, value) if isinstance(value, str) else value


def _shanghai(value: datetime) -> datetime:
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


YEARS = (2000, 2100)  # dates outside are refused as findings and never stored (no overflow later)


def _within_years(value):
    # By the year as written: comparing an aware year-1 value with a bound would overflow.
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise PydanticCustomError("year_range", "year outside {low}–{high}",
                                  {"low": YEARS[0], "high": YEARS[1]})
    return value


# --- field types ------------------------------------------------------------------------------
# Built as pydantic-core schemas so that trimming, blank → None, upper-casing and label → key run
# in Rust: a Python validator per field would double the parse time of every record.

_BLANK = cs.chain_schema([cs.str_schema(strip_whitespace=True, max_length=0),
                          cs.no_info_plain_validator_function(lambda _: None)])


def _field(error: str, message: str, *choices: cs.CoreSchema, json: dict) -> Any:
    """The first choice that accepts the value, else a blank string read as None (missing);
    anything else is one error of type `error` at the field's own path."""
    schema = cs.union_schema([*choices, _BLANK], mode="left_to_right", custom_error_type=error,
                             custom_error_message=message)
    return GetPydanticSchema(lambda _source, _handler: schema), WithJsonSchema(json)


def _text(**constraints: Any) -> cs.CoreSchema:
    return cs.str_schema(strip_whitespace=True, min_length=1, **constraints)


def _choice(vocab: dict[str, str]) -> Any:
    """A §2 key, or its Chinese label mapped to the key (only labels reach Python)."""
    table = key_table(vocab)
    keys, labels = list(vocab), list(vocab.values())
    by_key = cs.chain_schema([_text(), cs.literal_schema(keys)])
    by_label = cs.chain_schema([_text(), cs.literal_schema(labels),
                                cs.no_info_plain_validator_function(table.__getitem__)])
    return Annotated[str, *_field("choice_type", "not one of the values", by_key, by_label,
                                  json={"enum": keys, "type": "string"})]


Text = Annotated[str, *_field("text_type", "not text", _text(), json={"type": "string"})]
Code = Annotated[str, *_field("text_type", "not text", _text(to_upper=True), json={"type": "string"})]
Flag = Annotated[bool, *_field("flag_type", "not true/false", cs.bool_schema(strict=True),
                               json={"type": "boolean"})]
# Text only (numbers would be read as Unix timestamps), or the Python object itself.
Day = Annotated[date, *_field("day_type", "not an ISO 8601 date",
                              cs.chain_schema([_text(), cs.date_schema()]), cs.date_schema(strict=True),
                              json={"type": "string", "format": "date"}),
                AfterValidator(_within_years)]
# A datetime without offset is Asia/Shanghai; only those reach Python.
_AWARE = cs.datetime_schema(tz_constraint="aware")
_NAIVE = cs.no_info_after_validator_function(_shanghai, cs.datetime_schema(tz_constraint="naive"))
Moment = Annotated[datetime, *_field("moment_type", "not an ISO 8601 datetime",
                                     cs.chain_schema([_text(), _AWARE]), cs.chain_schema([_text(), _NAIVE]),
                                     cs.datetime_schema(strict=True, tz_constraint="aware"),
                                     cs.chain_schema([cs.datetime_schema(strict=True), _NAIVE]),
                                     json={"type": "string", "format": "date-time"}),
                    AfterValidator(_within_years)]
Names = Annotated[list[Text], AfterValidator(distinct_names)]
# Counted as sent, before blanks and repeats drop out: the bound is on what a client may send.
Officers = Annotated[list[Text], Len(0, LIST_LIMITS["officers"]), AfterValidator(distinct_names)]
Articles = Annotated[list[Text], Len(0, LIST_LIMITS["legal_basis.articles"]), AfterValidator(distinct_names)]

Method = _choice(v.METHOD)
Stage = _choice(v.STAGE)
Form = _choice(v.FORM)
InitiatedBy = _choice(v.INITIATED_BY)
TargetKind = _choice(v.TARGET_KIND)
Result = _choice(v.RESULT)
CaseKind = _choice(v.CASE_KIND)
ProjectKind = _choice(v.PROJECT_KIND)
OralConfirmation = _choice(v.ORAL_CONFIRMATION)

METHOD_KEYS = key_table(v.METHOD)
STATUS_KEYS = key_table(v.STATUS)  # history entries' `status` (已备案 = filed)
_MOMENT = TypeAdapter(Moment)


def read_moment(value: Any) -> datetime | None:
    """A datetime read exactly as a record's guided_at is read; None if missing or unreadable."""
    try:
        return _MOMENT.validate_python(value)
    except ValidationError:
        return None


_OBJECTS = ("target", "admonition_conditions", "case", "project", "legal_basis", "officers")


def _blank_objects(data: Any) -> Any:
    """A blank string where an object or a list belongs is a missing field too."""
    if isinstance(data, dict):
        get = data.get
        blank = [key for key in _OBJECTS if isinstance(get(key), str) and not get(key).strip(WHITE_SPACE)]
        if blank:
            data = {**data, **dict.fromkeys(blank)}  # a copy: the caller's dict stays as it was
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    name: Text | None = None
    kind: TargetKind | None = None
    id_number: Code | None = None
    contact: Text | None = None
    phone: Text | None = None


class LegalBasis(_Strict):
    law: Text | None = None
    articles: Articles | None = None


class AdmonitionConditions(_Strict):
    minor: Flag | None = None
    no_intent: Flag | None = None
    corrected: Flag | None = None
    no_harm: Flag | None = None


class Case(_Strict):
    decision_number: Text | None = None
    kind: CaseKind | None = None
    closed_on: Day | None = None


class Project(_Strict):
    name: Text | None = None
    kind: ProjectKind | None = None


class GuidanceRecord(_Strict):
    """Every field optional: which fields are required is a rule, not a schema matter.

    Every field trims, reads a blank string as missing and maps labels to keys (see the types).
    """

    @model_validator(mode="before")
    @classmethod
    def _blank_objects_missing(cls, data: Any) -> Any:
        return _blank_objects(data)

    catalog_code: Code | None = None
    method: Method | None = None
    stage: Stage | None = None
    form: Form | None = None
    initiated_by: InitiatedBy | None = None
    applied_at: Moment | None = None
    unit: Text | None = None
    officers: Officers | None = None
    guided_at: Moment | None = None
    place: Text | None = None
    target: Target | None = None
    subject: Text | None = None
    content: Text | None = None
    problem: Text | None = None
    opinion: Text | None = None
    legal_basis: list[LegalBasis] | None = None
    informed_of_voluntariness: Flag | None = None
    written_requested: Flag | None = None
    oral_confirmation: OralConfirmation | None = None
    contact_person: Text | None = None
    contact_phone: Text | None = None
    admonition_conditions: AdmonitionConditions | None = None
    case: Case | None = None
    project: Project | None = None
    follow_up_due: Day | None = None
    result: Result | None = None
    effect: Text | None = None


RECORD_KEYS = frozenset(GuidanceRecord.model_fields)
EMPTY_RECORD = GuidanceRecord()
