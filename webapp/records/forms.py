"""HTML form ⇄ SPEC §3 record. Form fields are named by the record's dotted paths."""
from __future__ import annotations

import re
from typing import Any, Mapping

from rules import vocabulary as vocab
from rules.vocabulary import is_index
from werkzeug.datastructures import MultiDict

from webapp.models.record import SHANGHAI, GuidanceRecord

MIN_OFFICER_INPUTS = 3
MAX_FIELD_CHARS = 20_000  # far above every rule limit: the rules explain limits, this stops abuse
TEXT_FIELDS = ("catalog_code", "method", "stage", "form", "initiated_by", "unit", "place", "subject",
               "content", "problem", "opinion", "oral_confirmation", "contact_person",
               "contact_phone", "result")
TARGET_FIELDS = ("name", "kind", "id_number", "contact", "phone")
CONDITIONS = ("minor", "no_intent", "corrected", "no_harm")
ARTICLE = re.compile(r"第[一二三四五六七八九十百千零〇0-9]+条(?:之[一二三四五六七八九十]+)?")


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value[:MAX_FIELD_CHARS] or None


def _moment(value: str | None) -> str | None:
    """<input type=datetime-local> gives 2026-11-20T10:00; the rules read it as Asia/Shanghai."""
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return value + ":00"
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


def record_from_form(form: MultiDict) -> dict[str, Any]:
    """The §3 record the form describes; sections that do not apply to the method are left out."""
    data: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    data["result"] = data["result"] or "pending"
    data["guided_at"] = _moment(_text(form, "guided_at"))
    data["applied_at"] = _moment(_text(form, "applied_at")) if data["initiated_by"] == "application" else None
    data["follow_up_due"] = _text(form, "follow_up_due")
    data["officers"] = [name for name in (v.strip() for v in form.getlist("officers")) if name]
    data["target"] = {f: _text(form, f"target.{f}") for f in TARGET_FIELDS}
    data["legal_basis"] = parse_legal_basis(_text(form, "legal_basis"))
    data["informed_of_voluntariness"] = form.get("informed_of_voluntariness") == "yes"
    data["written_requested"] = form.get("written_requested") == "yes"
    if data["form"] != "oral":
        data["oral_confirmation"] = None
    method = data["method"]
    data["admonition_conditions"] = (
        {c: form.get(f"admonition_conditions.{c}") == "yes" for c in CONDITIONS}
        if method == "admonition" else None)
    data["case"] = ({"decision_number": _text(form, "case.decision_number"),
                     "kind": _text(form, "case.kind"), "closed_on": _text(form, "case.closed_on")}
                    if method == "case_revisit" else None)
    data["project"] = ({"name": _text(form, "project.name"), "kind": _text(form, "project.kind")}
                       if method == "policy_guidance" else None)
    return data


def form_from_record(record: GuidanceRecord | None, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values for the form's inputs (strings, lists for officers) from a stored record."""
    if record is None:
        values: dict[str, Any] = {"result": "pending", "form": "written", "initiated_by": "ex_officio",
                                  "target.kind": "organization", "officers": []}
        values.update(defaults or {})
        return values
    data = record.to_interchange()
    values = {name: data.get(name) or "" for name in TEXT_FIELDS}
    values["guided_at"] = _local_input(record.guided_at)
    values["applied_at"] = _local_input(record.applied_at)
    values["follow_up_due"] = data.get("follow_up_due") or ""
    values["officers"] = list(record.officers or [])
    for f in TARGET_FIELDS:
        values[f"target.{f}"] = getattr(record, f"target_{f}") or ""
    values["legal_basis"] = format_legal_basis(record.legal_basis)
    values["informed_of_voluntariness"] = "yes" if record.informed_of_voluntariness else ""
    values["written_requested"] = "yes" if record.written_requested else ""
    for c in CONDITIONS:
        values[f"admonition_conditions.{c}"] = "yes" if (record.admonition_conditions or {}).get(c) else ""
    for key in ("decision_number", "kind", "closed_on"):
        values[f"case.{key}"] = (record.case_info or {}).get(key) or ""
    for key in ("name", "kind"):
        values[f"project.{key}"] = (record.project or {}).get(key) or ""
    return values


def form_values_from_request(form: MultiDict) -> dict[str, Any]:
    """Exactly what the user sent, to show again after an error: nothing typed is ever lost."""
    values: dict[str, Any] = {key: form.get(key, "") for key in form.keys()}
    values["officers"] = form.getlist("officers")
    return values


def _local_input(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") if moment else ""


def form_int(raw: str | None, *, high: int = 2**31 - 1) -> int | None:
    """A whole number typed or posted in a form, or None (never an exception)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if value <= high else None


def field_name(path: str) -> str:
    """The form input a finding's field path belongs to (officers.1 → officers)."""
    parts = [p for p in path.split(".") if not is_index(p)]
    if parts and parts[0] == "legal_basis":
        return "legal_basis"
    return ".".join(parts) or "catalog_code"


def errors_by_field(findings) -> dict[str, str]:
    """Inline messages: the first error per input (findings are dicts or rules.Finding)."""
    errors: dict[str, str] = {}
    for f in findings:
        f = f if isinstance(f, Mapping) else f.to_dict()
        if f["severity"] == "error":
            errors.setdefault(field_name(f["field"]), f["message"])
    return errors


def officer_inputs(officers: list[str]) -> list[str]:
    return list(officers) + [""] * max(MIN_OFFICER_INPUTS - len(officers), 1)


# The choices of each enum input are the validator's own vocabularies.
CHOICES = vocab.FIELD_VOCABULARY
