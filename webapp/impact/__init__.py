"""规则参数 (admin: draft overlay → impact run → publish) and the change-impact report (reviewers, admins).

Views only: parse → service → render."""
from __future__ import annotations

from datetime import date, datetime

import rules
from rules.explain import plain_rule
from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from rules.model import SHANGHAI

from webapp.htmx import wants_partial
from webapp.http import form_int
from webapp.services import Conflict, DomainError, impact, policy, rule_params

bp = Blueprint("impact", __name__)


def init_app(app: Flask) -> None:
    from webapp.impact.cli import rules_cli

    app.register_blueprint(bp)
    app.cli.add_command(rules_cli)


def _default_years() -> str:
    year = datetime.now(SHANGHAI).year
    return f"{year - 1}-{year}"


def _params_page(*, values: dict | None = None, errors: dict | None = None, status: int = 200):
    draft = rule_params.draft()
    overlay = draft.params or {}
    editable = rule_params.editable_params()
    if values is None:
        values = {f"{rule.id}.{name}": _shown(overlay.get(rule.id, {}).get(name, rule.params[name]))
                  for rule, names in editable for name in names}
    fp = impact.fingerprint(None, overlay)
    return render_template(
        "impact/params.html", editable=editable, values=values, errors=errors or {}, draft=draft, versions=rule_params.versions(),
        run=impact.latest_run(fp), looked=impact.looked_at(fp), years=request.form.get("years") or _default_years(),
        today=datetime.now(SHANGHAI).date().isoformat()), status


def _shown(value) -> str:
    return "\n".join(value) if isinstance(value, list) else str(value)


@bp.get("/rules/params")
@login_required
def params():
    policy.require(current_user, "manage_rule_params")
    return _params_page()


@bp.post("/rules/params")
@login_required
def save_params():
    policy.require(current_user, "manage_rule_params")
    form = {key: value for key, value in request.form.items() if "." in key}
    overlay, problems = rule_params.read_overlay(form)
    if problems:
        return _params_page(values=form, errors=problems, status=422)
    try:
        rule_params.save_draft(current_user, overlay, expected_version=form_int(request.form.get("draft_version")) or 0)
    except Conflict as exc:
        return _params_page(values=form, errors={"draft": exc.message}, status=409)
    return redirect(url_for("impact.params"), code=303)


@bp.post("/rules/params/impact")
@login_required
def run_params_impact():
    policy.require(current_user, "manage_rule_params")
    try:
        years = impact.read_years(request.form.get("years", ""))
    except DomainError as exc:
        return _params_page(errors={"years": exc.message}, status=422)
    job = impact.start(current_user, items=None, params=rule_params.draft().params or {}, years=years,
                       label="规则参数草稿")
    return redirect(url_for("impact.report", job_id=job.id), code=303)


@bp.post("/rules/params/publish")
@login_required
def publish_params():
    policy.require(current_user, "manage_rule_params")
    try:
        published_on = date.fromisoformat(request.form.get("published_on", ""))
    except ValueError:
        return _params_page(errors={"published_on": "请按“2026-12-01”的格式填写公布日期。"}, status=422)
    try:
        rule_params.publish(current_user, published_on=published_on)
    except Conflict as exc:
        return _params_page(errors={"publish": exc.message}, status=409)
    return redirect(url_for("impact.params"), code=303)


@bp.get("/impact/<id:job_id>")
@login_required
def report(job_id: int):
    job, run = impact.run_for(current_user, job_id)
    result = impact.ImpactResult.from_dict(run.result) if run.result else None
    context = {"job": job, "run": run, "result": result,
               "summary": impact.summary_lines(result) if result else [], "rule_names": _rule_names()}
    template = "impact/_report.html" if wants_partial() else "impact/report.html"
    return render_template(template, **context)


def _rule_names() -> dict[str, dict]:
    return {r.id: {"principle": rules.PRINCIPLES.get(r.principle, r.principle), "source": r.source,
                   "sentence": plain_rule(r).sentence} for r in rules.RULESET.rules}
