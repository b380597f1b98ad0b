"""Checks of the six principles and of the catalog scope (SPEC §4)."""

from __future__ import annotations

import re
from datetime import date, datetime

from .checks_input import phone_valid, value_at
from .model import SHANGHAI
from .registry import Context, check
from .vocabulary import field_label

# --- catalog scope -------------------------------------------------------------------------


@check("catalog_item_exists")
def catalog_item_exists(ctx: Context, p: dict):
    code = ctx.rec.catalog_code
    return ("catalog_code",) if code is not None and ctx.item is None else ()


@check("catalog_item_active")
def catalog_item_active(ctx: Context, p: dict):
    return ("catalog_code",) if ctx.item is not None and not ctx.item.active else ()


@check("catalog_item_published")
def catalog_item_published(ctx: Context, p: dict):
    return ("catalog_code",) if ctx.item is not None and not ctx.item.published else ()


@check("catalog_method")
def catalog_method(ctx: Context, p: dict):
    item, method = ctx.item, ctx.rec.method
    return ("method",) if item and method and method not in item.methods else ()


@check("catalog_stage")
def catalog_stage(ctx: Context, p: dict):
    item, stage = ctx.item, ctx.rec.stage
    return ("stage",) if item and stage and stage not in item.stages else ()


@check("catalog_unit")
def catalog_unit(ctx: Context, p: dict):
    item, unit = ctx.item, ctx.rec.unit
    if item is None or unit is None:
        return ()
    if item.responsible_unit == p["town_unit"]:
        return () if unit.endswith(p["town_suffix"]) else ("unit",)
    return () if unit == item.responsible_unit else ("unit",)


# --- fair_open -----------------------------------------------------------------------------


def _missing_when_form(ctx: Context, p: dict) -> list[str]:
    if ctx.rec.form != p["form"]:
        return []
    hits = []
    for path in p["fields"]:
        value = value_at(ctx.rec, path)
        if value is None or value == []:
            hits.append(path)
    return hits


check("oral_record")(_missing_when_form)


def labels(paths) -> str:
    """Field labels listed in one message: one finding names every missing part of a group."""
    return "、".join(field_label(path) for path in paths)


@check("written_contact", extras=["items"])
def written_contact(ctx: Context, p: dict):
    missing = _missing_when_form(ctx, p)
    return [(missing[0], {"items": labels(missing)})] if missing else ()


# --- lawful --------------------------------------------------------------------------------


@check("legal_basis_exists")
def legal_basis_exists(ctx: Context, p: dict):
    if any(b.law is not None for b in ctx.rec.legal_basis or ()):
        return ()
    if ctx.item is not None and ctx.item.legal_basis:
        return ()
    return ("legal_basis",)


@check("admonition_conditions", extras=["items"])
def admonition_conditions(ctx: Context, p: dict):
    if ctx.rec.method != "admonition":
        return ()
    conditions = ctx.rec.admonition_conditions
    missing = [f"admonition_conditions.{name}" for name in p["conditions"]
               if conditions is None or getattr(conditions, name) is not True]
    return [("admonition_conditions", {"items": labels(missing)})] if missing else ()


@check("case_revisit", extras=["items"])
def case_revisit(ctx: Context, p: dict):
    if ctx.rec.method != "case_revisit":
        return ()
    case = ctx.rec.case
    if case is None:
        missing = ["case.decision_number", "case.kind", "case.closed_on"]
    else:
        missing = _case_problems(case, ctx, p)
    return [("case", {"items": labels(missing)})] if missing else ()


def _case_problems(case, ctx: Context, p: dict) -> list[str]:
    hits = []
    if case.decision_number is None:
        hits.append("case.decision_number")
    if case.kind not in p["kinds"]:
        hits.append("case.kind")
    if case.closed_on is None or (ctx.guided_day is not None and case.closed_on > ctx.guided_day):
        hits.append("case.closed_on")
    return hits


def _prepare_earliest(params: dict) -> datetime:
    day = date.fromisoformat(params["earliest"])
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


@check("guided_at_range", prepare=_prepare_earliest)
def guided_at_range(ctx: Context, earliest: datetime):
    at = ctx.guided_at
    return ("guided_at",) if at is not None and (at > ctx.now or at < earliest) else ()


@check("single_officer")
def single_officer(ctx: Context, p: dict):
    officers = ctx.rec.officers  # distinct non-blank names (the model normalised them)
    return ("officers",) if officers is not None and len(officers) == 1 else ()


@check("repeat_admonition", history=True)
def repeat_admonition(ctx: Context, p: dict):
    rec = ctx.rec
    if rec.method != "admonition" or rec.catalog_code is None:
        return ()
    for earlier in ctx.earlier(p["days"]):
        if earlier.method == "admonition" and earlier.catalog_code == rec.catalog_code:
            return ("method",)
    return ()


# --- voluntary -----------------------------------------------------------------------------


@check("informed_of_voluntariness")
def informed_of_voluntariness(ctx: Context, p: dict):
    return () if ctx.rec.informed_of_voluntariness is True else ("informed_of_voluntariness",)


def _prepare_words(params: dict) -> tuple[re.Pattern, tuple[str, ...]]:
    words = sorted({w for w in params["words"] if w}, key=len, reverse=True)
    if not words:
        raise ValueError("params.words must not be empty")
    return re.compile("|".join(map(re.escape, words))), tuple(params["fields"])


@check("coercive_wording", prepare=_prepare_words, extras=["words"])
def coercive_wording(ctx: Context, prepared: tuple):
    pattern, fields = prepared
    hits = []
    for path in fields:
        text = getattr(ctx.rec, path)
        if text:
            found = pattern.findall(text)
            if found:
                hits.append((path, {"words": "、".join(f"“{w}”" for w in dict.fromkeys(found))}))
    return hits


# --- reasonable ----------------------------------------------------------------------------


@check("burden", history=True)
def burden(ctx: Context, p: dict):
    return ("target.name",) if len(ctx.earlier(p["days"])) >= p["min_records"] else ()


@check("policy_project_kind")
def policy_project_kind(ctx: Context, p: dict):
    rec = ctx.rec
    if rec.method == "policy_guidance" and (rec.project is None or rec.project.kind is None):
        return ("project.kind",)
    return ()


@check("follow_up_too_soon")
def follow_up_too_soon(ctx: Context, p: dict):
    due, day = ctx.rec.follow_up_due, ctx.guided_day
    if due is None or day is None:
        return ()
    return ("follow_up_due",) if (due - day).days < p["days"] else ()


# --- convenient ----------------------------------------------------------------------------


@check("written_requested_oral")
def written_requested_oral(ctx: Context, p: dict):
    return ("form",) if ctx.rec.written_requested is True and ctx.rec.form == "oral" else ()


def working_days(start: date, end: date) -> int:
    """Monday–Friday days in (start, end]."""
    days = (end - start).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for i in range(1, rest + 1):
        if (weekday + i) % 7 < 5:
            count += 1
    return count


@check("application_timeliness", extras=["count"])
def application_timeliness(ctx: Context, p: dict):
    rec = ctx.rec
    if rec.initiated_by != "application" or rec.applied_at is None or ctx.guided_day is None:
        return ()
    count = working_days(rec.applied_at.astimezone(SHANGHAI).date(), ctx.guided_day)
    return [("guided_at", {"count": count})] if count > p["working_days"] else ()


@check("applied_at_missing")
def applied_at_missing(ctx: Context, p: dict):
    rec = ctx.rec
    if rec.initiated_by == "application" and rec.applied_at is None \
            and "applied_at" not in ctx.parsed.bad_fields:
        return ("applied_at",)
    return ()


@check("applied_after_guided")
def applied_after_guided(ctx: Context, p: dict):
    # Moments, not dates: an application cannot be answered before it was made.
    rec = ctx.rec
    if rec.initiated_by != "application" or rec.applied_at is None or ctx.guided_at is None:
        return ()
    return ("applied_at",) if rec.applied_at > ctx.guided_at else ()


@check("target_phone")
def target_phone(ctx: Context, p: dict):
    target = ctx.rec.target
    phone = target.phone if target is not None else None
    return () if phone and phone_valid(phone) else ("target.phone",)


# --- effective -----------------------------------------------------------------------------


@check("written_follow_up")
def written_follow_up(ctx: Context, p: dict):
    rec = ctx.rec
    if rec.form == "written" and rec.method in p["methods"] and rec.follow_up_due is None:
        return ("follow_up_due",)
    return ()


@check("late_entry", extras=["count"])
def late_entry(ctx: Context, p: dict):
    """Submitted (evaluated at `now`) more than `days` Shanghai calendar days after guided_at."""
    if ctx.guided_day is None:
        return ()
    days = (ctx.today - ctx.guided_day).days
    return [("guided_at", {"count": days})] if days > p["days"] else ()


@check("result_recorded")
def result_recorded(ctx: Context, p: dict):
    return ("result",) if ctx.rec.result in (None, "pending") else ()


_NOT_TEXT = re.compile(r"[\W_]+")


def _prepare_placeholders(params: dict) -> tuple:
    words = sorted({w for w in params["placeholders"] if w}, key=len, reverse=True)
    only_words = re.compile("(?:" + "|".join(map(re.escape, words)) + ")+")
    return int(params["min_length"]), only_words, tuple(params["prefixes"])


def effect_is_placeholder(text: str, only_words: re.Pattern, prefixes: tuple[str, ...]) -> bool:
    bare = _NOT_TEXT.sub("", text)
    return not bare or only_words.fullmatch(bare) is not None or bare.startswith(prefixes)


@check("effect_described", prepare=_prepare_placeholders)
def effect_described(ctx: Context, prepared: tuple):
    min_length, only_words, prefixes = prepared
    effect = ctx.rec.effect
    if effect is None or len(effect.strip()) < min_length \
            or effect_is_placeholder(effect, only_words, prefixes):
        return ("effect",)
    return ()
