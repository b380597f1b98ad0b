"""Home page."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import current_user, login_required

from webapp.services import queries

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/")
@login_required
def home():
    return render_template("main/home.html", counts=queries.unit_status_counts(current_user.unit_id))
