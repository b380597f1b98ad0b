"""Journey: the form that helps (issue 13). A catalog name typed, the live panel quiet about fields
not reached yet, warnings with a reason and a confirmation, the reviewer reading the reason; the
same without JavaScript; axe on the form and the record page, wide and narrow."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REASON = "当事人要求写明完成期限，已口头说明不具强制力"


def axe_clean(page, label: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert violations == [], f"axe violations on {label}: {[(v['id'], v['nodes'][0]['target']) for v in violations]}"


def fill_record(page, subject: str, *, js: bool = True) -> None:
    """A complete 劝导警示 whose content uses a coercive word (one warning)."""
    page.get_by_label("目录事项").fill("临时用地")
    if js:
        page.get_by_label("目录事项").dispatch_event("change")
        expect(page.locator("#catalog-item-info")).to_contain_text("ZD-TD-03 临时用地使用及期满复垦归还提示")
    page.get_by_label("指导方式").select_option("admonition")
    page.get_by_label("实施环节").select_option("during")
    page.get_by_label("指导形式").select_option("written")
    page.get_by_label("指导对象名称").fill("淄博某建材有限公司")
    page.get_by_label("指导对象类型").select_option("organization")
    page.get_by_label("指导对象证件号码").fill("914403001922038216")
    page.get_by_label("指导对象联系电话").fill("13905330000")
    page.get_by_label("指导时间").fill("2026-11-20T10:00")
    page.get_by_label("指导地点").fill("王村镇某村临时用地现场")
    page.get_by_label("指导人员（第2项）").fill("李华")
    page.locator("#f-subject").fill(subject)
    page.get_by_label("指导内容").fill("当事人必须在一个月内按复垦方案恢复种植条件后归还。")
    page.get_by_label("已告知自愿原则").check()
    page.get_by_label("存在问题").fill("临时用地于2026年10月期满，尚未完成复垦。")
    page.get_by_label("指导意见").fill("建议在一个月内完成复垦并申请验收。")
    for condition in ("违法行为轻微", "无主观故意", "已及时纠正", "未造成危害后果"):
        page.get_by_label(condition).check()
    page.get_by_label("指导联系人").fill("李华")
    page.get_by_label("联系电话", exact=True).fill("0533-6180000")
    page.get_by_label("回访期限").fill("2026-12-20")


def grid_columns(page) -> int:
    return page.eval_on_selector(".section-fields", "e => getComputedStyle(e).gridTemplateColumns.split(' ').length")


def test_form_journey_with_javascript(page, live_server, browser):
    login(page, live_server, "staff")
    page.get_by_role("link", name="新建记录").click()
    expect(page.get_by_label("指导对象类型")).to_have_value("")  # no default
    expect(page.locator("[data-method=case_revisit]")).to_be_hidden()
    assert grid_columns(page) == 2
    axe_clean(page, "新建记录（宽屏）")

    # Four characters into the first field: nothing about fields not reached yet.
    page.get_by_label("指导对象名称").fill("淄博某公")
    panel = page.locator("#findings-panel")
    expect(panel).to_contain_text("项待填写后检查")
    expect(panel.locator("[data-rule='input.required']")).to_have_count(0)

    fill_record(page, "强制措辞说明理由")
    voluntary = panel.locator(".principle", has_text="自愿")
    expect(voluntary).to_contain_text("⚠ 需审查")
    expect(panel.get_by_label("说明理由")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "form.png"), full_page=False)
    panel.get_by_label("说明理由").fill(REASON)

    page.get_by_role("button", name="提交", exact=True).click()
    confirm = page.locator(".notice-confirm")
    expect(confirm).to_contain_text("将提交政策法规科审查")
    expect(confirm).to_be_focused()
    expect(confirm.get_by_label("说明理由")).to_have_value(REASON)  # kept from the panel
    axe_clean(page, "确认提交")
    confirm.get_by_role("button", name="确认提交").click()
    expect(page.locator(".record-meta")).to_contain_text("待审查")
    expect(page.locator("#s-what + .fields")).to_contain_text("ZD-TD-03 临时用地使用及期满复垦归还提示")
    axe_clean(page, "记录页（宽屏）")

    reviewer = browser.new_page(locale="zh-CN")
    login(reviewer, live_server, "reviewer")
    reviewer.get_by_role("link", name="待审查", exact=True).click()
    expect(reviewer.locator(".queue-item")).to_contain_text(REASON)
    reviewer.get_by_role("link", name="强制措辞说明理由").click()
    warning = reviewer.locator(".finding", has_text="强制性用语")
    expect(warning).to_contain_text(f"经办人说明理由：{REASON}")
    reviewer.set_viewport_size({"width": 390, "height": 900})
    axe_clean(reviewer, "记录页（窄屏）")
    reviewer.close()


def test_form_journey_narrow_screen_one_column(page, live_server):
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, live_server, "staff")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{live_server}/records/new")
    assert grid_columns(page) == 1
    axe_clean(page, "新建记录（窄屏）")


def test_form_journey_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "staff")
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{live_server}/records/new")
    expect(page.locator("[data-method=case_revisit]")).to_be_visible()  # all sections, with headings
    expect(page.locator("[data-method=case_revisit] summary")).to_contain_text("（仅案件回访）")
    fill_record(page, "无脚本确认", js=False)
    page.get_by_role("button", name="提交", exact=True).click()
    confirm = page.locator(".notice-confirm")
    expect(confirm).to_contain_text("将提交政策法规科审查")
    confirm.get_by_label("说明理由").fill("无脚本时填写的理由")
    confirm.get_by_role("button", name="确认提交").click()
    expect(page.locator(".record-meta")).to_contain_text("待审查")
    expect(page.locator(".findings")).to_contain_text("经办人说明理由：无脚本时填写的理由")
    expect(page.locator("#s-what + .fields")).to_contain_text("临时用地使用及期满复垦归还提示")
    context.close()
