"""Findings grouped per principle for the live panel and the record page."""
from __future__ import annotations

from rules import PRINCIPLES

from webapp.records.forms import field_name

# The six principles of the work plan first, then catalog scope and form filling.
PANEL_ORDER = ("voluntary", "lawful", "reasonable", "fair_open", "convenient", "effective", "catalog", "input")
STATE_LABELS = {"ok": "✓ 符合", "warning": "⚠ 需审查", "error": "✗ 须修改"}


def group_findings(findings: list[dict]) -> list[dict]:
    groups = []
    for key in PANEL_ORDER:
        items = [dict(f, input=field_name(f["field"])) for f in findings if f["principle"] == key]
        severities = {f["severity"] for f in items}
        state = "error" if "error" in severities else "warning" if "warning" in severities else "ok"
        groups.append({"key": key, "label": PRINCIPLES[key], "state": state,
                       "state_label": STATE_LABELS[state], "findings": items})
    return groups
