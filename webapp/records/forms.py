"""HTML form ⇄ SPEC §3 record: the only converter between the two (the tests use it too).

Form inputs are named by the record's dotted paths. Normalising the values (trimming, labels,
upper-casing) is the validator's job (rules.read_record), not this module's.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from rules import vocabulary as vocab
from rules.model import SHANGHAI

MIN_OFFICER_INPUTS = 3
MAX_FIELD_CHARS = 20_000  # far above every rule limit: the rules explain limits, this stops abuse
TEXT_FIELDS = ("catalog_code", "method", "stage", "form", "initiated_by", "unit", "place", "subject",
               "content", "problem", "opinion", "oral_confirmation", "contact_person",
               "contact_phone", "result")
TARGET_FIELDS = ("name", "kind", "id_number", "contact", "phone")
CONDITIONS = ("minor", "no_intent", "corrected", "no_harm")
ARTICLE = re.compile(r"第[一二三四五六七八九十百千零〇0-9]+条(?:之[一二三四五六七八九十]+)?")
CHECKED = "yes"


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name) or ""
    return value[:MAX_FIELD_CHARS] or None


def _moment(value: str | None) -> str | None:
    """<input type=datetime-local> gives 2026-11-20T10:00; the rules read it as Asia/Shanghai."""
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value.strip(), re.ASCII):
        return value.strip() + ":00"
    return value


def parse_legal_basis(text: str | None) -> list[dict]:
    """One law per line: 《中华人民共和国土地管理法》第五十七条、第八十一条."""
    result = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        articles = ARTICLE.findall(line)
        law = ARTICLE.sub("", line).strip(" 　、，,;；《》").replace("》", "").replace("《", "")
        result.append({"law": law or line, "articles": articles})
    return result


def format_legal_basis(bases: list[dict] | None) -> str:
    return "\n".join(f"{b.get('law') or ''} {'、'.join(b.get('articles') or [])}".strip()
                     for b in bases or [])


def read_form(form) -> tuple[dict[str, Any], dict[str, Any]]:
    """One pass over a posted form: the §3 record it describes, and the values to show again.

    Sections that do not apply to the chosen method are left out of the record; the values
    shown again are exactly what the user sent, so nothing typed is ever lost.
    """
    shown: dict[str, Any] = {key: form.get(key, "") for key in form.keys()}
    shown["officers"] = form.getlist("officers")
    data: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    data["result"] = data["result"] or "pending"
    data["guided_at"] = _moment(_text(form, "guided_at"))
    data["applied_at"] = (_moment(_text(form, "applied_at"))
                          if (data["initiated_by"] or "").strip() == "application" else None)
    data["follow_up_due"] = _text(form, "follow_up_due")
    data["officers"] = [name[:MAX_FIELD_CHARS] for name in shown["officers"]]
    data["target"] = {f: _text(form, f"target.{f}") for f in TARGET_FIELDS}
    data["legal_basis"] = parse_legal_basis(_text(form, "legal_basis"))
    data["informed_of_voluntariness"] = form.get("informed_of_voluntariness") == CHECKED
    data["written_requested"] = form.get("written_requested") == CHECKED
    if (data["form"] or "").strip() != "oral":
        data["oral_confirmation"] = None
    method = (data["method"] or "").strip()
    data["admonition_conditions"] = (
        {c: form.get(f"admonition_conditions.{c}") == CHECKED for c in CONDITIONS}
        if method == "admonition" else None)
    data["case"] = ({"decision_number": _text(form, "case.decision_number"),
                     "kind": _text(form, "case.kind"), "closed_on": _text(form, "case.closed_on")}
                    if method == "case_revisit" else None)
    data["project"] = ({"name": _text(form, "project.name"), "kind": _text(form, "project.kind")}
                       if method == "policy_guidance" else None)
    return data, shown


def record_from_form(form) -> dict[str, Any]:
    return read_form(form)[0]


def form_from_interchange(data: Mapping[str, Any]) -> dict[str, Any]:
    """Values for the form's inputs (strings; a list for officers) from a §3 record."""
    values: dict[str, Any] = {name: data.get(name) or "" for name in TEXT_FIELDS}
    values["guided_at"] = _local_input(data.get("guided_at"))
    values["applied_at"] = _local_input(data.get("applied_at"))
    values["follow_up_due"] = data.get("follow_up_due") or ""
    values["officers"] = list(data.get("officers") or [])
    target = data.get("target") or {}
    for f in TARGET_FIELDS:
        values[f"target.{f}"] = target.get(f) or ""
    values["legal_basis"] = format_legal_basis(data.get("legal_basis"))
    for flag in ("informed_of_voluntariness", "written_requested"):
        values[flag] = CHECKED if data.get(flag) else ""
    for c in CONDITIONS:
        values[f"admonition_conditions.{c}"] = CHECKED if (data.get("admonition_conditions") or {}).get(c) else ""
    for part, keys in (("case", ("decision_number", "kind", "closed_on")), ("project", ("name", "kind"))):
        for key in keys:
            values[f"{part}.{key}"] = (data.get(part) or {}).get(key) or ""
    return values


def new_form_values(defaults: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"result": "pending", "form": "written", "initiated_by": "ex_officio",
                              "target.kind": "organization", "officers": []}
    values.update(defaults)
    return values


def post_data(data: Mapping[str, Any], **extra: str) -> dict[str, Any]:
    """What a browser posts for a §3 record: the inputs that have a value (tests, scripts)."""
    values = form_from_interchange(data)
    post = {key: value for key, value in values.items() if value not in ("", None)}
    post["officers"] = values["officers"]
    post.update(extra)
    return post


def _local_input(moment: Any) -> str:
    if not moment:
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def officer_inputs(officers: list[str]) -> list[str]:
    return list(officers) + [""] * max(MIN_OFFICER_INPUTS - len(officers), 1)


# The choices of each enum input are the validator's own vocabularies.
CHOICES = vocab.FIELD_VOCABULARY
