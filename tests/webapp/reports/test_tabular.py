import codecs
import csv
import io
import zipfile
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from webapp.reports import Column, TooManyRows, iter_csv, neutralise, write_xlsx
from webapp.reports import tabular

INJECTION = "=cmd|' /C calc'!A0"
COLUMNS = [
    Column("number", "文号", width=20),
    Column("guided_at", "指导时间", "datetime", 17),
    Column("filed_on", "备案日期", "date", 12),
    Column("target", "指导对象", width=28),
    Column("code", "统一社会信用代码/身份证号", width=22),
    Column("phone", "联系电话"),
    Column("officers", "指导人员"),
    Column("attachments", "附件数", "int", 8),
]
TITLE = ["周村区自然资源局 行政指导台账", "筛选条件：2026年，自然资源开发利用科", "制表日期：2026年11月27日"]


def row(**changes):
    values = {
        "number": "指导书〔2026〕12号",
        "guided_at": datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc),  # 10:00 in Shanghai
        "filed_on": date(2026, 11, 21),
        "target": "淄博某建材有限公司",
        "code": "913703066613311111",  # an all-digit credit code: must not become 9.137e17
        "phone": "05336180000",
        "officers": ["张明", "李华"],
        "attachments": 2,
    }
    values.update(changes)
    return values


def xlsx(rows, columns=COLUMNS, title=TITLE, **kwargs):
    out = io.BytesIO()
    written = write_xlsx(out, sheet="台账", title_lines=title, columns=columns, rows=rows, **kwargs)
    return written, out.getvalue()


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def data_row(sheet, index=0):
    """Cells of the index-th data row (after the title rows and the header)."""
    return {column.key: sheet.cell(row=len(TITLE) + 2 + index, column=col)
            for col, column in enumerate(COLUMNS, start=1)}


def csv_rows(chunks) -> list[list[str]]:
    text = b"".join(chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_xlsx_has_title_rows_then_a_frozen_filterable_header():
    written, data = xlsx([row(), row()])
    sheet = sheet_of(data)
    assert written == 2
    assert [sheet.cell(row=i + 1, column=1).value for i in range(3)] == TITLE
    header_row = len(TITLE) + 1
    assert [cell.value for cell in sheet[header_row]] == [column.title for column in COLUMNS]
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.auto_filter.ref == f"A{header_row}:H{header_row + 2}"
    assert sheet.column_dimensions["A"].width == pytest.approx(20, abs=1)
    assert sheet.title == "台账"


def test_xlsx_keeps_codes_ids_and_phones_as_text():
    _, data = xlsx([row(), row(code="370303199001011234", phone=5336180000, target=12345)])
    sheet = sheet_of(data)
    first, second = data_row(sheet, 0), data_row(sheet, 1)
    assert (first["code"].value, first["code"].data_type) == ("913703066613311111", "s")
    assert (first["phone"].value, first["phone"].data_type) == ("05336180000", "s")
    assert (second["code"].value, second["code"].data_type) == ("370303199001011234", "s")
    # A number handed to a text column is still stored as text.
    assert (second["phone"].value, second["phone"].data_type) == ("5336180000", "s")
    assert (second["target"].value, second["target"].data_type) == ("12345", "s")


def test_xlsx_dates_are_excel_dates_in_shanghai_time():
    rows = [row(), row(guided_at="2026-11-20T10:00:00+08:00", filed_on="2026-11-21"),
            row(guided_at=datetime(2026, 11, 20, 10, 0), filed_on=datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc))]
    _, data = xlsx(rows)
    sheet = sheet_of(data)
    for index in range(3):
        cells = data_row(sheet, index)
        assert cells["guided_at"].is_date and cells["guided_at"].value == datetime(2026, 11, 20, 10, 0)
        assert cells["guided_at"].number_format == "yyyy-mm-dd hh:mm"
        assert cells["filed_on"].is_date and cells["filed_on"].value == datetime(2026, 11, 21)
        assert cells["filed_on"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("payload", [INJECTION, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
                                     "\t=1+1"])
def test_xlsx_formula_text_survives_as_text(payload):
    _, data = xlsx([row(target=payload)])
    cell = data_row(sheet_of(data))["target"]
    assert cell.value == payload
    assert cell.data_type == "s"
    assert cell.quotePrefix  # Excel's own "typed with an apostrophe": never evaluated, even on edit
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_plain_text_carries_no_quote_prefix():
    cell = data_row(sheet_of(xlsx([row()])[1]))["target"]
    assert cell.value == "淄博某建材有限公司" and not cell.quotePrefix


def test_xlsx_with_no_rows_is_a_valid_file_with_the_header():
    written, data = xlsx(iter(()))
    sheet = sheet_of(data)
    assert written == 0
    assert [cell.value for cell in sheet[len(TITLE) + 1]] == [column.title for column in COLUMNS]
    assert sheet.max_row == len(TITLE) + 1


def test_xlsx_reports_progress_every_thousand_rows():
    seen = []
    written, _ = xlsx((row() for _ in range(2500)), progress=seen.append)
    assert written == 2500
    assert seen == [1000, 2000]


def test_xlsx_refuses_more_rows_than_a_sheet_holds(monkeypatch):
    monkeypatch.setattr(tabular, "XLSX_MAX_ROWS", len(TITLE) + 1 + 5)
    assert xlsx([row()] * 5)[0] == 5
    with pytest.raises(TooManyRows, match="最多容纳 5 行"):
        xlsx([row()] * 6)


def test_xlsx_joins_lists_skips_missing_values_and_drops_xml_control_characters():
    _, data = xlsx([row(target="淄博\x01某\x1f公司", number="第一行\r\n第二行\r第三行", phone=None,
                        attachments="3")])
    cells = data_row(sheet_of(data))
    assert cells["officers"].value == "张明、李华"
    assert cells["target"].value == "淄博某公司"
    assert cells["number"].value == "第一行\n第二行\n第三行"  # Excel's own line break
    assert cells["phone"].value is None
    assert (cells["attachments"].value, cells["attachments"].data_type) == (3, "n")


def test_xlsx_sheet_name_is_made_acceptable_to_excel():
    out = io.BytesIO()
    write_xlsx(out, sheet="台账[2026]/全部单位:行政指导基础台账汇总表（含已作废）", title_lines=[],
               columns=COLUMNS[:1], rows=[])
    title = load_workbook(io.BytesIO(out.getvalue())).active.title
    assert len(title) <= 31 and not set(title) & set("[]:*?/\\")


def test_column_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        Column("x", "某列", "money")


@pytest.mark.parametrize("text, expected", [
    (INJECTION, "'" + INJECTION), ("+86 533", "'+86 533"), ("-1", "'-1"), ("@x", "'@x"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("张明", "张明"), ("0533-6180000", "0533-6180000"), ("", ""),
])
def test_neutralise_prefixes_only_formula_leads(text, expected):
    assert neutralise(text) == expected


def test_csv_starts_with_the_bom_and_ends_rows_with_crlf():
    data = b"".join(iter_csv(COLUMNS, [row()]))
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(b"\r\n") == 2 and b"\n" not in data.replace(b"\r\n", b"")


def test_csv_round_trips_quotes_newlines_and_commas():
    tricky = '淄博"某"建材,有限公司\n第二行\r\n第三行'
    rows = csv_rows(iter_csv(COLUMNS, [row(target=tricky)], title_lines=TITLE))
    assert rows[: len(TITLE)] == [[line] for line in TITLE]
    assert rows[len(TITLE)] == [column.title for column in COLUMNS]
    record = dict(zip([c.key for c in COLUMNS], rows[len(TITLE) + 1]))
    assert record == {
        "number": "指导书〔2026〕12号", "guided_at": "2026-11-20 10:00", "filed_on": "2026-11-21",
        "target": tricky, "code": "913703066613311111", "phone": "05336180000",
        "officers": "张明、李华", "attachments": "2",
    }


def test_csv_neutralises_formula_cells():
    rows = csv_rows(iter_csv(COLUMNS, [row(target=INJECTION, officers=["=1+1"], phone="@x")]))
    record = dict(zip([c.key for c in COLUMNS], rows[1]))
    assert record["target"] == "'" + INJECTION
    assert record["officers"] == "'=1+1"
    assert record["phone"] == "'@x"


def test_csv_with_no_rows_has_the_header():
    assert csv_rows(iter_csv(COLUMNS, [])) == [[column.title for column in COLUMNS]]


def test_csv_sends_the_header_before_reading_any_row():
    def rows():
        raise AssertionError("rows were read before the header went out")
        yield  # pragma: no cover

    first = next(iter_csv(COLUMNS, rows()))
    assert first.startswith(codecs.BOM_UTF8) and "文号".encode() in first


def test_csv_streams_large_exports_in_chunks():
    chunks = list(iter_csv(COLUMNS, (row() for _ in range(3000))))
    assert len(chunks) > 2
    assert len(csv_rows(chunks)) == 3001


# Text a user can type: no control characters (XML cannot carry them), no lone surrogates.
typed_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


@settings(max_examples=60)
@given(st.lists(typed_text, min_size=1, max_size=5))
def test_any_typed_text_round_trips_through_csv(texts):
    columns = [Column(f"c{i}", f"列{i}") for i in range(len(texts))]
    rows = csv_rows(iter_csv(columns, [{f"c{i}": text for i, text in enumerate(texts)}]))
    assert rows[1] == [neutralise(text) for text in texts]


@settings(max_examples=25)
@given(st.lists(typed_text, min_size=1, max_size=5))
def test_any_typed_text_round_trips_through_xlsx(texts):
    columns = [Column(f"c{i}", f"列{i}") for i in range(len(texts))]
    out = io.BytesIO()
    write_xlsx(out, sheet="t", title_lines=[], columns=columns,
               rows=[{f"c{i}": text for i, text in enumerate(texts)}])
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    stored = [sheet.cell(row=2, column=i + 1).value for i in range(len(texts))]
    assert stored == [text or None for text in texts]
