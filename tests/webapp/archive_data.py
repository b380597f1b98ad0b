"""Files for the 档案 tests: real PDFs, JPEGs, PNGs and OFDs made here (no tests of their own)."""
from __future__ import annotations

import io
import zipfile


def pdf_bytes(pages: int = 2, marker: str = "") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if marker:
        writer.add_metadata({"/Title": marker})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "JPEG", size=(640, 480), colour=(30, 120, 60)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def ofd_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("OFD.xml", '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return out.getvalue()


def upload(client, record_id: int, data: bytes, name: str, label: str | None = "site_photo", *,
           csrf: str | None = None, headers: dict | None = None, path: str | None = None):
    """POST one file as a browser form would (multipart)."""
    form = {"file": (io.BytesIO(data), name)}
    if label is not None:
        form["label"] = label
    if csrf is not None:
        form["csrf_token"] = csrf
    return client.post(path or f"/records/{record_id}/attachments", data=form,
                       content_type="multipart/form-data", headers=headers or {})
