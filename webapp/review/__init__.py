"""Legal review (政策法规科): the queue, approve, return."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.auth.permissions import require
from webapp.htmx import render_page_or_partial
from webapp.records import _action_form_error, _already_moved, _record_or_404, _version
from webapp.records import queries
from webapp.records.findings import group_findings
from webapp.services import DomainError
from webapp.services import records as svc

bp = Blueprint("review", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/review")
@login_required
def queue():
    require(current_user, "review_queue")
    page = queries.paginate(queries.review_queue(), request.args.get("page", 1, type=int),
                            current_app.config["PAGE_SIZE"])
    return render_page_or_partial("review/queue.html", "review/_queue.html", page=page,
                                  group_findings=group_findings)


@bp.post("/records/<id:record_id>/approve")
@login_required
def approve(record_id: int):
    record = require(current_user, "approve", _record_or_404(record_id))
    values = {"comment": request.form.get("comment", "")}
    try:
        result = svc.approve_record(current_user, record.id, values["comment"], _version())
    except (svc.Blocked, svc.StaleVersion) as exc:
        return _action_form_error(record_id, exc, "comment", values)
    except svc.Conflict as exc:
        return _already_moved(record_id, exc)
    except DomainError as exc:
        return _action_form_error(record_id, exc, "comment", values)
    flash(f"审查通过，已备案：{result.record.number}。", "success")
    return redirect(url_for("records.view", record_id=record_id))


@bp.post("/records/<id:record_id>/return")
@login_required
def return_(record_id: int):
    record = require(current_user, "return", _record_or_404(record_id))
    values = {"comment": request.form.get("comment", "")}
    try:
        svc.return_record(current_user, record.id, values["comment"], _version())
    except svc.StaleVersion as exc:
        return _action_form_error(record_id, exc, "comment", values)
    except svc.Conflict as exc:
        return _already_moved(record_id, exc)
    except DomainError as exc:
        return _action_form_error(record_id, exc, "comment", values)
    flash("已退回经办人修改。", "success")
    return redirect(url_for("review.queue"))
