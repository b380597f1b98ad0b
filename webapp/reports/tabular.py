"""Register exports: rows of plain data in, xlsx or CSV bytes out (streamed, memory-bounded).

XlsxWriter in constant_memory mode was measured against openpyxl write_only on 100,000 rows
(bench/export_bench.py): faster, less memory, and its explicit write_string never turns text
into a formula or a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from webapp.pdf.formatting import to_datetime

KINDS = ("text", "date", "datetime", "int")
# OWASP "CSV Injection": a cell starting with one of these may be read as a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header and title rows included
PROGRESS_EVERY = 1000
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CSV_BOM = "\ufeff".encode()
_CSV_CHUNK_CHARS = 64 * 1024
# XML 1.0 cannot hold these; Excel would show them as _x0001_ escapes.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    key: str            # key in the row mapping
    title: str          # Chinese header
    kind: str = "text"  # "text" | "date" | "datetime" | "int"
    width: float = 14   # Excel column width

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {KINDS}")


class TooManyRows(ValueError):
    """More rows than one Excel sheet holds: the caller should narrow the filter or use CSV."""


def neutralise(text: str) -> str:
    """Prefix formula-looking text with an apostrophe (OWASP), so spreadsheets show it as text."""
    if text and text.startswith(FORMULA_LEADS):
        return "'" + text
    return text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value if item is not None and item != "")
    return str(value)


def _cell_text(text: str) -> str:
    """Line breaks as Excel writes them (LF), and no characters XML cannot hold."""
    return _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _local_datetime(value: Any) -> datetime | None:
    """Shanghai wall-clock time without tzinfo: Excel has no time zones."""
    moment = to_datetime(value)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day)
    return moment.replace(tzinfo=None)


def _local_date(value: Any) -> date | None:
    moment = to_datetime(value)
    if moment is None:
        return None
    return moment.date() if isinstance(moment, datetime) else moment


def _int(value: Any) -> int | float | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return _text(value)


# --- xlsx -------------------------------------------------------------------------------------

def write_xlsx(out: BinaryIO, *, sheet: str, title_lines: Sequence[str], columns: Sequence[Column],
               rows: Iterable[Mapping[str, Any]],
               progress: Callable[[int], None] | None = None, created: datetime | None = None) -> int:
    """Write one sheet: title rows, a frozen and filterable header row, then `rows`.

    Memory stays flat however many rows come (rows go to a temporary file as they are written).
    Text is always stored as text; formula-looking text carries Excel's quote prefix (the
    stored form of a typed apostrophe), so the value is unchanged but never evaluated.
    Returns the number of data rows written; calls progress(n) after every 1,000 rows.
    `created` fixes the workbook's creation time (the same data then gives the same bytes).
    """
    import xlsxwriter

    if not columns:
        raise ValueError("an export needs at least one column")
    workbook = xlsxwriter.Workbook(out, {
        "constant_memory": True,
        # Typed writes only: never guess formulas, numbers or links from text.
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    if created is not None:
        workbook.set_properties({"created": created})
    try:
        return _write_sheet(workbook, sheet, title_lines, columns, rows, progress)
    finally:
        workbook.close()


def _write_sheet(workbook, sheet, title_lines, columns, rows, progress) -> int:
    worksheet = workbook.add_worksheet(_sheet_name(sheet))
    last_col = len(columns) - 1
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center",
                                      "valign": "vcenter"}),
        "subtitle": workbook.add_format({"align": "left", "valign": "vcenter"}),
        "header": workbook.add_format({"bold": True, "align": "center", "valign": "vcenter",
                                       "text_wrap": True, "border": 1, "bg_color": "#E8EEF5"}),
        "quoted": workbook.add_format({"quote_prefix": True}),
        "date": workbook.add_format({"num_format": DATE_FORMAT, "align": "left"}),
        "datetime": workbook.add_format({"num_format": DATETIME_FORMAT, "align": "left"}),
    }
    for col, column in enumerate(columns):
        # Width only: a column format would add a style to every cell and cost ~20% in time.
        worksheet.set_column(col, col, column.width)

    row_index = 0
    for line_no, line in enumerate(title_lines):
        style = formats["title"] if line_no == 0 else formats["subtitle"]
        if last_col:
            worksheet.merge_range(row_index, 0, row_index, last_col, line, style)
        else:
            worksheet.write_string(row_index, 0, line, style)
        row_index += 1
    header_row = row_index
    for col, column in enumerate(columns):
        worksheet.write_string(header_row, col, column.title, formats["header"])
    worksheet.freeze_panes(header_row + 1, 0)
    worksheet.repeat_rows(header_row)
    worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)

    write_string = worksheet.write_string
    write_datetime = worksheet.write_datetime
    write_number = worksheet.write_number
    quoted, date_fmt, datetime_fmt = formats["quoted"], formats["date"], formats["datetime"]
    plan = [(col, column.key, column.kind) for col, column in enumerate(columns)]
    room = XLSX_MAX_ROWS - header_row - 1
    written = 0
    for record in rows:
        if written == room:
            raise TooManyRows(f"一个 Excel 工作表最多容纳 {room} 行数据，请缩小筛选范围或导出 CSV")
        row_index += 1
        for col, key, kind in plan:
            value = record.get(key)
            if value is None:
                continue
            if kind == "text":
                if value.__class__ is not str:
                    value = _text(value)
                if not value:
                    continue
                if not value.isprintable():
                    value = _cell_text(value)
                if value.startswith(FORMULA_LEADS):
                    write_string(row_index, col, value, quoted)
                else:
                    write_string(row_index, col, value)
            elif kind == "datetime":
                moment = _local_datetime(value)
                if moment is not None:
                    write_datetime(row_index, col, moment, datetime_fmt)
            elif kind == "date":
                day = _local_date(value)
                if day is not None:
                    write_datetime(row_index, col, day, date_fmt)
            else:
                number = _int(value)
                if isinstance(number, str):
                    write_string(row_index, col, number, quoted if number.startswith(FORMULA_LEADS) else None)
                elif number is not None:
                    write_number(row_index, col, number)
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    worksheet.autofilter(header_row, 0, header_row + written, last_col)
    return written


def _sheet_name(name: str) -> str:
    """Excel refuses []:*?/\\ in sheet names and more than 31 characters."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet1"
    return cleaned[:31]


# --- CSV --------------------------------------------------------------------------------------

def _csv_cell(kind: str) -> Callable[[Any], str]:
    if kind == "datetime":
        def cell(value: Any) -> str:
            moment = _local_datetime(value)
            return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")
    elif kind == "date":
        def cell(value: Any) -> str:
            day = _local_date(value)
            return "" if day is None else day.isoformat()
    elif kind == "int":
        def cell(value: Any) -> str:
            number = _int(value)
            return "" if number is None else neutralise(str(number))
    else:
        def cell(value: Any) -> str:
            text = _text(value)
            return "" if text is None else neutralise(text)
    return cell


def iter_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *,
             title_lines: Sequence[str] = ()) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel on Windows then reads Chinese), RFC 4180 quoting, CRLF rows.

    A generator of ~64 KiB chunks, so a response can stream it; the first chunk (BOM, title
    lines, header) comes before any row is read. Dates are ISO (yyyy-mm-dd, datetimes
    "yyyy-mm-dd hh:mm" in Shanghai time); formula-looking cells get an apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in title_lines:
        writer.writerow([neutralise(line)])
    writer.writerow([neutralise(column.title) for column in columns])
    yield CSV_BOM + buffer.getvalue().encode("utf-8")

    plan = [(column.key, _csv_cell(column.kind)) for column in columns]
    buffer.seek(0)
    buffer.truncate()
    writerow = writer.writerow
    for record in rows:
        writerow([cell(record.get(key)) for key, cell in plan])
        if buffer.tell() >= _CSV_CHUNK_CHARS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
