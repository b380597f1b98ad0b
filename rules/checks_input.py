"""Checks of the input principle (填写规范): shape, required fields, ids, phones, lengths."""

from __future__ import annotations

import re
from typing import Any

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
    limits = tuple((*_split(path), int(n)) for path, n in params["limits"].items())
    return limits, int(params["officers_max_count"]), int(params["officer_name_max_length"])


@check("text_lengths", prepare=_prepare_limits, extras=["detail"])
def text_lengths(ctx: Context, prepared: tuple):
    limits, max_officers, max_name = prepared
    rec = ctx.rec
    hits = []
    for path, top, sub, limit in limits:
        value = _get(rec, top, sub)
        if value is not None and len(value) > limit:
            hits.append((path, {"detail": f"最多{limit}个字，现有{len(value)}个字"}))
    officers = rec.officers
    if officers:
        if len(officers) > max_officers:
            hits.append(("officers", {"detail": f"最多{max_officers}人，现有{len(officers)}人"}))
        for i, name in enumerate(officers):
            if len(name) > max_name:
                hits.append((f"officers.{i}", {"detail": f"每个姓名最多{max_name}个字"}))
    return hits
