"""台账 (SPEC §7): the register with filters, keyset pages and exports of any filter."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, abort, redirect, request, stream_with_context, url_for
from flask_login import current_user, login_required
from rules.model import SHANGHAI

from webapp.htmx import render_page_or_partial
from webapp.http import file_response, pdf_response, perform_action
from webapp.services import exports, numbering, policy, queries
from webapp.services import records as svc
from webapp.services.register_filter import SORT_LABELS, decode_cursor, encode_cursor, parse_filter

bp = Blueprint("register", __name__)
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _filter():
    return parse_filter(request.args, units=queries.unit_ids())


@bp.get("/register")
@login_required
def index():
    policy.require(current_user, "view_register")
    flt, errors = _filter()
    after = None
    if request.args.get("after"):
        after = decode_cursor(flt.sort, request.args["after"])
        if after is None:
            errors["after"] = "分页位置无效（排序方式已改变或链接不完整），已从第一页显示。"
    items, next_values = queries.register_page(current_user, flt, after=after, limit=PAGE_SIZE)
    context = dict(
        flt=flt, errors=errors, items=items, total=queries.register_count(current_user, flt),
        next_cursor=encode_cursor(flt.sort, next_values) if next_values else None,
        paged=after is not None, params=flt.params(), rows=exports.register_rows(current_user, items),
        choices=exports.FILTER_CHOICES, units=queries.unit_names(), fields=queries.catalog_fields(),
        sorts=SORT_LABELS, this_year=datetime.now(SHANGHAI).year, gap_notes=numbering.gap_notes(flt.year),
    )
    # Refused filter values are shown beside their fields; the page itself is fine (200).
    return render_page_or_partial("register/index.html", "register/_results.html", **context)


def _export_filter():
    policy.require(current_user, "view_register")
    flt, errors = _filter()
    if errors:
        name, message = next(iter(errors.items()))
        abort(400, description=f"筛选条件“{name}”有误：{message}。请返回台账修改后再导出。")
    return flt


@bp.get("/register.xlsx")
@login_required
def export_xlsx():
    flt = _export_filter()
    data, _count = exports.register_xlsx(current_user, flt)
    name, ascii_name = exports.file_names(flt, "xlsx")
    return _ready(file_response(data, name, XLSX, ascii_name))


@bp.get("/register.csv")
@login_required
def export_csv():
    flt = _export_filter()
    rows = stream_with_context(exports.register_csv(current_user, flt))  # streamed: rows read as sent
    name, ascii_name = exports.file_names(flt, "csv")
    return _ready(file_response(rows, name, "text/csv; charset=utf-8", ascii_name))


@bp.get("/register.pdf")
@login_required
def export_pdf():
    flt = _export_filter()
    return _ready(pdf_response(exports.register_pdf(current_user, flt), *exports.file_names(flt, "pdf")))


def _ready(response):
    """Tell the page's export indicator (static/js/app.js) that the download has started."""
    token = request.args.get("dl", "")
    if token.isascii() and token.isalnum() and len(token) <= 32:
        response.set_cookie("export_ready", token, max_age=60, samesite="Strict", httponly=False)
    return response


@bp.post("/records/<id:record_id>/good-practice")
@login_required
def mark_good_practice(record_id: int):
    values = {"good_reason": request.form.get("good_reason", "")}
    mark = request.form.get("mark") != "0"
    return perform_action(
        record_id, "mark_good_practice",
        lambda record: svc.mark_good_practice(current_user, record.id, values["good_reason"], mark=mark),
        field="good_reason", values=values,
        success="已标记为典型经验。" if mark else "已取消典型经验标记。")


@bp.get("/records/filed")
@login_required
def filed():
    """The old 备案记录 list is the register filtered to public states."""
    return redirect(url_for("register.index", status=["filed", "closed", "voided"]))

