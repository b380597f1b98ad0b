"""The five statistics charts with their tables, inlined in one page, pass axe-core."""
from jinja2 import Environment, FileSystemLoader

from webapp.pdf.render import PROJECT_ROOT
from webapp.reports import stats_charts

from tests.webapp.reports.conftest import make_stats
from webapp.pdf import find_font


def page_html(blocks) -> str:
    env = Environment(loader=FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=True)
    partial = env.get_template("reports/_chart.html")
    body = "".join(partial.render(title=b.title, svg=b.svg, rows=b.rows, label_heading=b.label_heading)
                   for b in blocks)
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>统计</title></head>'
            f'<body><main><h1>2026年度行政指导工作统计</h1>{body}</main></body></html>')


def test_charts_and_tables_have_no_axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    html = page_html(stats_charts(make_stats(by_unit={"<script>x</script>": 3, "执法监察大队": 1}),
                                  font=find_font()))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(html)
    assert page.locator("svg[role=img]").count() == 5
    assert page.get_by_role("img", name="按指导方式统计（件）").count() == 1
    violations = Axe().run(page).response["violations"]
    assert dialogs == []  # the <script> label stayed text
    assert violations == [], [f"{v['id']}: {v['nodes'][0]['html'][:120]}" for v in violations]
