import io
import re
import shutil
import subprocess

import pdfplumber
import pytest
from openpyxl import load_workbook

from webapp.reports import stats_pdf, stats_xlsx

from .conftest import make_stats

BUREAU = "周村区自然资源局"
CHART_FILL = (0.18, 0.36, 0.54)


@pytest.fixture(scope="module")
def pdf(font):
    return stats_pdf(make_stats(), bureau=BUREAU, font=font)


def flat_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as doc:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in doc.pages))


def table_rows(data: bytes) -> list[list[str]]:
    with pdfplumber.open(io.BytesIO(data)) as doc:
        return [[re.sub(r"\s+", "", cell or "") for cell in row]
                for page in doc.pages for table in page.extract_tables() for row in table]


def test_stats_pdf_shows_the_figures_table(pdf):
    text = flat_text(pdf)
    for expected in ["2026年度行政指导工作统计", BUREAU, "范围：全局各单位", "制表时间：2026年12月31日17时00分",
                     "一、主要指标", "行政指导总数128", "已提交数120", "送法制审查数30", "送审比例25.0%",
                     "审查退回数4", "退回率14.3%", "审查用时中位数1.5个工作日", "已采纳60", "部分采纳10",
                     "采纳率87.5%（已采纳＋部分采纳）÷办结且有反馈结果数", "典型经验数1"]:
        assert expected in text, expected


def test_stats_pdf_has_every_breakdown_with_its_table_and_the_good_practice_list(pdf):
    text = flat_text(pdf)
    for expected in ["（一）按指导方式", "政策指引30", "案件回访10", "（二）按实施环节", "事中60",
                     "（三）按月份", "12月11", "（四）按实施单位", "王村自然资源所8", "（五）按领域", "测绘8",
                     "三、典型经验（1件）"]:
        assert expected in text, expected
    assert "抽查" not in text
    assert ["1", "指导书〔2026〕12号2026年6月1日", "临时用地期满未复垦归还", "自然资源开发利用科",
            "企业主动整改，效果显著，可在全区推广"] in table_rows(pdf)


def test_stats_pdf_draws_the_charts_as_vectors(pdf):
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        bars = [rect for page in doc.pages for rect in page.rects
                if tuple(round(c, 2) for c in rect.get("non_stroking_color") or ()) == CHART_FILL]
        chart_labels = [word["text"] for page in doc.pages for word in page.extract_words()]
    # 6 method bars + 3 stage bars + 6 unit bars + 5 field bars, none of them zero.
    assert len(bars) == 20
    assert chart_labels.count("案件回访") == 2  # under its bar and in the table


def test_stats_pdf_draws_every_character_in_the_embedded_font(pdf):
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        fonts = {char["fontname"] for page in doc.pages for char in page.chars}
    assert fonts and all(name.endswith("UMingCN-0") for name in fonts), fonts
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        uming = [line for line in listing.splitlines() if "UMingCN" in line]
        assert uming and all(line.split()[-5] == "yes" for line in uming)  # the emb column


def test_stats_pdf_is_deterministic(pdf, font):
    assert stats_pdf(make_stats(), bureau=BUREAU, font=font) == pdf


def test_stats_pdf_of_an_empty_year_still_reads_well(font):
    empty = make_stats(total=0, by_method={}, by_stage={}, by_unit={}, by_month={}, by_field={},
                       closed_with_result=0, adopted=0, partially_adopted=0, submitted=0,
                       sent_to_review=0, reviewed=0, returned=0, turnaround_median=None,
                       turnaround_p90=None, good_practice=[], unit="执法监察大队")
    text = flat_text(stats_pdf(empty, bureau=BUREAU, font=font))
    for expected in ["范围：执法监察大队", "行政指导总数0", "采纳率—", "审查用时中位数—", "（无记录）",
                     "三、典型经验（0件）", "本年度未标记典型经验"]:
        assert expected in text, expected


def test_stats_pdf_shows_spot_checks_once_they_exist(font):
    text = flat_text(stats_pdf(make_stats(spot_checks={"抽取": 12, "已抽查": 9}), bureau=BUREAU, font=font))
    assert "四、抽查" in text and "抽取12" in text and "已抽查9" in text


def xlsx_rows(stats) -> list[tuple]:
    out = io.BytesIO()
    stats_xlsx(stats, out, bureau=BUREAU)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    return [tuple(cell for cell in row) for row in sheet.iter_rows()]


def test_stats_xlsx_contains_the_numbers(stats):
    rows = xlsx_rows(stats)
    values = {row[0].value: row[1] for row in rows if row[0].value is not None and len(row) > 1}
    assert rows[0][0].value == f"{BUREAU}2026年度行政指导工作统计"
    assert values["行政指导总数"].value == 128
    assert values["采纳率"].value == pytest.approx(0.875) and values["采纳率"].number_format == "0.0%"
    assert values["审查用时第90百分位"].value == pytest.approx(4.25)
    assert values["政策指引"].value == 30 and values["事后"].value == 18
    assert values["12月"].value == 11 and values["王村自然资源所"].value == 8 and values["测绘"].value == 8
    assert values["指导书〔2026〕12号"].value == "临时用地期满未复垦归还"


def test_stats_xlsx_keeps_a_missing_rate_visible_and_user_text_inert():
    rows = xlsx_rows(make_stats(closed_with_result=0, adopted=0, partially_adopted=0,
                                by_unit={"=HYPERLINK(\"http://x\")": 3}))
    values = {row[0].value: row[1] for row in rows if row[0].value is not None and len(row) > 1}
    assert values["采纳率"].value == "—"
    unit = next(row[0] for row in rows if row[0].value == '=HYPERLINK("http://x")')
    assert unit.data_type == "s" and unit.quotePrefix
