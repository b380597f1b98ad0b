"""A record as a given user may read it, and findings arranged for forms and panels.

The one place masking is applied for display: the record page, the API, the PDFs and the
exports all read records through `record_view` (or `policy.mask_*` for single values).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules import vocabulary as vocab
from rules.vocabulary import is_index

from webapp.services import policy
from webapp.services.records import warning_key
from webapp.services.audit import expand_texts


@dataclass
class AuditLine:
    event: Any  # models.AuditEvent
    changes: dict


@dataclass
class RecordView:
    data: dict  # the §3 record, masked for the user
    audit: list[AuditLine]
    person: bool  # the target is or ever was a natural person

    @property
    def id_number(self) -> str | None:
        return (self.data.get("target") or {}).get("id_number")


def record_view(user, record, trail: Iterable) -> RecordView:
    trail = list(trail)
    person = policy.ever_a_person(record.target_kind, (e.changes for e in trail))
    data = policy.mask_record_data(user, record.to_interchange(), person=person)
    audit = [AuditLine(e, policy.mask_changes(user, expand_texts(e.changes or {}), person=person)) for e in trail]
    return RecordView(data, audit, person)


def masked_target_id(user, record) -> str | None:
    """One record's target id number as `user` may read it (lists, exports)."""
    return policy.mask_value(user, "target.id_number", record.target_id_number,
                             person=record.target_kind == "person")


# --- findings for forms and panels -------------------------------------------------------------


def input_name(path: str) -> str:
    """The form input a finding's field path belongs to (officers.1 → officers)."""
    parts = [p for p in path.split(".") if not is_index(p)]
    if parts and parts[0] == "legal_basis":
        return "legal_basis"
    return ".".join(parts) or "catalog_code"


def _as_dict(f) -> dict:
    return f if isinstance(f, Mapping) else f.to_dict()


def errors_by_field(findings, order: Sequence[str] = ()) -> dict[str, str]:
    """Inline messages: one line per input, several errors on it joined, in the form's `order`
    (inputs the order does not name follow in the validator's field order)."""
    errors: dict[str, list[str]] = {}
    for f in map(_as_dict, findings):
        if f["severity"] == "error":
            messages = errors.setdefault(input_name(f["field"]), [])
            if f["message"] not in messages:
                messages.append(f["message"])
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted(errors, key=lambda name: (rank.get(name, len(rank)), vocab.field_rank(name)))
    return {name: "".join(errors[name]) for name in ordered}


def group_findings(findings: list[dict], shown: Collection[str] | None = None,
                   reasons: Mapping[str, str] | None = None,
                   anchor: Callable[[str], str] | None = None) -> list[dict]:
    """Findings per principle, in the work plan's order (vocabulary.PRINCIPLES).

    With `shown` (the inputs the officer has touched), findings about other inputs are only
    counted per principle (`later`); `reasons` are the officer's 说明理由 per warning key;
    `anchor` names the input a finding's link focuses (a group's first empty input).
    """
    groups = []
    reasons = reasons or {}
    for key, label in vocab.PRINCIPLES.items():
        items = [dict(f, input=input_name(f["field"]), key=warning_key(f["rule"], f["field"]))
                 for f in findings if f["principle"] == key]
        for item in items:
            item["reason"] = reasons.get(item["key"], "")
            item["anchor"] = anchor(item["input"]) if anchor else item["input"]
        visible = items if shown is None else [f for f in items if f["input"] in shown]
        severities = {f["severity"] for f in visible}
        state = "error" if "error" in severities else "warning" if "warning" in severities else "ok"
        groups.append({"key": key, "label": label, "state": state,
                       "state_label": vocab.PRINCIPLE_STATES[state], "findings": visible,
                       "later": len(items) - len(visible)})
    return groups
