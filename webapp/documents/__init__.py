"""PDF downloads (SPEC §6, §8): record documents, the register, the catalog."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, Response, abort, request
from flask_login import current_user, login_required

from webapp.auth.permissions import require, require_view
from webapp.extensions import db
from webapp.models import GuidanceRecord, Unit
from webapp.models.record import SHANGHAI
from webapp.pdf import content_disposition, record_ascii_name
from webapp.services import documents

bp = Blueprint("documents", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def pdf_response(data: bytes, filename: str, ascii_name: str | None = None) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(filename, ascii_name)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _visible_record(record_id: int) -> GuidanceRecord:
    return require_view(current_user, db.session.get(GuidanceRecord, record_id))


def _names(record: GuidanceRecord, kind: str, ascii_kind: str) -> tuple[str, str]:
    return (f"{kind}-{record.number or '草稿' + str(record.id)}.pdf",
            record_ascii_name(ascii_kind, record.number_year, record.number_seq, record.id))


@bp.get("/records/<id:record_id>/document.pdf")
@login_required
def guidance_document(record_id: int):
    record = _visible_record(record_id)
    return pdf_response(documents.guidance_document(record), *_names(record, "行政指导文书", "guidance"))


@bp.get("/records/<id:record_id>/opinion.pdf")
@login_required
def opinion_letter(record_id: int):
    record = _visible_record(record_id)
    if not documents.has_opinion_letter(record):
        abort(404, description="只有意见建议、劝导警示类行政指导出具《行政指导意见书》")
    return pdf_response(documents.opinion_letter(record), *_names(record, "行政指导意见书", "opinion"))


@bp.get("/register.pdf")
@login_required
def register():
    require(current_user, "view_register")
    this_year = datetime.now(SHANGHAI).year
    year = request.args.get("year", this_year, type=int)
    if not 2000 <= year <= this_year + 1:
        abort(400, description=f"年度应在 2000 至 {this_year + 1} 之间")
    unit = None
    if request.args.get("unit"):
        unit_id = request.args.get("unit", type=int) or 0
        unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None
        if unit is None:
            abort(404, description="单位不存在")
    data = documents.register(year, unit.id if unit else None, unit.name if unit else None)
    suffix = f"-{unit.name}" if unit else ""
    ascii_suffix = f"-unit-{unit.id}" if unit else ""
    return pdf_response(data, f"行政指导事项登记簿-{year}{suffix}.pdf", f"register-{year}{ascii_suffix}.pdf")
