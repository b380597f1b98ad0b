"""GET /api/v1/alerts: the caller's to-do items, the same ones the home page shows (issue 13)."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from webapp.api import bp
from webapp.services import alerts


@bp.get("/alerts")
def list_alerts():
    return jsonify([item.to_json() for item in alerts.alerts_for(current_user)])
