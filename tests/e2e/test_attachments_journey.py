"""Journey: attach a photo and a PDF to a draft (upload progress shown), remove one, submit, find
the 附件清单 in the 文书 and download the 备案版 — its bytes match the hash the page shows."""
from __future__ import annotations

import hashlib
import io
import random
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.webapp.archive_data import pdf_bytes
from tests.webapp.records_data import user, valid_record


def noisy_photo() -> bytes:
    """A JPEG of a few MB (noise does not compress), so the upload takes long enough to report progress."""
    from PIL import Image

    rng = random.Random(7)
    image = Image.frombytes("RGB", (1600, 1200), bytes(rng.getrandbits(8) for _ in range(1600 * 1200 * 3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_journey_attachments_on_a_draft_then_the_filed_document(app, page, live_server, screenshot,
                                                                 assert_accessible, tmp_path):
    from webapp.services import records as svc

    with app.app_context():
        record_id = svc.create_draft(user("staff"), valid_record(subject="临时用地期满未复垦归还")).id
    photo, scan, wrong = tmp_path / "厂区东侧现场.jpg", tmp_path / "送达回证.pdf", tmp_path / "说明.pdf"
    photo.write_bytes(noisy_photo())
    scan.write_bytes(pdf_bytes(pages=2, marker="送达回证"))
    wrong.write_bytes(b"<html>not a pdf</html>")

    login(page, live_server, "staff")
    expect(page.get_by_role("link", name="我的记录")).to_be_visible()
    page.goto(f"{live_server}/records/{record_id}/edit")
    widget = page.locator("#attachments")
    expect(widget.get_by_role("heading", name="附件", exact=True)).to_be_visible()
    # Record every progress report the page shows while uploading.
    page.evaluate("""() => { window.progressSeen = [];
        document.addEventListener('htmx:xhr:progress', () => {
            const bar = document.querySelector('#attachments progress');
            if (bar && !bar.hidden) { window.progressSeen.push(bar.value); } }); }""")

    widget.get_by_label("附件文件").set_input_files(str(photo))
    widget.get_by_label("附件类别").select_option("site_photo")
    widget.get_by_role("button", name="上传").click()
    expect(widget.locator(".flash")).to_contain_text("已上传“厂区东侧现场.jpg”")
    seen = page.evaluate("window.progressSeen")
    assert seen and max(seen) == 100, seen
    expect(widget.locator("img.thumb")).to_have_attribute("alt", re.compile("现场照片：厂区东侧现场.jpg"))

    widget = page.locator("#attachments")
    widget.get_by_label("附件文件").set_input_files(str(wrong))
    widget.get_by_role("button", name="上传").click()
    expect(widget.locator(".error-summary")).to_contain_text("不支持的文件类型")
    assert_accessible("上传被拒绝")

    widget.get_by_label("附件文件").set_input_files(str(scan))
    widget.get_by_label("附件类别").select_option("service_receipt")
    widget.get_by_role("button", name="上传").click()
    expect(widget.locator(".flash")).to_contain_text("已上传“送达回证.pdf”")
    expect(widget.locator("li.attachment")).to_have_count(2)
    expect(page.locator("#f-subject")).to_have_value("临时用地期满未复垦归还")  # the record form is untouched
    screenshot("attachments-1-draft")
    assert_accessible("草稿的附件")

    widget.get_by_role("button", name="删除附件 厂区东侧现场.jpg").click()
    expect(widget.locator(".flash")).to_contain_text("已删除附件“厂区东侧现场.jpg”")
    expect(widget.locator("li.attachment")).to_have_count(1)

    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash").first).to_contain_text("已备案")
    expect(page).to_have_url(re.compile(rf"/records/{record_id}$"))
    versions = page.locator(".document-versions")
    expect(versions).to_contain_text("备案版行政指导文书")
    expect(page.locator("#attachments")).to_contain_text("补充材料")
    expect(page.locator("#attachments").get_by_role("button", name=re.compile("删除附件"))).to_have_count(0)
    screenshot("attachments-2-filed")
    assert_accessible("已备案记录的文书与附件")

    with page.expect_download() as download_info:
        versions.get_by_role("link", name=re.compile("备案版行政指导文书")).click()
    data = Path(download_info.value.path()).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    expect(versions).to_contain_text(digest)

    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages).replace(" ", "").replace("\n", "")
    assert "附件清单" in text and "送达回证：送达回证.pdf（2页）" in text
    assert "厂区东侧现场.jpg" not in text  # removed before filing
