"""The statistics as charts with tables, as the year's PDF (行政指导工作统计) and as an xlsx."""

from __future__ import annotations

import base64
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import BinaryIO

from markupsafe import Markup
from rules import vocabulary as vocab

from webapp.pdf.fonts import FontConfig
from webapp.pdf.formatting import cn_date, cn_datetime
from webapp.pdf.render import html_to_pdf, render_html

from .charts import bar_chart_svg, hbar_chart_svg, line_chart_svg
from .stats import BREAKDOWN_TITLES, Stats, breakdown_rows, figures, spot_check_rows, top_rows

CHART_LIMIT = 12  # bars in a unit or 领域 chart; the table beside it lists every entry
STATS_TITLE = "行政指导工作统计"
PDF_CHART_WIDTH_MM = 105    # beside its table; a long table goes below a wider chart
PDF_WIDE_CHART_WIDTH_MM = 150
PDF_BESIDE_LIMIT = 12       # rows of a table that still fit beside its chart
_CHART_KIND = {"by_method": bar_chart_svg, "by_stage": bar_chart_svg, "by_month": line_chart_svg,
               "by_unit": hbar_chart_svg, "by_field": hbar_chart_svg}
_svglib_lock = threading.Lock()
_svglib_fonts: set[str] = set()


@dataclass(frozen=True)
class ChartBlock:
    key: str                      # "by_method", "by_stage", "by_month", "by_unit", "by_field"
    title: str                    # "按指导方式"
    label_heading: str            # the data table's first column heading
    svg: Markup | None            # None when there is nothing to draw
    rows: list[tuple[str, int]]   # every entry, for the data table


def stats_title(stats: Stats) -> str:
    return f"{stats.year}年度{STATS_TITLE}"


def scope_text(stats: Stats) -> str:
    return stats.unit or "全局各单位"


def stats_charts(stats: Stats, *, font: FontConfig) -> list[ChartBlock]:
    """The five breakdowns, each as an SVG chart and the rows of its data table."""
    blocks = []
    for key, (title, heading) in BREAKDOWN_TITLES.items():
        rows = breakdown_rows(stats, key)
        drawn = top_rows(rows, CHART_LIMIT) if _CHART_KIND[key] is hbar_chart_svg else rows
        svg = None
        if drawn:
            svg = _CHART_KIND[key](f"{title}统计（件）", [label for label, _ in drawn],
                                   [count for _, count in drawn], font=font)
        blocks.append(ChartBlock(key, title, heading, svg, rows))
    return blocks


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _teach_svglib(font: FontConfig) -> None:
    """Map our face name to itself in svglib's font map: svglib does not see fonts registered
    straight with reportlab, and would draw the chart labels in Helvetica (Chinese as boxes)."""
    if font.face_name in _svglib_fonts:
        return
    from svglib.fonts import get_global_font_map

    with _svglib_lock:
        font_map = get_global_font_map()
        font_map._map[font.face_name] = {  # svglib has no public call for an already registered TTF
            "svg_family": font.face_name, "svg_weight": "normal", "svg_style": "normal",
            "rlgFont": font.face_name, "exact": True,
        }
        font_map._family_index.setdefault(font.face_name.lower(), font.face_name)
        _svglib_fonts.add(font.face_name)


def _pdf_image(block: ChartBlock) -> dict[str, str] | None:
    """The chart as an <img> source and size (mm), its aspect kept."""
    if block.svg is None:
        return None
    root = ET.fromstring(str(block.svg))
    ratio = float(root.get("height")) / float(root.get("width"))
    width = PDF_CHART_WIDTH_MM if len(block.rows) <= PDF_BESIDE_LIMIT else PDF_WIDE_CHART_WIDTH_MM
    return {"src": _svg_data_uri(block.svg), "width": f"{width}mm", "height": f"{width * ratio:.1f}mm"}


def stats_html(stats: Stats, *, bureau: str, font: FontConfig) -> str:
    charts = [(block, _pdf_image(block)) for block in stats_charts(stats, font=font)]
    return render_html(
        "stats.html", font=font, title=stats_title(stats), bureau=bureau, scope=scope_text(stats),
        generated=cn_datetime(stats.generated_at), figures=figures(stats), charts=charts,
        beside_limit=PDF_BESIDE_LIMIT,
        good_practice=[
            {"number": item.number or "", "subject": item.subject, "unit": item.unit,
             "reason": item.reason, "marked": cn_date(item.marked_at)}
            for item in stats.good_practice
        ],
        spot_checks=dict(spot_check_rows(stats)) if stats.spot_checks is not None else None,
    )


def stats_pdf(stats: Stats, *, bureau: str, font: FontConfig) -> bytes:
    """行政指导工作统计: A4, the figures, each breakdown as a chart with its table, good practice."""
    _teach_svglib(font)
    html = stats_html(stats, bureau=bureau, font=font)
    return html_to_pdf(html, font=font, timestamp=stats.generated_at)


def stats_xlsx(stats: Stats, out: BinaryIO, *, bureau: str = "") -> None:
    """The same figures on one sheet, in sections: figures, each breakdown, good practice."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(out, {
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    try:
        _write_stats_sheet(workbook, stats, bureau)
    finally:
        workbook.close()


def _write_stats_sheet(workbook, stats: Stats, bureau: str) -> None:
    sheet = workbook.add_worksheet(f"{stats.year}年统计")
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF5"})
    cell = workbook.add_format({"border": 1})
    quoted = workbook.add_format({"border": 1, "quote_prefix": True})
    number_formats = {
        "count": workbook.add_format({"border": 1, "num_format": "0"}),
        "rate": workbook.add_format({"border": 1, "num_format": "0.0%"}),
        "days": workbook.add_format({"border": 1, "num_format": "0.0"}),
    }
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 5, 30)

    def text(row: int, col: int, value: str, fmt=cell) -> None:
        # Unit names and reasons are user data: never let one read as a formula.
        sheet.write_string(row, col, value, quoted if value.startswith(("=", "+", "-", "@")) else fmt)

    sheet.write_string(0, 0, f"{bureau}{stats_title(stats)}", title)
    sheet.write_string(1, 0, f"范围：{scope_text(stats)}　制表时间：{cn_datetime(stats.generated_at)}")
    row = 3
    sheet.write_string(row, 0, "主要指标", bold)
    row += 1
    for col, heading in enumerate(("指标", "数值", "单位", "口径")):
        sheet.write_string(row, col, heading, header)
    for figure in figures(stats):
        row += 1
        sheet.write_string(row, 0, figure.label, cell)
        if figure.value is None:
            sheet.write_string(row, 1, "—", cell)
        else:
            sheet.write_number(row, 1, figure.value, number_formats[figure.kind])
        sheet.write_string(row, 2, {"count": "件", "rate": "", "days": "工作日"}[figure.kind], cell)
        sheet.write_string(row, 3, figure.note, cell)

    for key, (section, heading) in BREAKDOWN_TITLES.items():
        row += 2
        sheet.write_string(row, 0, f"{section}统计", bold)
        row += 1
        sheet.write_string(row, 0, heading, header)
        sheet.write_string(row, 1, "件数", header)
        for label, count in breakdown_rows(stats, key):
            row += 1
            text(row, 0, label)
            sheet.write_number(row, 1, count, number_formats["count"])

    row += 2
    sheet.write_string(row, 0, f"典型经验（{len(stats.good_practice)}件）", bold)
    row += 1
    headings = (vocab.RECORD_LABELS["number"], vocab.FIELD_LABELS["subject"], vocab.FIELD_LABELS["unit"],
                "推荐理由", "标记日期")
    for col, heading in enumerate(headings):
        sheet.write_string(row, col, heading, header)
    for item in stats.good_practice:
        row += 1
        for col, value in enumerate((item.number or "", item.subject, item.unit, item.reason,
                                     cn_date(item.marked_at))):
            text(row, col, value)

    if stats.spot_checks is not None:
        row += 2
        sheet.write_string(row, 0, "抽查", bold)
        for label, count in spot_check_rows(stats):
            row += 1
            text(row, 0, label)
            sheet.write_number(row, 1, count, number_formats["count"])
