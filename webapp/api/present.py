"""Records as the API answers them; every answer goes through its pydantic model."""
from __future__ import annotations

from typing import Any

import rules
from flask import jsonify
from pydantic import BaseModel

from webapp.auth.permissions import mask_id_number, masks_personal_ids
from webapp.models import GuidanceRecord
from webapp.models.record import SHANGHAI
from webapp.records import queries
from webapp.services import records as svc


def answer(model: type[BaseModel], data: dict[str, Any], status: int = 200):
    return jsonify(model.model_validate(data).model_dump(mode="json")), status


def current_report(record: GuidanceRecord) -> dict | None:
    """Drafts: what submitting now would find; otherwise the report stored at submit/filing."""
    if record.status == "draft" or record.last_report is None:
        return svc.preview_report(record.to_interchange(), record.id).to_dict()
    return record.last_report


def record_detail(user, record: GuidanceRecord, report: rules.Report | dict | None = None) -> dict:
    if isinstance(report, rules.Report):
        report = report.to_dict()
    data = record.to_interchange()
    trail = queries.audit_trail(record.id)
    audit = [{"at": event.at.astimezone(SHANGHAI), "by": event.user.username if event.user else None,
              "action": event.action, "changes": event.changes or {}, "note": event.note}
             for event in trail]
    if masks_personal_ids(user) and _ever_a_person(record, audit):
        _mask_target(data.get("target"))
        for event in audit:
            event["changes"] = _masked_changes(event["changes"])
    return {"id": record.id, "status": record.status, "number": record.number, "version": record.version,
            "record": data, "report": report if report is not None else current_report(record),
            "audit": audit}


def record_summary(record: GuidanceRecord) -> dict:
    return {"id": record.id, "status": record.status, "number": record.number, "subject": record.subject,
            "target": record.target_name,
            "guided_at": record.guided_at.astimezone(SHANGHAI) if record.guided_at else None}


def _ever_a_person(record: GuidanceRecord, audit: list[dict]) -> bool:
    """The audit keeps earlier values: a target that was once a person stays masked there."""
    if record.target_kind == "person":
        return True
    for event in audit:
        for key, change in event["changes"].items():
            for value in (change.get("before"), change.get("after")):
                if key == "target.kind" and value == "person":
                    return True
                if key == "target" and isinstance(value, dict) and value.get("kind") == "person":
                    return True
    return False


def _mask_target(target: Any) -> None:
    if isinstance(target, dict) and isinstance(target.get("id_number"), str):
        target["id_number"] = mask_id_number(target["id_number"])


def _masked_changes(changes: dict) -> dict:
    masked = {}
    for key, change in changes.items():
        change = dict(change)
        for side in ("before", "after"):
            value = change.get(side)
            if key == "target.id_number" and isinstance(value, str):
                change[side] = mask_id_number(value)
            elif key == "target" and isinstance(value, dict):
                value = dict(value)
                _mask_target(value)
                change[side] = value
        masked[key] = change
    return masked


__all__ = ["answer", "current_report", "record_detail", "record_summary"]
