"""A record as a given user may read it, and findings arranged for forms and panels.

The one place masking is applied for display: the record page, the API, the PDFs and the
exports all read records through `record_view` (or `policy.mask_*` for single values).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rules import vocabulary as vocab
from rules.vocabulary import is_index

from webapp.services import policy
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


def errors_by_field(findings) -> dict[str, str]:
    """Inline messages: the first error per input (findings are dicts or rules.Finding)."""
    errors: dict[str, str] = {}
    for f in findings:
        f = f if isinstance(f, Mapping) else f.to_dict()
        if f["severity"] == "error":
            errors.setdefault(input_name(f["field"]), f["message"])
    return errors


def group_findings(findings: list[dict]) -> list[dict]:
    """Findings per principle, in the work plan's order (vocabulary.PRINCIPLES)."""
    groups = []
    for key, label in vocab.PRINCIPLES.items():
        items = [dict(f, input=input_name(f["field"])) for f in findings if f["principle"] == key]
        severities = {f["severity"] for f in items}
        state = "error" if "error" in severities else "warning" if "warning" in severities else "ok"
        groups.append({"key": key, "label": label, "state": state,
                       "state_label": vocab.PRINCIPLE_STATES[state], "findings": items})
    return groups
