"""PDF downloads from the app: record documents, register, public catalog."""
import hashlib
import io
import re
from datetime import datetime, timedelta, timezone

import pdfplumber
from sqlalchemy import select

from tests.webapp.impact_data import look_at_draft_impact
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, CatalogItem, GuidanceRecord, User
from webapp.models.record import SHANGHAI
from webapp.services import catalog_versions
from webapp.services import records as svc


def pdf_text(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def make_record(app, *, submit=True, **overrides):
    with app.app_context():
        record = svc.create_draft(_user("staff"), valid_record(**overrides))
        if submit:
            svc.submit_record(_user("staff"), record.id)
        return db.session.get(GuidanceRecord, record.id)


def test_document_pdf_download_headers_and_text(app, client, auth):
    record = make_record(app)
    auth.login("viewer")
    response = client.get(f"/records/{record.id}/document.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%E8%A1%8C%E6%94%BF%E6%8C%87%E5%AF%BC%E6%96%87%E4%B9%A6" in disposition  # 行政指导文书
    text = "".join(pdf_text(response.data)).replace(" ", "")
    for expected in (record.number, "淄博某建材有限公司", "2026年11月20日", "指导时间", "指导地点", "指导人员",
                     "指导对象", "指导内容（事项）", "指导取得的效益、效果"):
        assert expected in text, expected


def test_document_hash_at_filing_matches_download_and_audit(app, client, auth):
    record = make_record(app)
    auth.login("staff")
    first = client.get(f"/records/{record.id}/document.pdf").data
    second = client.get(f"/records/{record.id}/document.pdf").data
    assert first == second  # deterministic
    digest = hashlib.sha256(first).hexdigest()
    with app.app_context():
        stored = db.session.get(GuidanceRecord, record.id)
        assert stored.document_sha256 == digest
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == record.id,
                                                           AuditEvent.action == "document"))
        assert event.changes["document_sha256"]["after"] == digest
    assert digest in client.get(f"/records/{record.id}").get_data(as_text=True)


def test_opinion_letter_for_admonition(app, client, auth):
    record = make_record(app)
    auth.login("staff")
    response = client.get(f"/records/{record.id}/opinion.pdf")
    text = "".join(pdf_text(response.data)).replace(" ", "")
    for expected in ("行政指导意见书", record.number, "淄博某建材有限公司：", "关于你（单位）存在的", "存在问题",
                     "指导意见", "指导联系人", "李华", "0533-6180000", "周村区自然资源局"):
        assert expected in text, expected


def test_opinion_letter_not_for_reminders(app, client, auth):
    record = make_record(app, method="reminder", admonition_conditions=None)
    auth.login("staff")
    response = client.get(f"/records/{record.id}/opinion.pdf")
    assert response.status_code == 404
    assert "意见建议、劝导警示" in response.get_data(as_text=True)


def test_draft_document_has_watermark_and_no_number(app, client, auth):
    record = make_record(app, submit=False)
    auth.login("staff")
    text = "".join(pdf_text(client.get(f"/records/{record.id}/document.pdf").data))
    assert "草稿" in text and "号" in text and "〕1号" not in text


def test_hostile_text_in_pdf_reads_no_file(app, client, auth):
    evil = '<img src="file:///etc/passwd"><style>body{background:url(file:///etc/passwd)}</style>root:x:0'
    record = make_record(app, submit=False, content=evil)
    auth.login("staff")
    data = client.get(f"/records/{record.id}/document.pdf").data
    text = "".join(pdf_text(data))
    assert "file:///etc/passwd" in text  # printed literally, as the officer typed it
    assert "root:x:0:0" not in text  # the file was not read into the document
    assert b"/Subtype /Image" not in data and b"/Subtype/Image" not in data


def test_register_pdf_lists_filed_records_with_headings_on_every_page(app, client, auth):
    with app.app_context():
        staff = _user("staff")
        base = datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)
        for seq in range(1, 61):
            db.session.add(GuidanceRecord(
                status="filed", number=f"指导书〔2026〕{seq}号", number_year=2026, number_seq=seq,
                owner_unit_id=staff.unit_id, created_by_id=staff.id, subject=f"登记事项{seq}",
                target_name=f"指导对象甲{seq}",
                guided_at=base + timedelta(days=seq), officers=["张明", "李华"], result="pending",
                legal_basis=[], filed_at=base + timedelta(days=seq)))
        db.session.commit()
    auth.login("viewer")
    response = client.get("/register.pdf?year=2026")
    assert response.status_code == 200
    pages = [p.replace(" ", "") for p in pdf_text(response.data)]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        for heading in ("序号", "时间", "指导对象", "指导事项", "指导结果", "指导人员", "文号"):
            assert heading in page
        assert page.endswith(f"—{number}—")
    joined = "".join(pages)
    assert "登记事项1" in joined and "登记事项60" in joined and "指导书〔2026〕60号" in joined
    assert "指导对象甲60" in joined
    assert "2026年3月2日" in joined
    assert client.get("/register.pdf?year=1800").status_code == 400
    refused = client.get("/register.pdf?year=abc")  # a filter value that means nothing: said so, clearly
    assert refused.status_code == 400 and "年度" in refused.get_data(as_text=True)


def test_catalog_page_is_public_and_searchable(app, client):
    with app.app_context():
        db.session.scalar(select(CatalogItem).where(CatalogItem.code == "ZD-TD-01")).published = False
        db.session.commit()
    page = client.get("/catalog")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in body
    assert "共 38 项" in body and "ZD-TD-03" in body and "ZD-TD-01" not in body  # unpublished hidden
    partial = client.get("/catalog?q=矿产", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "ZD-KC" in partial and "ZD-TD-03" not in partial
    pdf = client.get("/catalog.pdf")
    assert pdf.status_code == 200 and pdf.headers["Cache-Control"] == "no-store"
    text = "".join(pdf_text(pdf.data)).replace(" ", "")
    assert "自然资源行政指导目录清单" in text and "ZD-TD-03" in text and "ZD-TD-01" not in text
    assert client.get("/catalog.pdf").data == pdf.data


def _fallback_name(response) -> str:
    return re.search(r'filename="([^"]*)"', response.headers["Content-Disposition"]).group(1)


def test_download_names_say_what_the_file_is(app, client, auth):
    filed = make_record(app)
    draft = make_record(app, submit=False)
    auth.login("staff")
    year, seq = filed.number_year, filed.number_seq
    assert _fallback_name(client.get(f"/records/{filed.id}/document.pdf")) == f"guidance-{year}-{seq}.pdf"
    assert _fallback_name(client.get(f"/records/{filed.id}/opinion.pdf")) == f"opinion-{year}-{seq}.pdf"
    assert _fallback_name(client.get(f"/records/{draft.id}/document.pdf")) == f"guidance-draft-{draft.id}.pdf"
    auth.login("viewer")
    assert _fallback_name(client.get("/register.pdf?year=2026")) == "register-2026.pdf"
    with app.app_context():
        unit_id = _user("staff").unit_id
        reviewer = _user("reviewer")
        catalog_versions.save_item(reviewer, "ZD-TD-01", {"name": "改名"}, catalog_versions.draft().revision)
        look_at_draft_impact()
        catalog_versions.publish(reviewer, "2026-12-01", None, catalog_versions.draft().revision)
    assert _fallback_name(client.get("/register.pdf?year=2026&unit=自然资源开发利用科")) == f"register-2026-unit-{unit_id}.pdf"
    catalog = client.get("/catalog.pdf")
    assert _fallback_name(catalog) == "catalog-2026-12-01-v2.pdf"
    assert "公布日期：2026年12月1日" in "".join(pdf_text(catalog.data)).replace(" ", "")


def test_document_takes_legal_basis_and_name_from_the_catalog_item(app, client, auth):
    record = make_record(app, submit=False, legal_basis=[])
    with app.app_context():
        item = db.session.scalar(select(CatalogItem).where(CatalogItem.code == record.catalog_code))
        basis = item.legal_basis[0]
        expected = f"法律依据：《{basis['law']}》{'、'.join(basis['articles'])}"
        name = item.name
    auth.login("staff")
    text = "".join(pdf_text(client.get(f"/records/{record.id}/document.pdf").data)).replace(" ", "").replace("\n", "")
    assert expected in text and f"目录事项：{name}" in text
    assert record.catalog_code not in text


def test_opinion_letter_dated_when_numbered_with_the_bureaus_sentences(app, client, auth):
    app.config["OPINION_OBJECTION_TEXT"] = "对本意见书有异议的，请于十五日内向政策法规科书面提出。"
    record = make_record(app)  # guided on 2026-11-20, numbered today
    with app.app_context():
        stored = db.session.get(GuidanceRecord, record.id)
        filed_on, guided_on = stored.filed_at.astimezone(SHANGHAI).date(), stored.guided_at.astimezone(SHANGHAI).date()
    auth.login("staff")
    text = "".join(pdf_text(client.get(f"/records/{record.id}/opinion.pdf").data)).replace(" ", "").replace("\n", "")
    assert f"周村区自然资源局{filed_on.year}年{filed_on.month}月{filed_on.day}日" in text  # 署名 and 成文日期
    if guided_on != filed_on:
        assert f"{guided_on.year}年{guided_on.month}月{guided_on.day}日" not in text
    assert "对本意见书有异议的，请于十五日内向政策法规科书面提出。" in text
    assert app.config["OPINION_VOLUNTARINESS_TEXT"] in text
