"""Legal review (政策法规科): the queue, approve, return."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, request, url_for
from flask_login import current_user, login_required

from webapp.htmx import render_page_or_partial
from webapp.http import form_version, perform_action
from webapp.services import policy, queries
from webapp.services import records as svc
from webapp.services.presenting import group_findings

bp = Blueprint("review", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/review")
@login_required
def queue():
    policy.require(current_user, "review_queue")
    page = queries.paginate(queries.review_queue(), request.args.get("page", 1, type=int),
                            current_app.config["PAGE_SIZE"])
    return render_page_or_partial("review/queue.html", "review/_queue.html", page=page,
                                  group_findings=group_findings)


@bp.post("/records/<id:record_id>/approve")
@login_required
def approve(record_id: int):
    values = {"comment": request.form.get("comment", "")}
    return perform_action(
        record_id, "approve",
        lambda record: svc.approve_record(current_user, record.id, values["comment"], form_version()),
        field="comment", values=values,
        success=lambda result: f"审查通过，已备案：{result.record.number}。")


@bp.post("/records/<id:record_id>/return")
@login_required
def return_(record_id: int):
    values = {"comment": request.form.get("comment", "")}
    return perform_action(
        record_id, "return",
        lambda record: svc.return_record(current_user, record.id, values["comment"], form_version()),
        field="comment", values=values, success="已退回经办人修改。", next_url=url_for("review.queue"))
