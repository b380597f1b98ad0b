"""Writing audit events and computing field-level diffs."""
from __future__ import annotations

from typing import Any

from webapp.extensions import db
from webapp.models import AuditEvent


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-level changes between two flat-or-nested dicts; nested dicts diff by dotted key."""
    changes: dict[str, dict[str, Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            for sub, change in diff(old, new).items():
                changes[f"{key}.{sub}"] = change
        elif old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def record_event(*, entity: str, entity_id: int, action: str, user_id: int | None,
                 changes: dict | None = None, note: str | None = None) -> AuditEvent:
    event = AuditEvent(entity=entity, entity_id=entity_id, action=action, user_id=user_id,
                       changes=changes or {}, note=note)
    db.session.add(event)
    return event
