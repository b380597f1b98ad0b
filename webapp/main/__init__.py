"""Home page: what needs doing, per role (issue 13). Every count links to the list it counts."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template
from flask_login import current_user, login_required

from webapp.auth import limits
from webapp.health import last_backup
from webapp.services import alerts, queries, throttle, todo
from webapp.startup import preflight

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/")
@login_required
def home():
    role = current_user.role
    today = alerts.today_in_shanghai()
    context: dict = {"role": role, "today": today}
    if role == "staff":
        context.update(
            counts=queries.unit_status_counts(current_user.unit_id),
            returned=alerts.returned_records(current_user.unit_id),
            follow_ups=alerts.follow_ups(current_user.unit_id, today),
            problems=alerts.spot_check_problems(current_user.unit_id))
    else:
        context.update(counts=todo.bureau_status_counts(current_user),
                       shown_statuses=todo.visible_statuses(current_user))
    if role in ("reviewer", "admin"):
        context.update(waiting=alerts.review_waiting(today), spot_waiting=alerts.spot_checks_waiting())
    if role == "admin":
        app = current_app._get_current_object()
        context.update(
            users=todo.user_counts(),
            locked=[lo for lo in throttle.current_lockouts(limits()) if lo.state == "locked"],
            problems_found=preflight(app), backup=last_backup(app.instance_path))
    if role == "viewer":
        context["recent"] = todo.recent_filings()
    return render_template("main/home.html", **context)
