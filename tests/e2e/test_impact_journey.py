"""Journey: an admin changes a rule parameter in the draft, runs the change impact, reads the report
(progress, then changes by rule, principle and unit with links to the records) and publishes.
axe-core checks every new page on the way."""
import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.webapp.test_impact import _store_varied
from webapp.services import jobs

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_journey_params_draft_impact_report_publish(app, page, live_server, screenshot, assert_accessible):
    with app.app_context():
        _store_varied(80, seed=11)
    login(page, live_server, "admin")
    page.get_by_role("link", name="规则参数").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("规则参数")
    assert_accessible("规则参数")

    field = page.locator("#f-reasonable-burden-min_records")
    field.fill("一")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".error-summary")).to_contain_text("请填写整数")
    assert_accessible("规则参数（有误）")
    page.locator(".error-summary a").first.click()
    expect(field).to_be_focused()
    field.fill("1")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("第 1 次保存")).to_be_visible()

    page.get_by_label("指导年度范围").fill("2025-2026")
    page.get_by_role("button", name="运行影响分析").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("影响分析")
    expect(page.locator("progress")).to_be_visible()
    assert_accessible("影响分析（进行中）")
    with app.app_context():
        assert jobs.work(poll_seconds=0, stop=lambda: False, once=True) == 1
    expect(page.get_by_role("heading", name="按单位")).to_be_visible(timeout=10_000)  # htmx polling swapped it in
    expect(page.locator("progress")).to_have_count(0)
    assert_accessible("影响分析报告")
    shot = screenshot("impact-report")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / "impact-report.png")

    first = page.locator("table.records a[href^='/records/']").first
    record_url = first.get_attribute("href")
    first.click()
    expect(page).to_have_url(f"{live_server}{record_url}")

    page.goto(f"{live_server}/rules/params")
    expect(page.get_by_text("本草稿的影响分析报告已查看")).to_be_visible()
    page.get_by_role("button", name="公布").click()
    expect(page.get_by_text("现行版本：第 1 版")).to_be_visible()
    expect(page.get_by_role("heading", name="已公布的版本")).to_be_visible()
    assert_accessible("规则参数（已公布）")
