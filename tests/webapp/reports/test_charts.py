import re
import xml.etree.ElementTree as ET

import pytest
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from webapp.pdf.render import PROJECT_ROOT
from webapp.reports import bar_chart_svg, hbar_chart_svg, line_chart_svg, stats_charts
from webapp.reports.charts import nice_scale

from .conftest import make_stats

SVG = "{http://www.w3.org/2000/svg}"
METHODS = ["政策指引", "意见建议", "提示提醒", "劝导警示", "表扬鼓励", "案件回访"]
VALUES = [12, 3, 0, 7, 1, 25]
CHARTS = [bar_chart_svg, hbar_chart_svg, line_chart_svg]


def texts(svg: str) -> list[str]:
    return [element.text for element in ET.fromstring(svg).iter(f"{SVG}text")]


def bar_heights(svg: str) -> list[float]:
    return [float(rect.get("height")) for rect in ET.fromstring(svg).iter(f"{SVG}rect")
            if rect.get("fill") == "rgb(18%,36%,54%)"]


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_is_an_accessible_svg_element_with_its_labels(chart, font):
    svg = chart("按指导方式统计（件）", METHODS, VALUES, font=font)
    root = ET.fromstring(svg)
    assert isinstance(svg, Markup) and svg.startswith("<svg")  # no XML declaration or DOCTYPE to inline
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label") == "按指导方式统计（件）"
    assert root[0].tag == f"{SVG}title" and root[0].text == "按指导方式统计（件）"
    shown = texts(svg)
    for label in METHODS:
        assert label in shown
    assert "25" in shown and "0" in shown  # the values are printed, the axis starts at 0


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_escapes_labels_and_title(chart, font):
    svg = chart("<script>alert('t')</script>", ["<script>alert(1)</script>", "A&B"], [1, 2], font=font)
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<script>alert(1)</script>" in texts(svg) and "A&B" in texts(svg)


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_is_deterministic(chart, font):
    assert chart("按月份", METHODS, VALUES, font=font) == chart("按月份", METHODS, VALUES, font=font)


def test_bar_lengths_are_proportional_from_zero(font):
    for chart in (bar_chart_svg, hbar_chart_svg):
        svg = chart("t", ["甲", "乙", "丙"], [20, 21, 22], font=font)
        lengths = bar_heights(svg) if chart is bar_chart_svg else [
            float(rect.get("width")) for rect in ET.fromstring(svg).iter(f"{SVG}rect")
            if rect.get("fill") == "rgb(18%,36%,54%)"]
        # From zero, 20 and 22 differ by 10%; an axis starting near 20 would make it many times.
        assert max(lengths) / min(lengths) == pytest.approx(22 / 20, rel=0.01)


def test_hbar_draws_the_first_label_on_top(font):
    svg = hbar_chart_svg("按实施单位", ["最多的科", "其次的科", "最少的科"], [9, 5, 1], font=font)
    positions = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        for text in group.findall(f"{SVG}text"):
            match = re.search(r"matrix\(1,0,0,1,([-\d.]+),([-\d.]+)\)", group.get("transform") or "")
            if match and text.text in ("最多的科", "其次的科", "最少的科"):
                positions[text.text] = float(match.group(2))
    # The drawing is flipped (y grows upwards), so the top label has the largest y.
    assert positions["最多的科"] > positions["其次的科"] > positions["最少的科"]


def test_charts_on_one_page_have_distinct_ids(font):
    svgs = [bar_chart_svg("按指导方式", METHODS, VALUES, font=font),
            bar_chart_svg("按实施环节", ["事前", "事中", "事后"], [1, 2, 3], font=font),
            line_chart_svg("按月份", [f"{m}月" for m in range(1, 13)], list(range(12)), font=font)]
    ids = [element.get("id") for svg in svgs for element in ET.fromstring(svg).iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    for svg in svgs:  # every url(#…) points into its own chart
        own = {element.get("id") for element in ET.fromstring(svg).iter() if element.get("id")}
        assert set(re.findall(r"url\(#([^)]+)\)", svg)) <= own


@pytest.mark.parametrize("largest, expected", [
    (0, (1, 1)), (3, (3, 1)), (5, (5, 1)), (7, (8, 2)), (25, (25, 5)), (99, (100, 20)), (1234, (1500, 500)),
])
def test_value_axis_uses_round_integer_steps(largest, expected):
    assert nice_scale(largest) == expected


def test_chart_refuses_mismatched_or_negative_data(font):
    with pytest.raises(ValueError):
        bar_chart_svg("t", ["甲", "乙"], [1], font=font)
    with pytest.raises(ValueError):
        bar_chart_svg("t", ["甲"], [-1], font=font)


def test_stats_charts_cover_every_breakdown_with_full_tables(font):
    units = {f"第{i}所": 30 - i for i in range(15)}
    blocks = stats_charts(make_stats(by_unit=units), font=font)
    assert [b.key for b in blocks] == ["by_method", "by_stage", "by_month", "by_unit", "by_field"]
    unit_block = blocks[3]
    assert len(unit_block.rows) == 15  # the table lists every unit …
    assert "其他" in texts(unit_block.svg) and "第14所" not in texts(unit_block.svg)  # … the chart folds the tail
    assert blocks[2].rows[0] == ("1月", 7)


def test_stats_charts_leave_out_the_picture_when_there_is_nothing_to_draw(font):
    blocks = {b.key: b for b in stats_charts(make_stats(by_unit={}, by_field={}), font=font)}
    assert blocks["by_unit"].svg is None and blocks["by_unit"].rows == []
    assert blocks["by_method"].svg is not None  # six zero bars still say something


def render_partial(**context) -> str:
    env = Environment(loader=FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=True)
    return env.get_template("reports/_chart.html").render(**context)


def test_chart_partial_inlines_the_svg_beside_an_escaped_data_table(font):
    svg = bar_chart_svg("按实施单位", ["<script>x</script>", "执法监察大队"], [3, 1], font=font)
    html = render_partial(title="按实施单位", svg=svg, rows=[("<script>x</script>", 3), ("执法监察大队", 1)],
                          label_heading="实施单位")
    assert html.count("<svg") == 1 and "&lt;svg" not in html
    assert "<script" not in html
    assert '<th scope="row">&lt;script&gt;x&lt;/script&gt;</th><td class="num">3</td>' in html
    assert '<th scope="col">实施单位</th>' in html and '<th scope="col" class="num">件数</th>' in html
    assert "<caption" in html and "按实施单位（数据表）" in html


def test_chart_partial_says_so_when_there_are_no_rows():
    html = render_partial(title="按领域", svg=None, rows=[])
    assert "<svg" not in html and "无记录" in html and '<th scope="col">项目</th>' in html


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_has_no_style_attributes(chart, font):
    """The pages' CSP blocks inline style attributes: colours and fonts are presentation attributes."""
    root = ET.fromstring(chart("按月份", ["1月", "2月"], [1, 2], font=font))
    assert [e.tag for e in root.iter() if e.get("style")] == []
    assert any(e.get("fill") for e in root.iter())
