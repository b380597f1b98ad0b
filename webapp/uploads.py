"""Reading an uploaded file from a multipart request (the record page's form and the API)."""
from __future__ import annotations

from flask import request

from webapp.services import DomainError
from webapp.services.attachments import UploadRefused, max_bytes


class NotMultipart(DomainError):
    status = 400


def read_upload() -> tuple[bytes, str | None, str | None]:
    """(the file's bytes, the name it was sent with, the label field); never more than the limit + 1 bytes."""
    if request.mimetype != "multipart/form-data":
        raise NotMultipart("请以 multipart/form-data 上传：文件放在 file 字段，类别放在 label 字段。")
    upload = request.files.get("file")
    data = upload.stream.read(max_bytes() + 1) if upload is not None else b""
    if upload is None or (not upload.filename and not data):
        raise UploadRefused("请选择要上传的文件。")
    return data, upload.filename, request.form.get("label")
