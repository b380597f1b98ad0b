import io
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pdfplumber
import pypdf
import pytest

from webapp.pdf import (
    FontError, catalog_pdf, content_disposition, find_font, guidance_document_pdf,
    opinion_letter_pdf, register_pdf, sha256_hex,
)
from webapp.pdf import render as pdf_render
from webapp.pdf.formatting import cn_date


CATALOG = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "catalog.json"
SAMPLE_CATALOG = [
    {"code": "ZD-TD-03", "name": "临时用地使用及期满复垦归还提示", "field": "土地",
     "responsible_unit": "自然资源开发利用科", "methods": ["提示提醒", "劝导警示"], "stages": ["事中", "事后"],
     "legal_basis": [{"law": "中华人民共和国土地管理法（2019年修正）", "articles": ["第五十七条"]}],
     "target_scope": "临时用地使用人"},
]


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def flat(pdf: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page_texts(pdf)))


def test_guidance_document_shows_the_form(make_doc, font):
    text = flat(guidance_document_pdf(make_doc(), font))
    for expected in ["行政指导文书", "指导书〔2026〕12号", "单位：周村区自然资源局（公章）", "指导时间",
                     "2026年11月20日", "指导地点", "指导人员", "张明、李华", "指导对象", "淄博某建材有限公司",
                     "指导内容（事项）", "临时用地期满未复垦归还", "指导取得的效益、效果", "—1—"]:
        assert expected in text, expected


def test_opinion_letter_shows_the_letter(make_doc, font):
    text = flat(opinion_letter_pdf(make_doc(), font))
    for expected in ["行政指导意见书", "指导书〔2026〕12号", "淄博某建材有限公司：",
                     "关于你（单位）存在的临时用地期满未复垦归还问题，现提出以下指导意见：",
                     "存在问题：", "指导意见：", "指导联系人：李华", "联系电话：0533-6180000",
                     "周村区自然资源局", "（单位印章）", "2026年11月20日", "—1—"]:
        assert expected in text, expected


def test_register_repeats_headings_and_page_numbers_on_every_page(font, register_rows, updated_at):
    pdf = register_pdf(register_rows(120), title="行政指导事项登记簿", subtitle="2026年度",
                       generated_at=updated_at, font=font)
    pages = [re.sub(r"\s+", "", text) for text in page_texts(pdf)]
    assert len(pages) >= 3
    assert pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width > 800  # landscape A4
    for number, text in enumerate(pages, start=1):
        for heading in ["序号", "时间", "指导事项", "指导结果", "指导人员", "文号"]:
            assert heading in text, (number, heading)
        assert f"第{number}页共{len(pages)}页" in text
    everything = "".join(pages)
    assert "2026年1月5日" in everything and "指导书〔2026〕120号" not in everything  # row 120 is a draft
    seqs = re.findall(r"指导书〔2026〕(\d+)号", everything)
    assert len(seqs) == 108 and seqs == sorted(seqs, key=int)


def test_catalog_lists_the_published_items(font, updated_at):
    items = json.loads(CATALOG.read_text()) if CATALOG.is_file() else SAMPLE_CATALOG
    text = flat(catalog_pdf(items, bureau="周村区自然资源局", generated_at=updated_at, font=font))
    for heading in ["自然资源行政指导目录清单", "编号", "事项名称", "领域", "指导方式", "实施环节", "责任单位",
                    "法律依据", "2026年11月27日"]:
        assert heading in text
    assert items[0]["code"] in text and items[-1]["code"] in text


def test_every_font_is_embedded(make_doc, font, register_rows, updated_at):
    pdfs = [guidance_document_pdf(make_doc(), font), opinion_letter_pdf(make_doc(status="draft", number=None), font),
            register_pdf(register_rows(30), title="登记簿", subtitle="", generated_at=updated_at, font=font),
            catalog_pdf(SAMPLE_CATALOG, bureau="周村区自然资源局", generated_at=updated_at, font=font)]
    for pdf in pdfs:
        fonts = 0
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
            for ref in page["/Resources"]["/Font"].values():
                font_dict = ref.get_object()
                descendants = font_dict.get("/DescendantFonts")
                target = descendants[0].get_object() if descendants else font_dict
                descriptor = target["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font_dict["/BaseFont"]
                fonts += 1
        assert fonts


def test_render_is_deterministic(make_doc, font, updated_at):
    first = opinion_letter_pdf(make_doc(), font)
    assert opinion_letter_pdf(make_doc(), font) == first
    assert sha256_hex(first) == sha256_hex(opinion_letter_pdf(make_doc(), font))
    later = opinion_letter_pdf(make_doc(updated_at=updated_at + timedelta(minutes=1)), font)
    assert later != first
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info["/CreationDate"].startswith("D:20261127013000")  # 09:30 Shanghai in UTC
    assert guidance_document_pdf(make_doc(), font) == guidance_document_pdf(make_doc(), font)


_opened: list[str] | None = None


def _audit(event, args):
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _opened.append(str(args[0]))


def test_hostile_text_is_printed_not_obeyed(make_doc, font):
    global _opened
    hostile = ('<script>alert(1)</script><img src="file:///etc/passwd">'
               '<div style="background-image: url(file:///etc/passwd)">x</div><img src="http://169.254.169.254/x">')
    doc = make_doc(subject=hostile, content=hostile, problem=hostile, opinion="url(file:///etc/passwd)",
                   target={"name": "<b>某公司</b>", "kind": "organization"})
    if not getattr(test_hostile_text_is_printed_not_obeyed, "hooked", False):
        sys.addaudithook(_audit)
        test_hostile_text_is_printed_not_obeyed.hooked = True
    _opened = []
    try:
        pdfs = [guidance_document_pdf(doc, font), opinion_letter_pdf(doc, font)]
    finally:
        opened, _opened = _opened, None
    allowed = (str(pdf_render.STATIC_DIR), str(font.folder), str(pdf_render.TEMPLATE_DIR),
               sys.prefix, sys.base_prefix, "/usr/share/zoneinfo")
    code = (".py", ".pyc", ".so", ".zip", "METADATA")
    assert not [p for p in opened if "passwd" in p]
    assert not [p for p in opened if not p.startswith(allowed) and not p.endswith(code)]
    for pdf in pdfs:
        text = flat(pdf)
        assert "<script>alert(1)</script>" in text
        assert '<imgsrc="file:///etc/passwd">' in text
        assert "url(file:///etc/passwd)" in text
        assert "<b>某公司</b>" in text
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
            xobjects = page["/Resources"].get("/XObject") or {}
            assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]


def test_link_callback_refuses_everything_outside_static_and_fonts(font):
    callback = pdf_render.make_link_callback(font)
    for uri in ["file:///etc/passwd", "/etc/passwd", "http://example.com/a.png", "../../etc/passwd",
                "/static/../../../etc/passwd", "ftp://x/y"]:
        assert callback(uri) == "about:blank"
    assert callback(font.path) == font.path


def test_draft_is_watermarked_and_unnumbered(make_doc, font):
    for render in (guidance_document_pdf, opinion_letter_pdf):
        for doc in (make_doc(status="draft", number=None), make_doc(status="pending_review", number=None)):
            text = flat(render(doc, font))
            assert "草稿" in text
            assert "指导书〔〕号" in text and "12号" not in text
    assert "草稿" not in flat(opinion_letter_pdf(make_doc(), font))


def test_voided_record_is_marked(make_doc, font):
    text = flat(guidance_document_pdf(make_doc(status="voided"), font))
    assert "已作废" in text and "指导书〔2026〕12号" in text


def test_missing_or_unusable_font_names_the_setting(tmp_path):
    with pytest.raises(FontError, match="PDF_FONT_PATH"):
        find_font(str(tmp_path / "missing.ttf"))
    otf = tmp_path / "fangsong.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 100)
    with pytest.raises(FontError, match="PDF_FONT_PATH"):
        find_font(str(otf))
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    with pytest.raises(FontError, match="PDF_FONT_PATH"):
        find_font(str(junk))
    noto = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
    if noto.is_file():
        with pytest.raises(FontError, match="CFF"):
            find_font(str(noto))


def test_first_pages_are_not_blank(make_doc, font, tmp_path, register_rows, updated_at):
    from PIL import Image

    documents = {
        "document": guidance_document_pdf(make_doc(), font),
        "letter": opinion_letter_pdf(make_doc(), font),
        "register": register_pdf(register_rows(20), title="登记簿", subtitle="", generated_at=updated_at, font=font),
        "catalog": catalog_pdf(SAMPLE_CATALOG, bureau="周村区自然资源局", generated_at=updated_at, font=font),
    }
    for name, pdf in documents.items():
        source = tmp_path / f"{name}.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile",
                        str(source), str(tmp_path / name)], check=True)
        with Image.open(tmp_path / f"{name}.png") as image:
            gray = image.convert("L")
            dark = sum(count for value, count in enumerate(gray.histogram()) if value < 128)
        assert dark > 2000, (name, dark)


def test_dates_are_not_zero_padded():
    assert cn_date("2026-01-05T09:00:00+08:00") == "2026年1月5日"
    assert cn_date("2026-11-19T20:00:00+00:00") == "2026年11月20日"  # Shanghai calendar day
    assert cn_date(None) == ""


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition("行政指导意见书-指导书〔2026〕12号.pdf")
    assert header.startswith('attachment; filename="')
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert "filename*=UTF-8''%E8%A1%8C" in header
    assert "\n" not in content_disposition('a"\nb.pdf') and '"' not in content_disposition('a"b.pdf').split('"')[1]
