"""总结 (SPEC §7): the year's figures with server-rendered charts, as a page, PDF and xlsx."""
from __future__ import annotations

import io
from datetime import datetime

from flask import Blueprint, Flask, abort, current_app, request
from flask_login import current_user, login_required
from rules.model import SHANGHAI

from webapp.htmx import render_page_or_partial
from webapp.http import file_response, pdf_response
from webapp.reports.documents import scope_text, stats_charts, stats_pdf, stats_title, stats_xlsx
from webapp.reports.stats import figures, spot_check_rows
from webapp.services import policy, queries, statistics
from webapp.services.documents import document_font

bp = Blueprint("stats", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _stats():
    policy.require(current_user, "view_register")
    return statistics.read_scope(request.args, queries.unit_ids())


@bp.get("/stats")
@login_required
def index():
    year, unit, errors = _stats()
    stats = statistics.year_stats(year, unit)
    return render_page_or_partial(
        "stats/index.html", "stats/_figures.html", stats=stats, errors=errors, title=stats_title(stats),
        scope=scope_text(stats), figures=figures(stats), charts=stats_charts(stats, font=document_font()),
        units=queries.unit_names(), years=range(datetime.now(SHANGHAI).year + 1, statistics.first_year() - 1, -1),
        spot_check_rows=spot_check_rows)


def _refuse(errors):
    if errors:
        name, message = next(iter(errors.items()))
        abort(400, description=f"参数 {name} 有误：{message}。")


@bp.get("/stats.pdf")
@login_required
def pdf():
    year, unit, errors = _stats()
    _refuse(errors)
    stats = statistics.year_stats(year, unit)
    data = stats_pdf(stats, bureau=current_app.config["BUREAU_NAME"], font=document_font())
    return pdf_response(data, f"行政指导工作统计-{year}{'-' + unit if unit else ''}.pdf")


@bp.get("/stats.xlsx")
@login_required
def xlsx():
    year, unit, errors = _stats()
    _refuse(errors)
    out = io.BytesIO()
    stats_xlsx(statistics.year_stats(year, unit), out, bureau=current_app.config["BUREAU_NAME"])
    return file_response(out.getvalue(), f"行政指导工作统计-{year}{'-' + unit if unit else ''}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
