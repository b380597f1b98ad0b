"""Journey: a reviewer edits a catalog item in the draft, sees it marked, runs and opens the change
impact report, publishes the draft as
第2版 with a 公布日期 and 文号, and the public page shows it. axe and the CSP check every page."""
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_csp import CspWatch
from tests.webapp.records_data import user, valid_record
from webapp.services import jobs
from webapp.services import records as svc

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_journey_catalog_edit_and_publish(app, page, live_server, assert_accessible):
    with app.app_context():  # records the edit below (事后 no longer a stage of ZD-TD-03) would send to review
        staff = user("staff")
        for i in range(3):
            svc.submit_record(staff, svc.create_draft(staff, valid_record(subject=f"事后提示{i}", stage="after")).id)
    csp = CspWatch(page)
    login(page, live_server, "reviewer")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="指导目录").click()
    expect(page.locator(".catalog-edition")).to_contain_text("第1版")
    page.get_by_role("link", name="编辑目录草稿").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("目录清单草稿")
    assert_accessible("目录清单草稿")
    csp.check("目录清单草稿")

    page.get_by_role("link", name="ZD-TD-03").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑目录事项 ZD-TD-03")
    assert_accessible("编辑目录事项")
    csp.check("编辑目录事项")
    page.get_by_label("事项名称").fill("临时用地使用及期满复垦归还提示（2026年修订）")
    page.get_by_label("事后").uncheck()
    page.get_by_label("条款（第1项）").fill("第五十七条、第五十八条")  # typed without the checkbox: keyboard works too
    page.get_by_label("条款（第1项）").press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("已保存事项 ZD-TD-03")
    row = page.locator("tr", has=page.get_by_role("link", name="ZD-TD-03"))
    expect(row.locator(".tag-changed")).to_be_visible()
    expect(row).to_contain_text("事项名称")
    csp.check("保存事项")
    expect(page.locator("#catalog-impact")).to_be_visible()
    expect(page.locator(".catalog-events")).to_contain_text("临时用地使用及期满复垦归还提示（2026年修订）")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "catalog-editor.png"), full_page=True)
    # the screenshot leaves inline styles in the DOM (htmx would settle them): go on from a fresh page
    page.reload()
    expect(page.locator("form[action$='/catalog/draft/publish']")).to_contain_text("须先运行本草稿的变更影响分析")

    # 变更影响: the draft re-checks past records in the background; the report is opened, then publish
    page.get_by_label("指导年度范围").fill("2025-2026")
    page.get_by_role("button", name="运行变更影响分析").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("影响分析")
    with app.app_context():
        assert jobs.work(poll_seconds=0, stop=lambda: False, once=True) == 1
    expect(page.get_by_role("heading", name="按单位")).to_be_visible(timeout=10_000)
    expect(page.locator("main")).to_contain_text("不在该目录事项规定的实施环节之内")  # the rule in words
    expect(page.locator("main table.records").last).to_contain_text("指导书〔2026〕")
    assert_accessible("变更影响报告")
    csp.check("变更影响报告")
    page.get_by_role("link", name="指导目录").click()
    page.get_by_role("link", name="编辑目录草稿").click()
    expect(page.locator("form[action$='/catalog/draft/publish']")).to_contain_text("变更影响报告已查看")

    page.get_by_label("公布日期").fill("2026-12-01")
    page.get_by_label("文号（可不填）").fill("自然资规〔2026〕12号")
    page.get_by_role("button", name="发布为第2版").click()
    expect(page.locator(".flash-success")).to_contain_text("已发布目录清单第2版")
    assert_accessible("发布后的草稿")
    csp.check("发布")

    page.get_by_role("link", name="指导目录").click()
    expect(page.locator(".catalog-edition")).to_contain_text("第2版")
    expect(page.locator(".catalog-edition")).to_contain_text("2026年12月1日")
    expect(page.locator("#catalog-items")).to_contain_text("临时用地使用及期满复垦归还提示（2026年修订）")
    assert_accessible("公开目录")
    page.get_by_role("link", name="第1版").click()
    expect(page).to_have_url(re.compile(r"/catalog/versions/1$"))
    expect(page.locator("#catalog-items")).not_to_contain_text("2026年修订")
    assert_accessible("早期版本")
    csp.check("早期版本")
