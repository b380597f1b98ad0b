import io
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pdfplumber
import pypdf
import pytest

from tests.webapp.pdf.conftest import (
    CATALOG_ITEM, UPDATED, cell_lines, make_document_record, make_register_rows, page_texts,
)
from webapp.config import DEFAULTS
from webapp.pdf import (
    DEFAULT_FONTS, DocumentFonts, FontError, catalog_pdf, content_disposition, find_font, find_fonts,
    guidance_document_pdf, opinion_letter_pdf, record_ascii_name, register_pdf, sha256_hex,
)
from webapp.pdf import render as pdf_render
from webapp.pdf.formatting import SHANGHAI, cn_date

CATALOG = Path(__file__).resolve().parents[3] / "rules" / "data" / "catalog.json"
SAMPLE_CATALOG = [CATALOG_ITEM]
MM = 72 / 25.4
TEXT_RIGHT = 210 * MM - 26 * MM  # GB/T 9704 版心 right edge on A4 portrait
CASE = {"decision_number": "周自然资罚决〔2026〕5号", "kind": "major_penalty", "closed_on": "2026-09-01"}


def flat(pdf: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page_texts(pdf)))


def lines_with_positions(pdf: bytes) -> list[list[dict]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [[{**line, "page_width": page.width, "page_height": page.height}
                 for line in page.extract_text_lines()] for page in doc.pages]


def find_line(pages: list[list[dict]], text: str) -> dict:
    found = [line for page in pages for line in page if line["text"].replace(" ", "") == text]
    assert len(found) == 1, (text, [line["text"] for page in pages for line in page])
    return found[0]


# --- 行政指导文书 ---------------------------------------------------------------------

def test_guidance_document_shows_the_form(make_doc, fonts):
    text = flat(guidance_document_pdf(make_doc(), fonts))
    for expected in ["行政指导文书", "指导书〔2026〕12号", "单位：周村区自然资源局", "指导时间",
                     "2026年11月20日", "10时00分", "指导地点", "指导人员", "张明、李华", "指导对象",
                     "淄博某建材有限公司", "指导内容（事项）：临时用地期满未复垦归还", "指导方式：劝导警示（书面）",
                     "实施环节：事中", "指导取得的效益、效果", "指导结果：已采纳。", "指导人员签名：", "—1—"]:
        assert expected in text, expected


def test_guidance_document_names_the_catalog_item_not_its_code(make_doc, fonts):
    text = flat(guidance_document_pdf(make_doc(), fonts))
    assert "目录事项：临时用地使用及期满复垦归还提示" in text
    assert "ZD-TD-03" not in text


@pytest.mark.parametrize("render", [guidance_document_pdf, opinion_letter_pdf])
def test_legal_basis_from_the_record_else_from_the_catalog_item(make_doc, fonts, render):
    own = flat(render(make_doc(), fonts))
    assert "法律依据：《中华人民共和国土地管理法》第五十七条" in own
    assert "2019年修正" not in own
    inherited = flat(render(make_doc(legal_basis=[]), fonts))
    assert "法律依据：《中华人民共和国土地管理法（2019年修正）》第五十七条" in inherited
    assert "法律依据" not in flat(render(make_doc(legal_basis=[], catalog_item=None), fonts))


def test_case_revisit_document_names_the_penalty_decision(make_doc, fonts):
    text = flat(guidance_document_pdf(make_doc(method="case_revisit", case=CASE), fonts))
    for expected in ["指导方式：案件回访", "行政处罚决定书文号：周自然资罚决〔2026〕5号",
                     "回访案件类型：重大行政处罚案件", "案件办结日期：2026年9月1日"]:
        assert expected in text, expected


def test_policy_guidance_document_names_the_project(make_doc, fonts):
    doc = make_doc(method="policy_guidance", project={"name": "周村区物流园二期工程", "kind": "construction"})
    assert "政策指引项目：周村区物流园二期工程（重大工程建设项目）" in flat(guidance_document_pdf(doc, fonts))


@pytest.mark.parametrize("confirmation, shown", [("confirmed", "口头指导确认情况：已确认"),
                                                 ("refused_to_confirm", "口头指导确认情况：拒绝确认"),
                                                 (None, None)])
def test_oral_guidance_has_the_partys_confirmation_line(make_doc, fonts, confirmation, shown):
    text = flat(guidance_document_pdf(make_doc(form="oral", oral_confirmation=confirmation), fonts))
    assert "指导人员签名：" in text and "当事人确认签名：" in text and "指导方式：劝导警示（口头）" in text
    if shown:
        assert shown in text
    else:
        assert "口头指导确认情况" not in text


def test_written_guidance_has_no_party_confirmation_line(make_doc, fonts):
    text = flat(guidance_document_pdf(make_doc(form="written"), fonts))
    assert "指导人员签名：" in text and "当事人确认签名" not in text


def _dashed_grey(pdf: bytes) -> int:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return sum(1 for page in doc.pages for edge in page.edges
                   if edge.get("dash") and edge.get("stroking_color") not in (None, (0,), (0, 0, 0), [0]))


@pytest.mark.parametrize("render", [guidance_document_pdf, opinion_letter_pdf])
def test_no_seal_text_and_a_seal_box_only_on_drafts(make_doc, fonts, render):
    filed, draft = render(make_doc(), fonts), render(make_doc(status="draft", number=None), fonts)
    for pdf in (filed, draft):
        assert "公章" not in flat(pdf) and "印章" not in flat(pdf)
    assert _dashed_grey(filed) == 0
    assert _dashed_grey(draft) >= 4  # the four sides of the placeholder


# --- 行政指导意见书 -----------------------------------------------------------------

def test_opinion_letter_shows_the_letter(make_doc, fonts):
    text = flat(opinion_letter_pdf(make_doc(), fonts))
    for expected in ["行政指导意见书", "指导书〔2026〕12号", "淄博某建材有限公司：",
                     "关于你（单位）存在的临时用地期满未复垦归还问题，现提出以下指导意见：",
                     "存在问题：", "指导意见：", "指导联系人：李华", "联系电话：0533-6180000",
                     "周村区自然资源局", "—1—"]:
        assert expected in text, expected


def test_opinion_letter_is_dated_the_day_it_was_numbered(make_doc, fonts):
    filed = datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI)
    doc = make_doc(guided_at="2026-01-10T09:00:00+08:00", filed_at=filed)
    text = flat(opinion_letter_pdf(doc, fonts))
    assert "2026年11月27日" in text and "2026年1月10日" not in text
    draft = flat(opinion_letter_pdf(make_doc(status="draft", number=None, filed_at=None), fonts))
    assert not re.search(r"\d+年\d+月\d+日", draft.split("周村区自然资源局")[-1])


def test_opinion_letter_signature_block_per_gbt9704(make_doc, fonts):
    pages = lines_with_positions(opinion_letter_pdf(make_doc(), fonts))
    date = find_line(pages, "2026年11月27日")
    signature = [line for page in pages for line in page if line["text"] == "周村区自然资源局"][-1]
    assert date["x1"] == pytest.approx(TEXT_RIGHT - 4 * 16, abs=0.5)  # 成文日期右空四字
    assert (signature["x0"] + signature["x1"]) / 2 == pytest.approx((date["x0"] + date["x1"]) / 2, abs=0.5)
    assert 0 < date["top"] - signature["bottom"] < 16  # the date is the line under the 署名
    contact = [line for page in pages for line in page if "联系电话" in line["text"]][0]
    assert signature["top"] - contact["bottom"] > 12 * MM  # room above for the seal


def test_opinion_letter_carries_the_standard_sentences(make_doc, fonts):
    text = flat(opinion_letter_pdf(make_doc(), fonts))
    for sentence in (DEFAULTS["OPINION_VOLUNTARINESS_TEXT"], DEFAULTS["OPINION_OBJECTION_TEXT"]):
        assert sentence in text
    assert "自愿决定" in DEFAULTS["OPINION_VOLUNTARINESS_TEXT"] and "异议" in DEFAULTS["OPINION_OBJECTION_TEXT"]
    own = make_doc()
    own.voluntariness_text, own.objection_text = "是否采纳由你单位决定。", "有异议请向政策法规科提出。"
    text = flat(opinion_letter_pdf(own, fonts))
    assert "是否采纳由你单位决定。" in text and "有异议请向政策法规科提出。" in text
    assert DEFAULTS["OPINION_OBJECTION_TEXT"] not in text


# --- 登记簿 and 目录清单 -------------------------------------------------------------

def test_register_repeats_headings_and_page_numbers_on_every_page(fonts, register_rows, updated_at):
    pdf = register_pdf(register_rows(120), title="行政指导事项登记簿", subtitle="2026年度",
                       generated_at=updated_at, font=fonts)
    pages = [re.sub(r"\s+", "", text) for text in page_texts(pdf)]
    assert len(pages) >= 3
    assert pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width > 800  # landscape A4
    for number, text in enumerate(pages, start=1):
        for heading in ["序号", "时间", "指导对象", "指导事项", "指导结果", "指导人员", "文号"]:
            assert heading in text, (number, heading)
        assert text.endswith(f"—{number}—") and "第1页" not in text
    everything = "".join(pages)
    assert "2026年1月5日" in everything and "指导书〔2026〕120号" not in everything  # row 120 is a draft
    assert everything.count("王某某") == 40  # the 指导对象 column
    seqs = re.findall(r"指导书〔2026〕(\d+)号", everything)
    assert len(seqs) == 108 and seqs == sorted(seqs, key=int)


def test_catalog_is_numbered_and_grouped_by_field(fonts, updated_at):
    items = sorted(json.loads(CATALOG.read_text()), key=lambda i: i["code"])
    pdf = catalog_pdf(items, bureau="周村区自然资源局", published_on=updated_at, font=fonts)
    text = flat(pdf)
    for heading in ["自然资源行政指导目录清单", "序号", "编号", "事项名称", "指导方式", "实施环节", "适用对象",
                    "责任单位", "法律依据", "公布日期：2026年11月27日"]:
        assert heading in text
    fields = list(dict.fromkeys(i["field"] for i in items))
    counts = {f: sum(i["field"] == f for i in items) for f in fields}
    headings = [f"{f}（{counts[f]}项）" for f in fields]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)  # groups in order of first appearance
    lines = cell_lines(pdf)
    numbers = [int(line) for line in lines if line.isdigit() and len(line) <= 2]
    assert numbers == list(range(1, len(items) + 1))  # 序号 1…N through all groups
    ordered = [i for f in fields for i in items if i["field"] == f]
    for index, item in enumerate(ordered):
        position = text.index(item["code"])
        group = fields.index(item["field"])
        assert positions[group] < position
        assert group + 1 == len(fields) or position < positions[group + 1], item["code"]
    assert "临时用地使用人" in flat(catalog_pdf(SAMPLE_CATALOG, bureau="周村区自然资源局",
                                                published_on=updated_at, font=fonts))


# --- every document: page numbers, fonts, determinism ----------------------------------

@pytest.fixture(scope="module")
def long_documents(fonts):
    """Each document long enough for two pages or more, with its page geometry (mm, pt)."""
    make_doc, updated_at = make_document_record, UPDATED
    long_text = "\n".join(["建议按照经批准的土地复垦方案恢复土地种植条件，复垦完成后向我局申请验收。"] * 40)
    items = json.loads(CATALOG.read_text())
    return {
        "document": (guidance_document_pdf(make_doc(content=long_text), fonts), (28, 26, 35, 14)),
        "letter": (opinion_letter_pdf(make_doc(opinion=long_text), fonts), (28, 26, 35, 14)),
        "register": (register_pdf(make_register_rows(90), title="登记簿", subtitle="", generated_at=updated_at,
                                  font=fonts), (20, 20, 20, 12)),
        "catalog": (catalog_pdf(items, bureau="周村区自然资源局", published_on=updated_at, font=fonts),
                    (20, 20, 22, 12)),
    }


def test_page_numbers_odd_right_even_left_one_character_in(long_documents):
    for name, (pdf, (left, right, bottom, size)) in long_documents.items():
        pages = lines_with_positions(pdf)
        assert len(pages) >= 2, name
        for number, lines in enumerate(pages, start=1):
            mark = [line for line in lines if line["text"] == f"— {number} —"]
            assert len(mark) == 1, (name, number, [line["text"] for line in lines][-3:])
            mark = mark[0]
            if number % 2:
                assert mark["x1"] == pytest.approx(mark["page_width"] - right * MM - size, abs=0.5), name
            else:
                assert mark["x0"] == pytest.approx(left * MM + size, abs=0.5), name
            # 7 mm under the text block
            assert mark["top"] == pytest.approx(mark["page_height"] - bottom * MM + 7 * MM, abs=1), name


def _pdffonts(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [(row[0].split("+")[-1], row[-5]) for row in rows]  # (name, emb)


def test_every_font_is_embedded_and_each_role_has_its_face(long_documents, tmp_path):
    for name, (pdf, _) in long_documents.items():
        listed = _pdffonts(pdf, tmp_path)
        assert listed and all(emb == "yes" for _, emb in listed), (name, listed)
        faces = {face for face, _ in listed}
        assert any(f.startswith("UMingCN") for f in faces), (name, faces)
        assert any(f.startswith("WenQuanYiZenHei") for f in faces), (name, faces)


def _face_of(pdf: bytes, text: str) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for line in page.extract_text_lines():
                if line["text"].replace(" ", "") == text:
                    return {c["fontname"].split("+")[-1] for c in line["chars"]}.pop()
    raise AssertionError(text)


def test_title_heading_and_body_use_their_configured_faces(make_doc, fonts):
    pdf = opinion_letter_pdf(make_doc(), fonts)
    assert _face_of(pdf, "行政指导意见书").startswith("UMingCN")  # 小标宋 stand-in
    assert _face_of(pdf, "存在问题：").startswith("WenQuanYiZenHei")  # 黑体 stand-in
    assert _face_of(pdf, "淄博某建材有限公司：").startswith("UMingCN")
    swapped = find_fonts({"title": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                          "heading": "/usr/share/fonts/truetype/arphic/uming.ttc"})
    pdf = opinion_letter_pdf(make_doc(), swapped)
    assert _face_of(pdf, "行政指导意见书").startswith("WenQuanYiZenHei")
    assert _face_of(pdf, "存在问题：").startswith("UMingCN")


def test_one_font_still_draws_every_role(make_doc, font):
    """A caller with a single FontConfig (e.g. a statistics document) gets it for all roles."""
    pdf = opinion_letter_pdf(make_doc(), font)
    assert _face_of(pdf, "存在问题：").startswith("UMingCN")
    assert DocumentFonts.of(font).heading == font


def test_render_is_deterministic(make_doc, fonts, updated_at):
    first = opinion_letter_pdf(make_doc(), fonts)
    assert opinion_letter_pdf(make_doc(), fonts) == first
    assert sha256_hex(first) == sha256_hex(opinion_letter_pdf(make_doc(), fonts))
    later = opinion_letter_pdf(make_doc(updated_at=updated_at + timedelta(minutes=1)), fonts)
    assert later != first
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info["/CreationDate"].startswith("D:20261127013000")  # 09:30 Shanghai in UTC
    assert guidance_document_pdf(make_doc(), fonts) == guidance_document_pdf(make_doc(), fonts)


_opened: list[str] | None = None


def _audit(event, args):
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _opened.append(str(args[0]))


def test_hostile_text_is_printed_not_obeyed(make_doc, fonts):
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
        pdfs = [guidance_document_pdf(doc, fonts), opinion_letter_pdf(doc, fonts)]
    finally:
        opened, _opened = _opened, None
    allowed = (str(pdf_render.STATIC_DIR), *(str(f) for f in fonts.folders), str(pdf_render.TEMPLATE_DIR),
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


def test_link_callback_refuses_everything_outside_static_and_fonts(fonts):
    callback = pdf_render.make_link_callback(fonts)
    for uri in ["file:///etc/passwd", "/etc/passwd", "http://example.com/a.png", "../../etc/passwd",
                "/static/../../../etc/passwd", "ftp://x/y"]:
        assert callback(uri) == "about:blank"
    assert callback(fonts.body.path) == fonts.body.path
    assert callback(fonts.heading.path) == fonts.heading.path


def test_draft_is_watermarked_and_unnumbered(make_doc, fonts):
    for render in (guidance_document_pdf, opinion_letter_pdf):
        for doc in (make_doc(status="draft", number=None), make_doc(status="pending_review", number=None)):
            text = flat(render(doc, fonts))
            assert "草稿" in text
            assert "指导书〔〕号" in text and "12号" not in text
    assert "草稿" not in flat(opinion_letter_pdf(make_doc(), fonts))


def test_voided_record_is_marked(make_doc, fonts):
    text = flat(guidance_document_pdf(make_doc(status="voided"), fonts))
    assert "已作废" in text and "指导书〔2026〕12号" in text


def test_missing_or_unusable_font_names_the_setting_and_role(tmp_path):
    with pytest.raises(FontError, match=r'PDF_FONTS\["body"\]'):
        find_font(str(tmp_path / "missing.ttf"))
    otf = tmp_path / "fangsong.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 100)
    with pytest.raises(FontError, match=r'PDF_FONTS\["title"\]'):
        find_fonts({"title": str(otf)})
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    with pytest.raises(FontError, match=r'一级标题.*PDF_FONTS\["heading"\]'):
        find_fonts({"heading": str(junk)})
    with pytest.raises(FontError, match="不认识：subtitle"):
        find_fonts({"subtitle": str(junk)})
    noto = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
    if noto.is_file():
        with pytest.raises(FontError, match="CFF"):
            find_font(str(noto))


def test_dates_are_not_zero_padded():
    assert cn_date("2026-01-05T09:00:00+08:00") == "2026年1月5日"
    assert cn_date("2026-11-19T20:00:00+00:00") == "2026年11月20日"  # Shanghai calendar day
    assert cn_date(None) == ""


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition("行政指导意见书-指导书〔2026〕12号.pdf", "opinion-2026-12.pdf")
    assert header.startswith('attachment; filename="opinion-2026-12.pdf"; ')
    assert "filename*=UTF-8''%E8%A1%8C" in header
    fallback = re.search(r'filename="([^"]*)"', content_disposition("行政指导意见书.pdf")).group(1)
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert "\n" not in content_disposition('a"\nb.pdf') and '"' not in content_disposition('a"b.pdf').split('"')[1]
    assert record_ascii_name("guidance", 2026, 3, 17) == "guidance-2026-3.pdf"
    assert record_ascii_name("opinion", None, None, 17) == "opinion-draft-17.pdf"


def test_app_refuses_to_start_without_its_fonts_or_with_the_old_setting(tmp_path):
    from webapp import StartupError, create_app

    base = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(StartupError, match=r'PDF_FONTS\["title"\]'):
        create_app({**base, "PDF_FONTS": {"title": str(tmp_path / "xiaobiaosong.ttf")}}, instance_path=str(tmp_path))
    with pytest.raises(StartupError, match="PDF_FONT_PATH 已由 PDF_FONTS 取代"):
        create_app({**base, "PDF_FONT_PATH": "/usr/share/fonts/truetype/arphic/uming.ttc"},
                   instance_path=str(tmp_path))
    app = create_app({**base, "PDF_FONTS": {"heading": "/usr/share/fonts/truetype/arphic/uming.ttc"}},
                     instance_path=str(tmp_path))
    assert app.config["PDF_FONTS"]["heading"].endswith("uming.ttc")
    assert app.config["PDF_FONTS"]["title"].endswith("uming.ttc")  # unset roles keep their default
    assert app.config["PDF_FONTS"]["body"] == DEFAULT_FONTS["body"]


def test_one_font_role_from_the_environment(tmp_path, monkeypatch):
    from webapp import create_app

    monkeypatch.setenv("FLASK_PDF_FONTS__title", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    monkeypatch.setenv("GUIDANCE_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["PDF_FONTS"] == {**DEFAULT_FONTS, "title": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"}
    monkeypatch.delenv("FLASK_PDF_FONTS__title")
    assert create_app().config["PDF_FONTS"] == DEFAULT_FONTS  # the first app changed nothing shared
