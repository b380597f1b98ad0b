"""归档 from a page (reviewers, admins): start a background job, watch its progress, download."""
from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from rules.model import SHANGHAI

from webapp.archive import bp
from webapp.htmx import wants_partial
from webapp.pdf import content_disposition
from webapp.services import Conflict, DomainError, jobs, policy, queries
from webapp.services.archive import archive_file, read_scope


def _index(values: dict, errors: dict, status: int = 200):
    return render_template("archive/index.html", values=values, errors=errors, units=queries.unit_names(),
                           jobs=queries.recent_jobs("archive"), this_year=datetime.now(SHANGHAI).year), status


@bp.get("/archive")
@login_required
def index():
    policy.require(current_user, "archive")
    return _index({"year": str(datetime.now(SHANGHAI).year), "unit": ""}, {})


@bp.post("/archive")
@login_required
def start():
    policy.require(current_user, "archive")
    values = {"year": request.form.get("year", ""), "unit": request.form.get("unit", "")}
    try:
        scope = read_scope(values["year"], values["unit"])
    except DomainError as exc:
        field = "unit" if "单位" in exc.message else "year"
        return _index(values, {field: exc.message}, 422)
    job = jobs.enqueue_job(current_user, "archive", {"year": scope.year, "unit": scope.unit})
    return redirect(url_for("archive.job", job_id=job.id), code=303)


@bp.get("/archive/jobs/<id:job_id>")
@login_required
def job(job_id: int):
    item = jobs.job_for(current_user, job_id, "archive")
    template = "archive/_job.html" if wants_partial() else "archive/job.html"
    return render_template(template, job=item)


@bp.get("/archive/jobs/<id:job_id>/download")
@login_required
def download(job_id: int):
    item = jobs.job_for(current_user, job_id, "archive")
    if item.status != "done" or not item.result_path:
        raise Conflict("档案包尚未生成完成，请稍候。")
    params = item.params or {}
    year, unit = params.get("year"), params.get("unit")
    name = f"行政指导档案-{year}年度{'-' + unit if unit else ''}.zip"
    response = send_file(archive_file(item.result_path), mimetype="application/zip", max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name, f"guidance-archive-{year}.zip")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
