"""Journey: a reviewer filters the 台账 by unit and method, pages on, exports xlsx, opens 统计.
axe-core checks every page on the way."""
import io

import openpyxl
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD  # noqa: F401 — login() uses it
from tests.e2e.conftest import login
from tests.webapp.records_data import user, valid_record
from webapp.services import records as svc


def _records(app, count: int) -> None:
    with app.app_context():
        staff = user("staff")
        for i in range(count):
            method = "admonition" if i % 2 == 0 else "reminder"
            record = svc.create_draft(staff, valid_record(subject=f"台账事项{i:02d}", method=method))
            svc.submit_record(staff, record.id)


def test_journey_register_filter_page_export_and_stats(app, page, live_server, screenshot, assert_accessible):
    _records(app, 56)  # 28 admonitions: more than one page of 50? no — filter by method, then page all
    login(page, live_server, "reviewer")
    page.get_by_role("link", name="台账").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("行政指导基础台账")
    expect(page.locator("#register-count")).to_contain_text("共 56 条记录")
    assert_accessible("台账")

    page.get_by_label("实施单位").select_option("自然资源开发利用科")
    page.get_by_label("指导方式").select_option("admonition")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#register-count")).to_contain_text("共 28 条记录")
    expect(page).to_have_url(__import__("re").compile(r"unit=.*method=admonition"))
    assert page.locator("table.register tbody tr").count() == 28
    screenshot("05-register")
    assert_accessible("台账筛选")

    page.get_by_label("指导方式").select_option("")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#register-count")).to_contain_text("共 56 条记录")
    assert page.locator("table.register tbody tr").count() == 50
    page.get_by_role("link", name="下一页").click()
    expect(page.locator("table.register tbody tr")).to_have_count(6)
    expect(page.get_by_role("link", name="回到第一页")).to_be_visible()
    page.reload()  # a pushed URL gives the full page
    expect(page.get_by_role("heading", level=1)).to_have_text("行政指导基础台账")
    expect(page.locator("table.register tbody tr")).to_have_count(6)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel 表格（.xlsx）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as file:
        sheet = openpyxl.load_workbook(io.BytesIO(file.read())).active
    subjects = [row[2] for row in sheet.iter_rows(values_only=True) if row and str(row[2] or "").startswith("台账事项")]
    assert len(subjects) == 56
    expect(page.locator(".export-status")).to_contain_text("已开始下载")

    page.get_by_role("link", name="统计").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("行政指导工作统计")
    expect(page.locator(".stats-figures")).to_contain_text("56")
    assert page.locator("#stats-figures svg").count() >= 3
    screenshot("06-stats")
    assert_accessible("统计")
