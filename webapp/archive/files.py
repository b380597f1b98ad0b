"""The record's files: upload, remove and download attachments; download stored document versions."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.archive import bp
from webapp.htmx import htmx
from webapp.http import file_response, pdf_response
from webapp.pdf import record_ascii_name
from webapp.services import DomainError, attachments, documents, policy, queries
from webapp.services import NotFound
from webapp.uploads import read_upload

RETURN_TO = {"edit": "records.edit", "view": "records.view"}


def _widget(record, *, message: str | None = None, error: str | None = None, status: int = 200):
    """The attachments widget alone (htmx), or the attachments page (no JavaScript, refused upload)."""
    context = dict(record=record, message=message, upload_error=error,
                   return_to=request.values.get("return_to", "view"))
    if htmx and not htmx.boosted:
        return render_template("archive/_attachments.html", **context), status
    return render_template("archive/attachments.html", **context), status


def _back(record_id: int):
    endpoint = RETURN_TO.get(request.form.get("return_to", ""), "records.view")
    return redirect(url_for(endpoint, record_id=record_id) + "#attachments", code=303)


@bp.get("/records/<id:record_id>/attachments")
@login_required
def attachments_page(record_id: int):
    return _widget(policy.visible_record(current_user, record_id))


@bp.post("/records/<id:record_id>/attachments")
@login_required
def upload(record_id: int):
    record = policy.require(current_user, "attach", policy.visible_record(current_user, record_id))
    try:
        data, name, label = read_upload()
        added = attachments.add_attachment(current_user, record.id, data, name, label)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _widget(policy.visible_record(current_user, record_id), error=exc.message,
                       status=exc.status if exc.status != 400 else 422)
    item = added.attachment
    message = (f"已上传“{item.name}”。" if added.created
               else f"“{item.name}”与已有附件内容相同，未重复保存。")
    if htmx and not htmx.boosted:
        return _widget(policy.visible_record(current_user, record_id), message=message,
                       status=201 if added.created else 200)
    flash(message, "success")
    return _back(record_id)


@bp.post("/records/<id:record_id>/attachments/<id:attachment_id>/remove")
@login_required
def remove_attachment(record_id: int, attachment_id: int):
    record = policy.require(current_user, "remove_attachment", policy.visible_record(current_user, record_id))
    try:
        item = attachments.remove_attachment(current_user, record.id, attachment_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        return _widget(policy.visible_record(current_user, record_id), error=exc.message, status=exc.status)
    message = f"已删除附件“{item.name}”。"
    if htmx and not htmx.boosted:
        return _widget(policy.visible_record(current_user, record_id), message=message)
    flash(message, "success")
    return _back(record_id)


@bp.get("/records/<id:record_id>/attachments/<id:attachment_id>")
@login_required
def download_attachment(record_id: int, attachment_id: int):
    item = attachments.attachment_of(current_user, record_id, attachment_id)
    data = attachments.attachment_bytes(item)  # checked against its hash first
    return file_response(data, item.name, item.media_type, attachments.ascii_name(item))


@bp.get("/records/<id:record_id>/attachments/<id:attachment_id>/thumbnail.png")
@login_required
def thumbnail(record_id: int, attachment_id: int):
    item = attachments.attachment_of(current_user, record_id, attachment_id)
    response = file_response(attachments.thumbnail(item), f"{item.name}.png", "image/png")
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/records/<id:record_id>/versions/<id:version_id>.pdf")
@login_required
def document_version(record_id: int, version_id: int):
    record = policy.visible_record(current_user, record_id)
    version = queries.document_version_by_id(record.id, version_id)
    if version is None:
        raise NotFound("该文书版本不存在或您无权查看")
    ascii_kind = f"{version.kind}-{version.state}"
    return pdf_response(documents.version_bytes(version),
                        f"{documents.version_title(version)}-{record.number}.pdf",
                        record_ascii_name(ascii_kind, record.number_year, record.number_seq, record.id))
