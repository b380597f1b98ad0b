"""HTML form ⇄ SPEC §3 record: the only converter between the two (the tests use it too).

Form inputs are named by the record's dotted paths. Normalising the values (trimming, labels,
upper-casing) is the validator's job (rules.read_record), not this module's.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable, Mapping

from rules import vocabulary as vocab
from rules.model import SHANGHAI

MIN_OFFICER_INPUTS = 3
CATALOG_CODE_MAX = 30  # the column's width; every catalog code is shorter
MAX_FIELD_CHARS = 20_000  # far above every rule limit: the rules explain limits, this stops abuse
TEXT_FIELDS = ("catalog_code", "method", "stage", "form", "initiated_by", "unit", "place", "subject",
               "content", "problem", "opinion", "oral_confirmation", "contact_person",
               "contact_phone", "result")
TARGET_FIELDS = ("name", "kind", "id_number", "contact", "phone")
CONDITIONS = ("minor", "no_intent", "corrected", "no_harm")
ARTICLE = re.compile(r"第[一二三四五六七八九十百千零〇0-9]+条(?:之[一二三四五六七八九十]+)?")
CHECKED = "yes"
REASON_PREFIX = "reason:"  # a warning's 说明理由 input: reason:<rule>|<field>

# The form's sections in page order: (legend, the methods it applies to or None for all, inputs).
SECTIONS = (
    ("目录事项与方式", None, ("catalog_code", "method", "stage", "form", "initiated_by", "applied_at")),
    (vocab.FIELD_LABELS["target"], None, ("target.name", "target.kind", "target.id_number", "target.contact",
                     "target.phone")),
    ("指导时间、地点、人员", None, ("guided_at", "place", "unit", "officers")),
    ("指导内容与依据", None, ("subject", "content", "legal_basis", "informed_of_voluntariness",
                       "written_requested", "oral_confirmation")),
    ("存在问题与指导意见", vocab.OPINION_LETTER_METHODS, ("problem", "opinion")),
    (vocab.FIELD_LABELS["admonition_conditions"], ("admonition",), ("admonition_conditions",)),
    (vocab.FIELD_LABELS["case"], ("case_revisit",), ("case",)),
    (vocab.FIELD_LABELS["project"], ("policy_guidance",), ("project",)),
    ("联系方式与回访", None, ("contact_person", "contact_phone", "follow_up_due")),
)
# Inputs of a group, in page order: a finding about the group links to the first one left empty.
GROUPS = {
    "admonition_conditions": tuple(f"admonition_conditions.{c}" for c in CONDITIONS),
    "case": ("case.decision_number", "case.kind", "case.closed_on"),
    "project": ("project.name", "project.kind"),
    "target": tuple(f"target.{f}" for f in TARGET_FIELDS),
}
FORM_ORDER = tuple(name for _, _, names in SECTIONS for group in names
                   for name in (group, *GROUPS.get(group, ())))


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


def read_form(form, resolve_code: Callable[[str | None], tuple[str | None, Any]] | None = None,
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One pass over a posted form: the §3 record it describes, and the values to show again.

    Sections that do not apply to the chosen method are left out of the record; the values
    shown again are what the user sent (a catalog name they typed becomes its code), so nothing
    typed is ever lost. `resolve_code` turns a typed code or name into a catalog code.
    """
    shown: dict[str, Any] = {key: form.get(key, "") for key in form.keys()}
    shown["officers"] = form.getlist("officers")
    data: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    if resolve_code is not None and data["catalog_code"]:
        code, _ = resolve_code(data["catalog_code"])
        if code is not None:  # a longer text stays as typed: the length limit refuses it (nothing stored)
            data["catalog_code"] = shown["catalog_code"] = code
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


def record_from_form(form, resolve_code=None) -> dict[str, Any]:
    return read_form(form, resolve_code)[0]


def warning_reasons(form) -> dict[str, str]:
    """The 说明理由 inputs beside warnings, by warning key ("rule|field")."""
    return {key[len(REASON_PREFIX):]: (form.get(key) or "")[:MAX_FIELD_CHARS]
            for key in form.keys() if key.startswith(REASON_PREFIX)}


def touched_inputs(form) -> set[str] | None:
    """Inputs the officer has been in (sent by the page's script); None after a submit attempt.

    A group's input touches the group too (admonition_conditions.minor → admonition_conditions)."""
    if form.get("attempted") == CHECKED:
        return None
    return _with_groups(name for name in (form.get("touched") or "").split(",") if name)


def _with_groups(names) -> set[str]:
    found = set()
    for name in names:
        found.update((name, name.split(".")[0]))
    return found


def filled_inputs(values: Mapping[str, Any]) -> str:
    """A saved draft's inputs that have a value, as the page's touched list starts."""
    filled = _with_groups(name for name, value in values.items()
                          if value and (not isinstance(value, list) or any(value)))
    return ",".join(name for name in FORM_ORDER if name in filled)


def anchor_input(name: str, values: Mapping[str, Any]) -> str:
    """The input a message about `name` links to: itself, or a group's first empty input."""
    members = GROUPS.get(name)
    if not members:
        return name
    return next((m for m in members if not values.get(m)), members[0])


def section_complete(names: tuple[str, ...], values: Mapping[str, Any], errors: Mapping) -> bool:
    """A section folds when every input in it has a value and none has an error."""
    inputs = [m for n in names for m in (GROUPS.get(n) or (n,))]
    if any(n in errors or n.split(".")[0] in errors for n in inputs):
        return False
    if not any(values.get(n) for n in inputs if n not in DEFAULTED_INPUTS):
        return False  # nothing typed yet: a blank section is not complete
    return all(values.get(n) and any(values.get(n)) if n == "officers" else values.get(n)
               for n in inputs if n not in OPTIONAL_INPUTS)


# Inputs the new form fills in itself: they do not make a section look started.
DEFAULTED_INPUTS = frozenset({"form", "initiated_by", "unit", "officers"})
# Inputs a complete section may leave empty (the rules judge them; an empty one does not hold a
# section open).
OPTIONAL_INPUTS = frozenset({"applied_at", "target.id_number", "target.contact", "place",
                             "legal_basis", "written_requested", "oral_confirmation",
                             "follow_up_due", "project.name", "target.phone", "contact_person",
                             "contact_phone"})


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
    # No default for 对象类型: person or organisation is the officer's choice, never assumed.
    values: dict[str, Any] = {"result": "pending", "form": "written", "initiated_by": "ex_officio",
                              "officers": []}
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
