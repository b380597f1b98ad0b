"""Journey: admonition with a false condition → live lawful error → fix → coercive wording → review
→ reviewer approves → number → staff closes it. axe-core checks every page on the way."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import login


def fill_admonition(page):
    page.get_by_label("目录事项").fill("ZD-TD-03")
    page.get_by_label("目录事项").dispatch_event("change")
    expect(page.locator("#catalog-item-info")).to_contain_text("临时用地")
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
    page.locator("#f-subject").fill("临时用地期满未复垦归还")
    page.get_by_label("指导内容").fill("临时用地使用期满，建议尽快按复垦方案恢复种植条件后归还。")
    page.get_by_label("已告知自愿原则").check()
    page.get_by_label("存在问题").fill("临时用地于2026年10月期满，尚未完成复垦。")
    page.get_by_label("指导意见").fill("建议在一个月内完成复垦并申请验收。")
    page.get_by_label("违法行为轻微").check()
    page.get_by_label("已及时纠正").check()
    page.get_by_label("未造成危害后果").check()  # 无主观故意 left unchecked: not lawful
    page.get_by_label("指导联系人").fill("李华")
    page.get_by_label("联系电话", exact=True).fill("0533-6180000")
    page.get_by_label("回访期限").fill("2026-12-20")


def test_journey_admonition_review_file_close(page, live_server, screenshot, assert_accessible, browser):
    login(page, live_server, "staff")
    page.get_by_role("link", name="新建记录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建行政指导记录")
    assert_accessible("新建记录")
    expect(page.locator("[data-method=case_revisit]")).to_be_hidden()

    fill_admonition(page)
    panel = page.locator("#findings-panel")
    lawful = panel.locator(".principle", has_text="合法")
    expect(lawful).to_contain_text("✗ 须修改")
    expect(lawful).to_contain_text("不得以行政指导代替行政执法")
    expect(panel.locator(".principle", has_text="自愿")).to_contain_text("✓ 符合")
    expect(page.locator("#f-subject")).to_have_value("临时用地期满未复垦归还")  # typing kept
    screenshot("02-live-findings")
    assert_accessible("实时检查")

    page.get_by_role("button", name="提交", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("存在以下问题")
    expect(summary).to_contain_text("不得以行政指导代替行政执法")
    expect(page.locator("#f-subject")).to_have_value("临时用地期满未复垦归还")
    expect(page).to_have_url(re.compile(r"/records/\d+/edit$"))
    screenshot("03-blocked-submit")
    assert_accessible("提交被阻止")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("无主观故意")).to_be_focused()

    page.get_by_label("无主观故意").check()
    page.locator("summary", has_text="指导内容与依据").click()  # complete sections fold after a submit
    page.get_by_label("指导内容").fill("当事人必须在一个月内完成复垦，按复垦方案恢复种植条件后归还。")
    expect(panel.locator(".principle", has_text="自愿")).to_contain_text("⚠ 需审查")
    expect(panel.locator(".principle", has_text="合法")).to_contain_text("✓ 符合")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".notice-confirm")).to_contain_text("将提交政策法规科审查")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator(".flash")).to_contain_text("待审查")
    expect(page.locator(".record-meta")).to_contain_text("待审查")
    record_url = page.url
    assert_accessible("记录页（待审查）")

    reviewer = browser.new_page(locale="zh-CN")
    login(reviewer, live_server, "reviewer")
    reviewer.get_by_role("link", name="待审查", exact=True).click()
    expect(reviewer.locator(".queue-item")).to_contain_text("必须")
    assert_accessible_page(reviewer, "待审查队列")
    reviewer.get_by_role("link", name="临时用地期满未复垦归还").click()
    expect(reviewer.locator(".principle", has_text="自愿")).to_contain_text("⚠ 需审查")
    assert_accessible_page(reviewer, "审查记录页")
    reviewer.get_by_label("审查意见").fill("已核实，措辞不影响自愿原则，同意备案。")
    reviewer.get_by_role("button", name="审查通过并备案").click()
    expect(reviewer.locator(".doc-number")).to_have_text(re.compile(r"指导书〔20\d\d〕1号"))
    screenshot_page(reviewer, "04-approved")
    assert_accessible_page(reviewer, "已备案记录页")
    reviewer.close()

    page.goto(record_url)
    expect(page.locator(".doc-number")).to_have_text(re.compile(r"指导书〔20\d\d〕1号"))
    page.get_by_label("指导结果").select_option("adopted")
    page.get_by_label("指导取得的效益、效果").fill("当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。")
    page.get_by_role("button", name="办结").click()
    expect(page.locator(".record-meta")).to_contain_text("已办结")
    expect(page.locator(".timeline")).to_contain_text("审查通过")
    screenshot("05-closed")
    assert_accessible("记录页（已办结）")


def assert_accessible_page(page, label):
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert violations == [], f"axe violations on {label}: {[v['id'] for v in violations]}"


def screenshot_page(page, name):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
