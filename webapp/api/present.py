"""Records as the API answers them; every answer goes through its pydantic model."""
from __future__ import annotations

from typing import Any

import rules
from flask import jsonify, url_for
from pydantic import BaseModel
from rules.model import SHANGHAI

from webapp.models import GuidanceRecord
from webapp.services import queries
from webapp.services.presenting import record_view
from webapp.services.rules_bridge import evaluate_stored


def answer(model: type[BaseModel], data: dict[str, Any], status: int = 200):
    return jsonify(model.model_validate(data).model_dump(mode="json")), status


def current_report(record: GuidanceRecord) -> dict | None:
    """The report stored at the last save (drafts) or at submit/filing; never re-evaluated,
    except for a draft saved before reports were stored (migration 0003)."""
    if record.status == "draft":
        return record.draft_report or evaluate_stored(record).to_dict()
    return record.last_report


def record_detail(user, record: GuidanceRecord, report: rules.Report | dict | None = None) -> dict:
    if isinstance(report, rules.Report):
        report = report.to_dict()
    view = record_view(user, record, queries.audit_trail(record.id))
    audit = [{"at": line.event.at.astimezone(SHANGHAI),
              "by": line.event.user.username if line.event.user else None,
              "action": line.event.action, "changes": line.changes, "note": line.event.note}
             for line in view.audit]
    return {"id": record.id, "status": record.status, "number": record.number, "version": record.version,
            "record": view.data, "report": report if report is not None else current_report(record),
            "audit": audit, "attachments": [attachment_item(a) for a in queries.record_attachments(record.id)],
            "documents": [{"kind": v.kind, "state": v.state, "sha256": v.sha256,
                           "url": url_for("archive.document_version", record_id=record.id, version_id=v.id)}
                          for v in queries.document_versions(record.id)]}


def attachment_created(item) -> dict:
    return {"id": item.id, "sha256": item.sha256, "size": item.size, "media_type": item.media_type,
            "label": item.label, "name": item.name}


def attachment_item(item) -> dict:
    return {**attachment_created(item), "pages": item.pages,
            "url": url_for("archive.download_attachment", record_id=item.record_id, attachment_id=item.id)}


def record_summary(record: GuidanceRecord) -> dict:
    return {"id": record.id, "status": record.status, "number": record.number, "subject": record.subject,
            "target": record.target_name,
            "guided_at": record.guided_at.astimezone(SHANGHAI) if record.guided_at else None}


__all__ = ["answer", "attachment_created", "attachment_item", "current_report", "record_detail", "record_summary"]
