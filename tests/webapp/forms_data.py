"""Form posts built from §3 records, as the browser would send them."""
from __future__ import annotations

from typing import Any

from webapp.records.forms import CONDITIONS, TARGET_FIELDS, TEXT_FIELDS, format_legal_basis


def form_data(record: dict[str, Any], *, action: str = "save", version: int | None = None,
              csrf: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {"csrf_token": csrf, "action": action}
    for key in TEXT_FIELDS:
        if record.get(key) is not None:
            data[key] = record[key]
    if record.get("guided_at"):
        data["guided_at"] = record["guided_at"][:16]  # datetime-local: 2026-11-20T10:00
    if record.get("applied_at"):
        data["applied_at"] = record["applied_at"][:16]
    if record.get("follow_up_due"):
        data["follow_up_due"] = record["follow_up_due"]
    data["officers"] = list(record.get("officers") or [])
    for f in TARGET_FIELDS:
        if (record.get("target") or {}).get(f):
            data[f"target.{f}"] = record["target"][f]
    data["legal_basis"] = format_legal_basis(record.get("legal_basis"))
    for flag in ("informed_of_voluntariness", "written_requested"):
        if record.get(flag):
            data[flag] = "yes"
    for c in CONDITIONS:
        if (record.get("admonition_conditions") or {}).get(c):
            data[f"admonition_conditions.{c}"] = "yes"
    for part in ("case", "project"):
        for key, value in (record.get(part) or {}).items():
            if value:
                data[f"{part}.{key}"] = value
    if version is not None:
        data["version"] = str(version)
    return data
