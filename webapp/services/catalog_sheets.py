"""The 目录清单 as a file: the xlsx sheet a 科室 fills in (one row per item, legal bases in one
cell, one line per law) and catalog.json's JSON. Reading returns rows to check, never raises
on a bad cell: every problem is reported with its row."""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from rules import vocabulary as vocab
from webapp.services.catalog_items import ARTICLE_EXAMPLE, FIELDS, L

MAX_ROWS = 2000  # a bureau's catalog has dozens of items; a longer sheet is the wrong file
SHEET_TITLE = "目录清单"
YES, NO = "是", "否"
_SPLIT = re.compile(r"[、，,；;\s]+")
_BASIS = re.compile(r"^《(?P<law>[^》]+)》(?P<articles>.*)$")
WIDTHS = {"code": 12, "name": 34, "field": 10, "responsible_unit": 22, "methods": 22, "stages": 14,
          "legal_basis": 60, "target_scope": 34, "published": 10, "active": 10, "notes": 30, "source": 30,
          "provenance": 12}


@dataclass
class SheetRow:
    row: int  # the sheet's row number (xlsx) or the item's position (JSON), for the report
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    bad_keys: set[str] = field(default_factory=set)  # cells already reported (formulas, bad bases)


@dataclass
class SheetRead:
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # the file's own (row 0: the whole file)


# --- writing -----------------------------------------------------------------------------------


def basis_cell(bases: Iterable[Mapping]) -> str:
    return "\n".join(f"《{b['law']}》{'、'.join(b.get('articles') or [])}" for b in bases)


def export_xlsx(items: Iterable[Mapping]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([L[key] for key in FIELDS])
    for item in items:
        sheet.append([_cell(item, key) for key in FIELDS])
    for index, key in enumerate(FIELDS, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = WIDTHS[key]
    yes_no = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    sheet.add_data_validation(yes_no)
    for key in ("published", "active"):
        letter = sheet.cell(1, FIELDS.index(key) + 1).column_letter
        yes_no.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.freeze_panes = "B2"
    _instructions(workbook.create_sheet("填写说明"))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(item: Mapping, key: str) -> Any:
    value = item.get(key)
    if key in ("methods", "stages"):
        return "、".join(value or [])
    if key == "legal_basis":
        return basis_cell(value or [])
    if key in ("published", "active"):
        return YES if value is not False else NO
    return value or ""


def _instructions(sheet) -> None:
    lines = [
        "每行一个事项；第一行为列名，请勿修改。不要使用公式。",
        f"{L['methods']}：可填 {'、'.join(vocab.METHOD.values())}，多项用顿号分隔。",
        f"{L['stages']}：可填 {'、'.join(vocab.STAGE.values())}，多项用顿号分隔。",
        f"{L['legal_basis']}：每部法律一行，写作《法律名称》条款，条款用顿号分隔，如《中华人民共和国土地管理法（2019年修正）》{ARTICLE_EXAMPLE}。",
        f"{L['published']}、{L['active']}：填“{YES}”或“{NO}”，不填视为“{YES}”。停用事项填“{NO}”，不要删除行。",
        "表中没有的原有事项导入后视为停用（事项从不删除）。",
    ]
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 120


def export_json(items: Iterable[Mapping]) -> bytes:
    return (json.dumps(list(items), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- reading -----------------------------------------------------------------------------------


def read_json(data: bytes) -> SheetRead:
    result = SheetRead()
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        result.problems.append((0, "文件不是有效的 JSON（UTF-8 编码）"))
        return result
    if not isinstance(items, list):
        result.problems.append((0, "JSON 应为事项的列表（[{…}, …]），与 catalog.json 相同"))
        return result
    if len(items) > MAX_ROWS:
        result.problems.append((0, f"事项超过 {MAX_ROWS} 项，请检查是否选错了文件"))
        return result
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict):
            result.rows.append(SheetRow(n, {k: item[k] for k in FIELDS if k in item}))
        else:
            result.rows.append(SheetRow(n, problems=["应为一个事项对象（{…}）"]))
    if not items:
        result.problems.append((0, "文件中没有任何事项"))
    return result


def read_xlsx(data: bytes) -> SheetRead:
    result = SheetRead()
    try:
        # read_only streams the sheet row by row; data_only=False keeps formulas visible as formulas
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        result.problems.append((0, "文件无法作为 xlsx 表格读取，请用 Excel 或 WPS 另存为 .xlsx 后重试"))
        return result
    try:
        sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.worksheets[0]
        _read_sheet(sheet, result)
    finally:
        workbook.close()
    return result


def _read_sheet(sheet, result: SheetRead) -> None:
    columns: dict[int, str] | None = None
    by_label = {label: key for key, label in L.items()} | {key: key for key in FIELDS}
    for cells in sheet.iter_rows(max_col=len(FIELDS) + 10):
        cells = [c for c in cells if getattr(c, "row", None) is not None]
        if not cells or all(c.value is None or str(c.value).strip() == "" for c in cells):
            continue
        number = cells[0].row
        if columns is None:
            columns = {c.column: by_label.get(str(c.value).strip()) for c in cells if c.value is not None}
            missing = [L[k] for k in ("code", "name", "legal_basis") if k not in columns.values()]
            if missing:
                result.problems.append((number, f"第一行应为列名，缺少：{'、'.join(missing)}（可先导出一份作为模板）"))
                return
            continue
        if len(result.rows) >= MAX_ROWS:
            result.problems.append((number, f"超过 {MAX_ROWS} 行，其余各行未读取，请检查是否选错了文件"))
            return
        result.rows.append(_row(number, cells, columns))
    if columns is None or not result.rows:
        result.problems.append((0, "工作表中没有任何事项"))


def _row(number: int, cells, columns: dict[int, str | None]) -> SheetRow:
    row = SheetRow(number)
    for cell in cells:
        key = columns.get(cell.column)
        if key is None or cell.value is None:
            continue
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            row.problems.append(f"“{L[key]}”是公式，请填写内容本身")
            row.bad_keys.add(key)
            continue
        row.values[key] = _value(key, value, row)
    return row


def _value(key: str, value: Any, row: SheetRow) -> Any:
    text = str(value).strip() if not isinstance(value, bool) else value
    if key in ("methods", "stages"):
        return [part for part in _SPLIT.split(text) if part]
    if key in ("published", "active"):
        if isinstance(text, bool) or text == "":
            return text if isinstance(text, bool) else None
        if text in (YES, NO):
            return text == YES
        return text  # check_item reports it
    if key == "legal_basis":
        return _bases(text, row)
    return text


def _bases(text: str, row: SheetRow) -> list[dict]:
    bases = []
    for n, line in enumerate((ln.strip() for ln in text.splitlines()), start=1):
        if not line:
            continue
        match = _BASIS.match(line)
        if match is None:
            row.problems.append(f"{L['legal_basis']}第{n}行应写作《法律名称》{ARTICLE_EXAMPLE}")
            row.bad_keys.add("legal_basis")
            continue
        articles = [a for a in _SPLIT.split(match["articles"]) if a]
        bases.append({"law": match["law"].strip(), "articles": articles})
    return bases
