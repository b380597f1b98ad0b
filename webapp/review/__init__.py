"""Legal review (政策法规科): the queue, approve, return; the 抽查 queue and its conclusions."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from rules import vocabulary as vocab

from webapp.htmx import render_page_or_partial
from webapp.http import form_version, perform_action
from webapp.services import Conflict, alerts, policy, queries
from webapp.services import spot_checks as spot
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
    today = alerts.today_in_shanghai()
    return render_page_or_partial("review/queue.html", "review/_queue.html", page=page,
                                  group_findings=group_findings,
                                  age_of=lambda record: alerts.review_age(record.submitted_at, today),
                                  level_of=alerts.review_level)


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


# --- 抽查 (issue 12.3): records filed without review, drawn at random --------------------------------


def _spot_check_page(*, error: dict | None = None, values: dict | None = None, status: int = 200):
    return render_template("review/spot_checks.html", waiting=spot.waiting_checks(),
                           concluded=spot.concluded_checks(), problems=alerts.spot_check_problems(None),
                           rate=current_app.config["SPOT_CHECK_RATE"], policy=spot.review_policy(),
                           error=error, values=values or {}), status


@bp.get("/review/spot-checks")
@login_required
def spot_checks():
    policy.require(current_user, "spot_check")
    return _spot_check_page()


@bp.post("/review/spot-checks/<id:spot_check_id>")
@login_required
def conclude_spot_check(spot_check_id: int):
    values = {"result": request.form.get("result", ""), "note": request.form.get("note", "")}
    try:
        check = spot.conclude_spot_check(current_user, spot_check_id, values["result"], values["note"])
    except spot.InvalidConclusion as exc:
        return _spot_check_page(error={"id": spot_check_id, "field": exc.field, "message": exc.message},
                                values=values, status=exc.status)
    except Conflict as exc:  # a second reviewer or a double click: show the queue as it is now
        flash(exc.message, "error")
        return redirect(url_for("review.spot_checks"))
    flash(f"已记录抽查结论：{vocab.SPOT_CHECK_RESULT[check.result]}。", "success")
    return redirect(url_for("review.spot_checks"))
