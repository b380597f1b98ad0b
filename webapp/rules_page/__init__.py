"""规则说明: the rule set in an officer's words, searchable, and as a training handout (PDF)."""
from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_login import login_required
from rules import RULESET
from rules.explain import edition_words, plain_rules

from webapp.htmx import render_page_or_partial
from webapp.http import pdf_response
from webapp.services import documents

bp = Blueprint("rules_page", __name__)

SEARCH_MAX = 50  # a search is a few words; longer input is cut, never an error


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/rules")
@login_required
def index():
    q = request.args.get("q", "")[:SEARCH_MAX].strip()
    groups = plain_rules(search=q)
    context = {"groups": groups, "q": q, "count": sum(len(g.rules) for g in groups),
               "total": len(RULESET.rules), "edition": edition_words(), "ruleset": RULESET}
    return render_page_or_partial("rules_page/index.html", "rules_page/_results.html", **context)


@bp.get("/rules.pdf")
@login_required
def handout():
    return pdf_response(documents.rules_handout(), "行政指导记录检查规则.pdf", "rules.pdf")
