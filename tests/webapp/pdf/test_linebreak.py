"""Chinese line breaking: the rules (linebreak.py) and every document printed with them."""
import copy
import io
import json
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, strategies as st

from tests.webapp.pdf.conftest import cell_lines, make_register_rows
from webapp.pdf import (
    catalog_html, catalog_pdf, guidance_document_html, guidance_document_pdf, keep_together,
    opinion_letter_html, opinion_letter_pdf, register_html, register_pdf,
)
from webapp.pdf.linebreak import CLOSING, JOINER, OPENING, PROTECTED, break_opportunities, line_spans

CLOSING_MARKS = "，。、；：？！）》」』】〕"
OPENING_MARKS = "（《「『【〔"
# Each closing mark two characters after the previous one: as the lead-in grows by one, every
# mark passes through every position of a line, the last one and the first one included.
CLOSING_RUN = "".join(f"甲{mark}" for mark in CLOSING_MARKS)
OPENING_RUN = "".join(f"{mark}乙" for mark in OPENING_MARKS)
PROTECTED_RUNS = ["1200平方米", "3.5公顷", "第三十条", "第六十二条", "0533-6180000", "〔2026〕12号",
                  "ZD-TD-03"]
PROTECTED_RUN = "已拆除违法建筑物1200平方米，复垦3.5公顷，依据《土地管理法》第三十条、第六十二条，" \
                "电话0533-6180000，文号〔2026〕12号，目录ZD-TD-03，2026年11月20日办结。"
LEAD_INS = range(0, 32)


def torture_paragraphs() -> list[str]:
    return [("测" * k) + run for k in LEAD_INS for run in (CLOSING_RUN, OPENING_RUN, PROTECTED_RUN)]


def assert_broken_well(pdf: bytes, expected_runs: dict[str, int]) -> list[str]:
    lines = cell_lines(pdf)
    starts = [line for line in lines if line[0] in CLOSING]
    ends = [line for line in lines if line[-1] in OPENING]
    assert not starts, f"lines start with a closing mark: {starts[:5]}"
    assert not ends, f"lines end with an opening mark: {ends[:5]}"
    for run, count in expected_runs.items():
        whole = sum(line.count(run) for line in lines)
        assert whole == count, f"{run!r} printed whole {whole} times of {count}"
    assert JOINER not in "".join(lines) and "\x00" not in "".join(lines)
    return lines


def runs_in(html: str, extra=()) -> dict[str, int]:
    """How often each protected run (and each of `extra`) is in the document's source."""
    source = html.replace(JOINER, "")
    return {run: source.count(run) for run in [*PROTECTED_RUNS, *extra]}


def assert_no_overhang(pdf: bytes) -> None:
    """No character crosses a table's vertical rule: text stays inside its cell."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            rules = [e for e in page.edges if e["orientation"] == "v"]
            for char in page.chars:
                for rule in rules:
                    if rule["top"] - 0.5 <= char["top"] and char["bottom"] <= rule["bottom"] + 0.5:
                        assert not (char["x0"] < rule["x0"] - 0.3 and char["x1"] > rule["x0"] + 0.3), \
                            (page.page_number, char["text"], char["x0"], char["x1"], rule["x0"])


def assert_pages_not_blank(pdf: bytes, tmp_path: Path, name: str) -> None:
    from PIL import Image

    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(source), str(tmp_path / name)], check=True)
    images = sorted(tmp_path.glob(f"{name}-*.png"))
    assert images
    for image_path in images:
        with Image.open(image_path) as image:
            dark = sum(n for value, n in enumerate(image.convert("L").histogram()) if value < 128)
        assert dark > 500, (image_path.name, dark)


# --- the rules on their own -------------------------------------------------------------

@pytest.mark.parametrize("text", ["》第十二条", "，", "。", "、", "：", "）", "」", "】", "〕"])
def test_no_break_before_a_closing_mark(text):
    assert not break_opportunities("文字" + text)[2]


@pytest.mark.parametrize("mark", OPENING_MARKS)
def test_no_break_after_an_opening_mark(mark):
    allowed = break_opportunities(f"文字{mark}书名")
    assert allowed[2] and not allowed[3]


@pytest.mark.parametrize("run", PROTECTED_RUNS)
def test_protected_runs_have_no_break_inside(run):
    allowed = break_opportunities(f"前面{run}后面")
    assert not any(allowed[3:2 + len(run)]), run
    assert allowed[2] or run[0] in OPENING


def test_a_term_kept_together_breaks_only_at_its_punctuation():
    text = keep_together("待反馈（已作废）")
    assert text.replace(JOINER, "") == "待反馈（已作废）"
    assert text.split(JOINER)[2] == "馈（"  # may move to the next line at "（", nowhere else
    assert keep_together("事前、事中").replace(JOINER, "|") == "事|前、事|中"


# Marks come with a character beside them, as in real text; runs of digits may outgrow a line.
_pieces = st.lists(st.sampled_from(
    ["测", "试", "验", "文", "字", " ", "　", "——", "……", "1200平方米", "3.5公顷", "第六十二条",
     "0533-6180000", "ABC", "7", "x", *(f"字{m}" for m in CLOSING_MARKS), *(f"{m}字" for m in OPENING_MARKS)]),
    max_size=60)


@given(pieces=_pieces, line=st.integers(min_value=8, max_value=30))
def test_lines_obey_the_rules_whatever_the_text(pieces, line):
    text = "".join(pieces)
    widths = [0.5 if ch.isascii() else 1.0 for ch in text]
    spans = line_spans(text, widths, [line])
    # Nothing but spaces at the ends of lines is lost, and the order is kept.
    kept = "".join(text[s:e] for s, e in spans)
    assert kept.replace(" ", "").replace("　", "") == text.replace(" ", "").replace("　", "")
    runs = [m.span() for m in PROTECTED.finditer(text)]
    for number, (start, end) in enumerate(spans):
        piece = text[start:end]
        assert sum(widths[start:end]) <= line + 1e-6, piece
        if piece and number > 0:
            assert piece[0] not in CLOSING, (text, piece)
        if piece and number < len(spans) - 1:
            assert piece[-1] not in OPENING, (text, piece)
        for run_start, run_end in runs:
            if run_start < start < run_end:  # a run is cut only when it alone outgrows the line
                assert sum(widths[run_start:run_end]) > line, (text[run_start:run_end], piece)


# --- every document, printed ------------------------------------------------------------

def test_guidance_document_breaks_well(make_doc, fonts, tmp_path):
    paragraphs = torture_paragraphs()
    doc = make_doc(content="\n".join(paragraphs), subject="测" * 20 + CLOSING_RUN,
                   target={"name": "淄博市周村区王村镇某某村股份经济合作社（第二村民小组）", "kind": "organization"},
                   place="周村区王村镇某村临时用地现场（东至道路，西至沟渠）")
    pdf = guidance_document_pdf(doc, fonts)
    assert guidance_document_pdf(doc, fonts) == pdf
    expected = runs_in(guidance_document_html(doc, fonts), ["张明", "2026年11月20日"])
    assert expected["1200平方米"] == len(LEAD_INS)
    assert_broken_well(pdf, expected)
    assert_no_overhang(pdf)
    assert_pages_not_blank(pdf, tmp_path, "document")


def test_opinion_letter_breaks_well(make_doc, fonts, tmp_path):
    paragraphs = torture_paragraphs()
    doc = make_doc(problem="\n".join(paragraphs[: len(paragraphs) // 2]),
                   opinion="\n".join(paragraphs[len(paragraphs) // 2:]))
    pdf = opinion_letter_pdf(doc, fonts)
    assert opinion_letter_pdf(doc, fonts) == pdf
    lines = assert_broken_well(pdf, runs_in(opinion_letter_html(doc, fonts), ["周村区自然资源局"]))
    with pdfplumber.open(io.BytesIO(pdf)) as pages:  # nothing past the text block's right edge
        assert max(c["x1"] for p in pages.pages for c in p.chars if c["size"] < 20) <= 521.6 + 0.5
    assert len(lines) > 100
    assert_pages_not_blank(pdf, tmp_path, "letter")


def test_register_breaks_well(fonts, updated_at, tmp_path):
    rows = make_register_rows(len(LEAD_INS) * 3)
    subjects = torture_paragraphs()
    for row, subject in zip(rows, subjects):
        row.subject = subject
        row.target = "淄博市周村区某某建材有限责任公司（分公司）"
        row.result = "待反馈（已作废）"
    common = dict(title="行政指导事项登记簿", subtitle="2026年度", generated_at=updated_at, font=fonts)
    pdf = register_pdf(rows, **common)
    expected = runs_in(register_html(rows, **common), ["待反馈", "（已作废）", "张明、", "李华"])
    assert expected["待反馈"] == len(rows)
    lines = assert_broken_well(pdf, expected)
    assert not [line for line in lines if line.endswith(("（已", "待反", "作废"))]
    assert_no_overhang(pdf)
    assert_pages_not_blank(pdf, tmp_path, "register")


def test_catalog_breaks_well(fonts, updated_at, tmp_path):
    catalog = Path(__file__).resolve().parents[3] / "rules" / "data" / "catalog.json"
    items = json.loads(catalog.read_text())
    for i, item in enumerate(items):
        item = items[i] = copy.deepcopy(item)
        item["name"] = ("测" * (i % 12)) + "第六十二条1200平方米》第十二条"
        item["legal_basis"] = [{"law": "中华人民共和国土地管理法（2019年修正）",
                                "articles": ["第三十条", "第六十二条", "第十二条"]}]
    common = dict(bureau="周村区自然资源局", published_on=updated_at, font=fonts)
    pdf = catalog_pdf(items, **common)
    expected = runs_in(catalog_html(items, **common), ["事前", "事中", "事后", "地质灾害（", "提示提醒"])
    assert expected["第六十二条"] == 2 * len(items)
    lines = assert_broken_well(pdf, expected)
    assert not [line for line in lines if line.startswith("》")]
    assert_no_overhang(pdf)
    assert_pages_not_blank(pdf, tmp_path, "catalog")
    assert catalog_pdf(items, **common) == pdf


def test_page_images_are_deterministic(make_doc, fonts, tmp_path):
    pdf = opinion_letter_pdf(make_doc(), fonts)
    images = []
    for attempt in range(2):
        source = tmp_path / f"letter{attempt}.pdf"
        source.write_bytes(opinion_letter_pdf(make_doc(), fonts))
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(source),
                        str(tmp_path / f"page{attempt}")], check=True)
        images.append((tmp_path / f"page{attempt}.png").read_bytes())
    assert images[0] == images[1] and source.read_bytes() == pdf
