"""PDF downloads (SPEC §6, §8): the documents of one record (the register and the catalog have
their own blueprints)."""
from __future__ import annotations

from flask import Blueprint, Flask, abort
from flask_login import current_user, login_required

from webapp.http import pdf_response
from webapp.pdf import record_ascii_name
from webapp.services import documents, policy

bp = Blueprint("documents", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _names(record, kind: str, ascii_kind: str) -> tuple[str, str]:
    return (f"{kind}-{record.number or '草稿' + str(record.id)}.pdf",
            record_ascii_name(ascii_kind, record.number_year, record.number_seq, record.id))


@bp.get("/records/<id:record_id>/document.pdf")
@login_required
def guidance_document(record_id: int):
    record = policy.visible_record(current_user, record_id)
    return pdf_response(documents.guidance_document(record), *_names(record, "行政指导文书", "guidance"))


@bp.get("/records/<id:record_id>/opinion.pdf")
@login_required
def opinion_letter(record_id: int):
    record = policy.visible_record(current_user, record_id)
    if not documents.has_opinion_letter(record):
        abort(404, description="只有意见建议、劝导警示类行政指导出具《行政指导意见书》")
    return pdf_response(documents.opinion_letter(record), *_names(record, "行政指导意见书", "opinion"))
