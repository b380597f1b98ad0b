"""Attachments (issue 11): recognised by their bytes, stored once, removable only from drafts."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from tests.webapp.archive_data import image_bytes, ofd_bytes, pdf_bytes, upload
from tests.webapp.records_data import user, valid_record
from tests.webapp.test_api_support import api, assert_error, make_record, tokens  # noqa: F401
from webapp.extensions import db
from webapp.models import Attachment, AuditEvent
from webapp.services import records as svc
from webapp.services.files import file_store

HX = {"HX-Request": "true"}


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attachment.id)))


def stored_files(app) -> list:
    with app.app_context():
        root = file_store().root
    return sorted(p for p in root.rglob("*") if p.is_file() and "thumbnails" not in p.parts) if root.exists() else []


@pytest.fixture
def draft(app) -> int:
    return make_record(app, "draft")


# --- the record page's form --------------------------------------------------------------------

def test_attachments_upload_from_the_page_with_and_without_htmx(app, client, auth, draft):
    auth.login("staff")
    photo, scan = image_bytes(), pdf_bytes(pages=3)
    partial = upload(client, draft, photo, "现场.jpg", csrf=auth.csrf_token(), headers=HX)
    body = partial.get_data(as_text=True)
    assert partial.status_code == 201 and "<html" not in body
    assert "现场.jpg" in body and "现场照片" in body and "thumbnail.png" in body
    plain = upload(client, draft, scan, "送达回证.pdf", "service_receipt", csrf=auth.csrf_token())
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/records/{draft}#attachments")
    page = client.get(f"/records/{draft}").get_data(as_text=True)
    assert "送达回证.pdf" in page and "3 页" in page and "已上传“送达回证.pdf”" in page
    with app.app_context():
        items = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(a.media_type, a.label, a.pages) for a in items] == [
            ("image/jpeg", "site_photo", None), ("application/pdf", "service_receipt", 3)]
        assert items[0].sha256 == hashlib.sha256(photo).hexdigest() and items[0].size == len(photo)
        path = file_store().path(items[0].sha256)
    assert path.read_bytes() == photo
    assert path.relative_to(file_store_root(app)).parts[:2] == (items[0].sha256[:2], items[0].sha256[2:4])
    assert "static" not in path.parts


def file_store_root(app):
    with app.app_context():
        return file_store().root


def test_attachments_download_headers_and_thumbnail(app, client, auth, draft):
    auth.login("staff")
    photo = image_bytes("PNG", size=(1200, 800))
    upload(client, draft, photo, "图.png", csrf=auth.csrf_token(), headers=HX)
    with app.app_context():
        item = db.session.scalar(select(Attachment))
    response = client.get(f"/records/{draft}/attachments/{item.id}")
    assert response.status_code == 200 and response.data == photo and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f'filename="attachment-{draft}-{item.id}.png"' in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    thumb = client.get(f"/records/{draft}/attachments/{item.id}/thumbnail.png")
    from PIL import Image

    with Image.open(io.BytesIO(thumb.data)) as image:
        assert image.format == "PNG" and max(image.size) == 240
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"


def test_attachments_same_bytes_twice_are_stored_once(app, client, auth, api, draft):
    auth.login("staff")
    data = pdf_bytes()
    first = upload(client, draft, data, "a.pdf", csrf=auth.csrf_token(), headers=HX)
    second = upload(client, draft, data, "b.pdf", csrf=auth.csrf_token(), headers=HX)
    assert first.status_code == 201 and second.status_code == 200
    assert "与已有附件内容相同，未重复保存" in second.get_data(as_text=True)
    other = make_record(app, "draft", subject="另一条")
    assert api("staff").call("POST", f"/api/v1/records/{other}/attachments", raw=None).status_code == 400
    response = upload(app.test_client(), other, data, "c.pdf",
                      headers={"Authorization": f"Bearer {api('staff').token}"}, path=f"/api/v1/records/{other}/attachments")
    assert response.status_code == 201
    assert count(app) == 2 and len(stored_files(app)) == 1  # two records, one file


@pytest.mark.parametrize("data,name,message", [
    (b"", "empty.pdf", "文件是空的"),
    (b"MZ\x90\x00" + b"\x00" * 200, "invoice.pdf", "不支持的文件类型"),  # a renamed .exe
    (b"<html><script>alert(1)</script></html>", "photo.png", "不支持的文件类型"),  # a PNG that is HTML
    (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", "photo.png", "图片文件已损坏"),  # signature, then HTML
    (b"%PDF-1.7\n<html>not a pdf</html>", "scan.pdf", "PDF 文件已损坏"),
    (b"PK\x03\x04" + b"\x00" * 40, "doc.ofd", "不支持的文件类型"),  # a broken zip, not an OFD
    (None, "../../etc/passwd.pdf", "文件名不能包含路径"),
    (None, "报告\x00.pdf", "控制字符"),
    (None, "长" * 300 + ".pdf", "文件名过长"),
])
def test_attachments_bad_input_is_refused_clearly_and_nothing_is_stored(app, client, auth, draft, data, name, message):
    auth.login("staff")
    data = pdf_bytes() if data is None else data
    partial = upload(client, draft, data, name, csrf=auth.csrf_token(), headers=HX)
    body = partial.get_data(as_text=True)
    assert partial.status_code == 422 and message in body and "存在以下问题" in body and "<html" not in body
    page = upload(client, draft, data, name, csrf=auth.csrf_token())
    assert page.status_code == 422 and message in page.get_data(as_text=True) and "<html" in page.get_data(as_text=True)
    assert count(app) == 0 and stored_files(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "attachment")) == 0


def test_attachments_unknown_label_and_missing_file(app, client, auth, draft):
    auth.login("staff")
    refused = upload(client, draft, pdf_bytes(), "a.pdf", "selfie", csrf=auth.csrf_token(), headers=HX)
    assert refused.status_code == 422 and "现场照片、送达回证、当事人确认、其他" in refused.get_data(as_text=True)
    nothing = client.post(f"/records/{draft}/attachments", data={"csrf_token": auth.csrf_token(), "label": "other"},
                          content_type="multipart/form-data", headers=HX)
    assert nothing.status_code == 422 and "请选择要上传的文件" in nothing.get_data(as_text=True)
    assert count(app) == 0


def test_attachments_ofd_is_accepted_by_its_contents(app, client, auth, draft):
    auth.login("staff")
    response = upload(client, draft, ofd_bytes(), "确认书.ofd", "party_confirmation", csrf=auth.csrf_token(), headers=HX)
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(Attachment.media_type)) == "application/ofd"


def test_attachments_over_the_limit_is_413_before_the_body_is_read(app, client, auth, api, draft):
    app.config["ATTACHMENT_MAX_BYTES"] = 100 * 1024
    auth.login("staff")
    big = image_bytes("PNG", size=(2000, 2000), colour=(1, 2, 3)) + b"\x00" * (300 * 1024)
    partial = upload(client, draft, big, "大.png", csrf=auth.csrf_token(), headers=HX)
    assert partial.status_code == 413 and "文件超过大小限制（最大 100.0 KB）" in partial.get_data(as_text=True)
    assert partial.headers["HX-Retarget"] == "#upload-message"
    page = upload(client, draft, big, "大.png", csrf=auth.csrf_token())
    assert page.status_code == 413 and "文件超过大小限制" in page.get_data(as_text=True)
    body = assert_error(upload(app.test_client(), draft, big, "大.png", path=f"/api/v1/records/{draft}/attachments",
                               headers={"Authorization": f"Bearer {api('staff').token}"}), 413)
    assert "文件超过大小限制" in body["error"]
    # Just over the limit but within the multipart room: refused after reading, the same words.
    near = pdf_bytes() + b"\x00" * (100 * 1024)
    assert upload(client, draft, near, "近.pdf", csrf=auth.csrf_token(), headers=HX).status_code == 413
    assert count(app) == 0 and stored_files(app) == []
    # Other routes keep their own (smaller) limit.
    assert client.post("/records/validate", data={"x": "y" * (3 * 1024 * 1024)}).status_code == 413


def test_attachments_the_htmx_config_swaps_413():
    from pathlib import Path

    base = (Path(__file__).resolve().parents[2] / "templates" / "base.html").read_text()
    assert '"4(03|04|09|13|22|29)","swap":true' in base


# --- who may add, remove and see --------------------------------------------------------------

def test_attachments_removed_only_while_draft_and_audited(app, client, auth):
    draft = make_record(app, "draft")
    auth.login("staff")
    upload(client, draft, pdf_bytes(), "a.pdf", csrf=auth.csrf_token(), headers=HX)
    upload(client, draft, image_bytes(), "b.jpg", csrf=auth.csrf_token(), headers=HX)
    with app.app_context():
        first, second = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    removed = client.post(f"/records/{draft}/attachments/{first.id}/remove", data={"csrf_token": auth.csrf_token()},
                          headers=HX)
    assert removed.status_code == 200 and "已删除附件“a.pdf”" in removed.get_data(as_text=True)
    assert count(app) == 1
    with app.app_context():
        svc.submit_record(user("staff"), draft)
    refused = client.post(f"/records/{draft}/attachments/{second.id}/remove", data={"csrf_token": auth.csrf_token()},
                          headers=HX)
    assert refused.status_code in (403, 409) and count(app) == 1
    page = client.get(f"/records/{draft}").get_data(as_text=True)
    assert "b.jpg" in page and f"/attachments/{second.id}/remove" not in page and "补充材料" in page
    # After filing: only additions, each an audit event with the hash.
    later = pdf_bytes(pages=1, marker="补充")
    assert upload(client, draft, later, "补充.pdf", "other", csrf=auth.csrf_token(), headers=HX).status_code == 201
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == draft,
                                                             AuditEvent.action.in_(("attachment", "attachment_removed")))
                                    .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["attachment", "attachment", "attachment_removed", "attachment"]
    assert events[-1].changes["sha256"]["after"] == hashlib.sha256(later).hexdigest()
    assert events[-1].note.startswith("补充材料") and events[2].changes["sha256"]["before"] == first.sha256


def test_attachments_of_another_units_record_are_404(app, client, auth, draft):
    auth.login("staff")
    upload(client, draft, pdf_bytes(), "a.pdf", csrf=auth.csrf_token(), headers=HX)
    with app.app_context():
        item = db.session.scalar(select(Attachment))
    auth.login("staff2")
    for url in (f"/records/{draft}/attachments", f"/records/{draft}/attachments/{item.id}",
                f"/records/{draft}/attachments/{item.id}/thumbnail.png"):
        assert client.get(url).status_code == 404, url
    assert upload(client, draft, image_bytes(), "x.jpg", csrf=auth.csrf_token()).status_code == 404
    assert client.post(f"/records/{draft}/attachments/{item.id}/remove",
                       data={"csrf_token": auth.csrf_token()}).status_code == 404
    other = make_record(app, "draft", username="staff2")
    assert client.get(f"/records/{other}/attachments/{item.id}").status_code == 404  # not this record's
    assert count(app) == 1


def test_attachments_filed_record_visible_to_all_added_only_by_its_unit(app, client, auth):
    filed = make_record(app, "filed")
    auth.login("staff")
    upload(client, filed, pdf_bytes(), "a.pdf", csrf=auth.csrf_token(), headers=HX)
    with app.app_context():
        item = db.session.scalar(select(Attachment))
    for role in ("staff2", "viewer", "reviewer"):
        auth.login(role)
        assert client.get(f"/records/{filed}/attachments/{item.id}").status_code == 200
        assert upload(client, filed, image_bytes(), "x.jpg", csrf=auth.csrf_token()).status_code == 403


# --- the document lists them -------------------------------------------------------------------

def test_attachments_listed_in_the_documents_attachment_list(app, client, auth, draft):
    from tests.webapp.test_documents_views import pdf_text

    auth.login("staff")
    upload(client, draft, image_bytes(), "厂区东侧.jpg", "site_photo", csrf=auth.csrf_token(), headers=HX)
    upload(client, draft, pdf_bytes(pages=2), "回证.pdf", "service_receipt", csrf=auth.csrf_token(), headers=HX)
    text = "".join(pdf_text(client.get(f"/records/{draft}/document.pdf").data)).replace(" ", "").replace("\n", "")
    assert "附件清单" in text and "1.现场照片：厂区东侧.jpg（" in text and "2.送达回证：回证.pdf（2页）" in text


# --- API ---------------------------------------------------------------------------------------

def test_api_attachment_upload_answers_201_and_detail_lists_files(app, api, draft):
    token = api("staff").token
    data = pdf_bytes()
    response = upload(app.test_client(), draft, data, "扫描件.pdf", "送达回证", path=f"/api/v1/records/{draft}/attachments",
                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "sha256", "size", "media_type", "label", "name"}
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["label"] == "service_receipt"
    assert body["media_type"] == "application/pdf" and body["name"] == "扫描件.pdf" and body["size"] == len(data)
    with app.app_context():
        svc.submit_record(user("staff"), draft)
    detail = api("staff").get(f"/api/v1/records/{draft}").get_json()
    assert detail["attachments"][0]["url"] == f"/records/{draft}/attachments/{body['id']}"
    assert [(d["kind"], d["state"]) for d in detail["documents"]] == [("guidance", "filed"), ("opinion", "filed")]
    client = app.test_client()
    for document in detail["documents"]:
        pdf = client.get(document["url"], headers={"Authorization": f"Bearer {token}"})
        assert hashlib.sha256(pdf.data).hexdigest() == document["sha256"]


def test_api_attachment_refusals(app, api, draft):
    path = f"/api/v1/records/{draft}/attachments"

    def send(role, data=b"%PDF-", name="a.pdf"):
        headers = {"Authorization": f"Bearer {api(role).token}"} if role else {}
        return upload(app.test_client(), draft, data, name, path=path, headers=headers)

    assert_error(send(None), 401)
    assert_error(send("staff2", pdf_bytes()), 404)
    assert_error(send("reviewer", pdf_bytes()), 403)
    assert_error(send("staff", b"GIF89a..."), 422)
    assert_error(api("staff").post(path, {"file": "not multipart"}), 400)
    assert count(app) == 0
