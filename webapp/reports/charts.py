"""Server-rendered SVG charts (reportlab.graphics): no JavaScript, printable, PDF-embeddable.

Each function returns one `<svg>` element as Markup: labels escaped, ids unique per chart,
`role="img"` with the title as its accessible name. Pair every chart with a data table
(templates/reports/_chart.html) — the table, not the picture, is the accessible record.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from markupsafe import Markup

from webapp.pdf.fonts import FontConfig

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
BAR_COLOUR = "#2f5d8c"
GRID_COLOUR = "#d0d7e1"
LABEL_SIZE = 9
# Browsers do not know the reportlab face name; svglib does (it comes first and is registered).
BROWSER_FONTS = "'AR PL UMing CN', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def nice_scale(largest: float) -> tuple[int, int]:
    """(top, step) for a count axis from 0: integer steps of 1, 2 or 5 × 10ⁿ, at most 6 ticks."""
    if largest <= 0:
        return 1, 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * 5 >= largest:
                return step * math.ceil(largest / step), step
        magnitude *= 10


def _check(labels: Sequence[str], values: Sequence[float]) -> tuple[list[str], list[float]]:
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    if any(value < 0 for value in values):
        raise ValueError("chart values are counts and cannot be negative")
    return [str(label) for label in labels], [value for value in values]


def _value_axis(axis, values: Sequence[float], font: FontConfig) -> None:
    top, step = nice_scale(max(values, default=0))
    axis.valueMin = 0
    axis.valueMax = top
    axis.valueStep = step
    axis.labelTextFormat = "%d"
    axis.labels.fontName = font.face_name
    axis.labels.fontSize = LABEL_SIZE
    axis.visibleGrid = True
    axis.gridStrokeColor = _colour(GRID_COLOUR)
    axis.gridStrokeWidth = 0.5
    axis.strokeWidth = 0.5


def _colour(hex_code: str):
    from reportlab.lib import colors

    return colors.HexColor(hex_code)


def _finish(drawing, title: str, kind: str, labels: Sequence[str], values: Sequence[float],
            font: FontConfig) -> Markup:
    """reportlab's SVG, made safe and accessible to inline: one <title>, unique ids, no DOCTYPE."""
    from reportlab.graphics import renderSVG

    raw = renderSVG.drawToString(drawing)
    root = ET.fromstring(raw)
    digest = hashlib.sha256(repr((kind, title, list(labels), list(values))).encode()).hexdigest()[:10]
    prefix = f"chart-{digest}"
    for old in root.findall(f"{{{SVG_NS}}}title") + root.findall(f"{{{SVG_NS}}}desc"):
        root.remove(old)
    title_element = ET.Element(f"{{{SVG_NS}}}title")
    title_element.text = title
    root.insert(0, title_element)
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("class", f"chart chart-{kind}")  # page CSS: svg.chart { max-width: 100%; height: auto }
    font_family = f"font-family: {font.face_name}, {BROWSER_FONTS}"
    renamed: dict[str, str] = {}
    for element in root.iter():
        if element.get("transform") == "":
            del element.attrib["transform"]
        element_id = element.get("id")
        if element_id:
            renamed[element_id] = f"{prefix}-{element_id}"
            element.set("id", renamed[element_id])
        style = element.get("style")
        if style:
            style = style.replace(f"font-family: {font.face_name}", font_family)
            style = style.replace(": None", ": none")  # renderSVG writes Python's None for no fill
            style = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{renamed.get(m.group(1), m.group(1))})",
                           style)
            # Presentation attributes, not a style attribute: the pages' CSP blocks inline styles.
            del element.attrib["style"]
            for declaration in style.split(";"):
                name, _, value = declaration.partition(":")
                if name.strip() and value.strip():
                    element.set(name.strip(), value.strip())
    return Markup(ET.tostring(root, encoding="unicode"))


def bar_chart_svg(title: str, labels: Sequence[str], values: Sequence[float], *,
                  font: FontConfig, width: int = 480, height: int = 240) -> Markup:
    """Vertical bars, one per label, each with its value printed above it; value axis from 0."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfbase.pdfmetrics import stringWidth

    labels, values = _check(labels, values)
    widest = max((stringWidth(label, font.face_name, LABEL_SIZE) for label in labels), default=0)
    slot = (width - 60) / max(len(labels), 1)
    slanted = widest > slot - 4
    bottom = 24 + (widest * 0.6 if slanted else 0)

    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 44, bottom
    chart.width, chart.height = width - 60, height - bottom - 16
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = font.face_name
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.strokeWidth = 0.5
    if slanted:
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx = 4
    _value_axis(chart.valueAxis, values, font)
    chart.bars[0].fillColor = _colour(BAR_COLOUR)
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = font.face_name
    chart.barLabels.fontSize = LABEL_SIZE
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return _finish(drawing, title, "bar", labels, values, font)


def hbar_chart_svg(title: str, labels: Sequence[str], values: Sequence[float], *,
                   font: FontConfig, width: int = 480) -> Markup:
    """Horizontal bars for long names (units, 领域), first label on top; height follows the count."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfbase.pdfmetrics import stringWidth

    labels, values = _check(labels, values)
    widest = max((stringWidth(label, font.face_name, LABEL_SIZE) for label in labels), default=0)
    left = min(8 + widest, width * 0.45)
    height = 36 + 20 * max(len(labels), 1)

    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = left, 24
    chart.width, chart.height = width - left - 36, height - 32
    # reportlab stacks categories bottom-up; reversed, the first (largest) is drawn on top.
    chart.data = [list(reversed(values)) or [0]]
    chart.categoryAxis.categoryNames = list(reversed(labels)) or [""]
    chart.categoryAxis.labels.fontName = font.face_name
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeWidth = 0.5
    _value_axis(chart.valueAxis, values, font)
    chart.bars[0].fillColor = _colour(BAR_COLOUR)
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = font.face_name
    chart.barLabels.fontSize = LABEL_SIZE
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.nudge = 8
    drawing.add(chart)
    return _finish(drawing, title, "hbar", labels, values, font)


def line_chart_svg(title: str, labels: Sequence[str], values: Sequence[float], *,
                   font: FontConfig, width: int = 480, height: int = 220) -> Markup:
    """One line with a marker and its value at every point (months); value axis from 0."""
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.graphics.shapes import Drawing

    labels, values = _check(labels, values)
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 44, 24
    chart.width, chart.height = width - 60, height - 48  # room above for the top point's label
    chart.data = [values or [0]]
    chart.joinedLines = 1
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = font.face_name
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.strokeWidth = 0.5
    _value_axis(chart.valueAxis, values, font)
    chart.lines[0].strokeColor = _colour(BAR_COLOUR)
    chart.lines[0].strokeWidth = 1.5
    chart.lines[0].symbol = makeMarker("FilledCircle", size=4, fillColor=_colour(BAR_COLOUR))
    chart.lineLabelFormat = "%d"
    chart.lineLabels.fontName = font.face_name
    chart.lineLabels.fontSize = LABEL_SIZE
    chart.lineLabels.dy = 7
    drawing.add(chart)
    return _finish(drawing, title, "line", labels, values, font)
