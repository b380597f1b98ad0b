"""Checks of the input principle (填写规范): shape, required fields, ids, phones, lengths."""

from __future__ import annotations

import re
from typing import Any

from .limits import LINE_LIMITS, LIST_LIMITS, TEXT_LIMITS, paragraph_count
from .idcodes import resident_id_valid, uscc_is_valid_format, uscc_valid
from .registry import Context, check
from .vocabulary import field_label

_PHONE_NOISE = re.compile(r"[\s\-－—()（）]")
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}", re.ASCII)
_LANDLINE_PARENS = re.compile(r"[(（]0\d{2,3}[)）]", re.ASCII)


def phone_valid(value: str) -> bool:
    """Mainland mobile (+86, spaces, hyphens allowed) or landline with area code."""
    text = value.strip()
    if _LANDLINE_PARENS.match(text):
        text = text.replace("（", "(").replace("）", ")").replace("(", "", 1).replace(")", "", 1)
    digits = _PHONE_NOISE.sub("", text)
    return bool(_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits))


def value_at(rec: Any, path: str) -> Any:
    """Value of a dotted path on the parsed record, None where absent."""
    for part in path.split("."):
        if rec is None:
            return None
        rec = getattr(rec, part, None)
    return rec


def _split(path: str) -> tuple[str, str, str | None]:
    top, _, sub = path.partition(".")
    return path, top, sub or None


def _get(rec: Any, top: str, sub: str | None) -> Any:
    value = getattr(rec, top)
    return getattr(value, sub) if sub is not None and value is not None else value


# The structural rules: their findings come from reading the record (rules.engine.Reading).
STRUCTURAL_CHECKS = frozenset({"record_is_object", "unknown_keys", "value_types"})
# The bounds (rules.limits): a record over them is not stored either, so reading reports them too.
BOUND_CHECKS = frozenset({"text_lengths"})


@check("record_is_object")
def record_is_object(ctx: Context, p: dict):
    return [i.field for i in ctx.parsed.issues if i.kind == "not_object"]


@check("unknown_keys")
def unknown_keys(ctx: Context, p: dict):
    return [i.field for i in ctx.parsed.issues if i.kind == "unknown_key"]


@check("value_types", extras=["detail"])
def value_types(ctx: Context, p: dict):
    return [(i.field, {"detail": i.detail}) for i in ctx.parsed.issues if i.kind == "value"]


def _prepare_fields(params: dict) -> tuple[tuple[str, str, str | None], ...]:
    fields = params["fields"]
    if not fields or not all(isinstance(f, str) for f in fields):
        raise ValueError("params.fields must be a non-empty list of field paths")
    # (path, top-level attribute, nested attribute or None), split once at load time
    return tuple((f, *f.split(".", 1)) if "." in f else (f, f, None) for f in fields)


@check("required_fields", prepare=_prepare_fields)
def required_fields(ctx: Context, fields: tuple):
    rec, bad = ctx.rec, ctx.parsed.bad_fields
    hits = []
    for path, top, sub in fields:
        value = getattr(rec, top)
        if sub is not None and value is not None:
            value = getattr(value, sub)
        # The model made blank strings None and dropped blank officers.
        if (value is None or value == []) and path not in bad:
            hits.append(path)
    return hits


@check("opinion_sections", extras=["items"])
def opinion_sections(ctx: Context, p: dict):
    if ctx.rec.method not in p["methods"]:
        return ()
    missing = [f for f in p["fields"] if getattr(ctx.rec, f) is None]
    # One finding at the first missing field names them all: one message, not one per field.
    return [(missing[0], {"items": "、".join(map(field_label, missing))})] if missing else ()


def _target_id(ctx: Context, kind: str) -> str | None:
    target = ctx.rec.target
    if target is None or target.kind != kind:
        return None
    return target.id_number  # trimmed and upper-cased by the model


@check("org_id_format")
def org_id_format(ctx: Context, p: dict):
    code = _target_id(ctx, "organization")
    return ("target.id_number",) if code and not uscc_is_valid_format(code) else ()


@check("org_id_check_char")
def org_id_check_char(ctx: Context, p: dict):
    code = _target_id(ctx, "organization")
    if code and uscc_is_valid_format(code) and not uscc_valid(code):
        return ("target.id_number",)
    return ()


@check("person_id")
def person_id(ctx: Context, p: dict):
    number = _target_id(ctx, "person")
    return ("target.id_number",) if number and not resident_id_valid(number, ctx.today) else ()


@check("phone_format", prepare=lambda params: tuple(map(_split, params["fields"])))
def phone_format(ctx: Context, fields: tuple):
    hits = []
    for path, top, sub in fields:
        value = _get(ctx.rec, top, sub)
        if value is not None and not phone_valid(value):
            hits.append(path)
    return hits


def _prepare_limits(params: dict) -> tuple:
    """The limits are rules.limits' one table, not rule parameters (the API schema shows them too)."""
    scalar = tuple((*_split(path), n) for path, n in TEXT_LIMITS.items()
                   if path not in ("officers", "legal_basis.law", "legal_basis.articles"))
    return scalar, TEXT_LIMITS, LIST_LIMITS


def _too_long(path: str, value: str | None, limit: int, hits: list) -> None:
    if value is not None and len(value) > limit:
        hits.append((path, {"detail": f"最多{limit}个字，现有{len(value)}个字"}))


def _too_many(path: str, items: list | None, limit: int, unit: str, hits: list) -> None:
    if items and len(items) > limit:
        hits.append((path, {"detail": f"最多{limit}{unit}，现有{len(items)}{unit}"}))


@check("text_lengths", prepare=_prepare_limits, extras=["detail"])
def text_lengths(ctx: Context, prepared: tuple):
    scalar, text, lists = prepared
    rec = ctx.rec
    hits: list = []
    for path, top, sub, limit in scalar:
        value = _get(rec, top, sub)
        _too_long(path, value, limit, hits)
        lines = LINE_LIMITS.get(path)
        if value is not None and lines is not None and len(value) <= limit and paragraph_count(value) > lines:
            hits.append((path, {"detail": f"最多{lines}段，现有{paragraph_count(value)}段"}))
    officers = rec.officers
    _too_many("officers", officers, lists["officers"], "人", hits)
    for i, name in enumerate(officers or ()):
        if len(name) > text["officers"]:
            hits.append((f"officers.{i}", {"detail": f"每个姓名最多{text['officers']}个字"}))
    bases = rec.legal_basis
    _too_many("legal_basis", bases, lists["legal_basis"], "项", hits)
    for i, basis in enumerate(bases or ()):
        _too_long(f"legal_basis.{i}.law", basis.law, text["legal_basis.law"], hits)
        _too_many(f"legal_basis.{i}.articles", basis.articles, lists["legal_basis.articles"], "条", hits)
        for j, article in enumerate(basis.articles or ()):
            _too_long(f"legal_basis.{i}.articles.{j}", article, text["legal_basis.articles"], hits)
    return hits
