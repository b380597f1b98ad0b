"""规则说明: the rule set as the validator holds it, grouped by principle."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import login_required
from rules import PRINCIPLES, RULESET
from rules import vocabulary as vocab

bp = Blueprint("rules_page", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/rules")
@login_required
def index():
    groups = [{"key": key, "label": label, "rules": [r for r in RULESET.rules if r.principle == key]}
              for key, label in PRINCIPLES.items()]
    return render_template("rules_page/index.html", groups=groups, version=RULESET.version,
                           severity=vocab.SEVERITY, phase=vocab.PHASE)
