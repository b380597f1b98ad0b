"""Home page."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import GuidanceRecord

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/")
@login_required
def home():
    counts = dict(db.session.execute(
        select(GuidanceRecord.status, func.count())
        .where(GuidanceRecord.owner_unit_id == current_user.unit_id)
        .group_by(GuidanceRecord.status)
    ).all())
    return render_template("main/home.html", counts=counts)
