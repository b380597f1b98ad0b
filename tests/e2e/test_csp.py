"""The Content-Security-Policy, enforced by chromium on every page the journeys visit: 0 violations.

Each page gets a `securitypolicyviolation` listener before any of its scripts run, and chromium's
console is watched for "Refused to …" CSP errors. The journey is the record journey's (form with
live findings, blocked submit, review, approval, close) plus the pages this release adds: the
second factor set up by a reviewer in the browser, 账户安全 and 登录安全 — each also checked by axe.
"""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_record_journey import assert_accessible_page, fill_admonition

LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
"""


class CspWatch:
    def __init__(self, page):
        self.page, self.console = page, []
        page.add_init_script(LISTENER)
        page.on("console", lambda msg: self.console.append(msg.text) if msg.type == "error" else None)

    def violations(self):
        reported = self.page.evaluate("window.__csp || []")
        refused = [text for text in self.console if "Content Security Policy" in text]
        return reported + refused

    def check(self, label):
        assert self.violations() == [], f"CSP violations on {label}"
        assert self.page.evaluate("document.querySelectorAll('style').length") == 0, f"a <style> element on {label}"


@pytest.fixture
def watched(page):
    return CspWatch(page)


def test_csp_listener_sees_a_violation_when_there_is_one(page, live_server, watched):
    page.goto(f"{live_server}/login")
    page.evaluate("document.head.appendChild(Object.assign(document.createElement('style'), {textContent: 'p{}'}))")
    page.wait_for_function("window.__csp.length > 0")
    assert any("style-src" in v for v in watched.violations())


def test_csp_no_violation_on_any_journey_page(app, page, live_server, browser, watched, assert_accessible):
    app.config["MFA_REQUIRED_ROLES"] = ("reviewer", "admin")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    watched.check("登录页")
    login(page, live_server, "staff", "wrong-password")
    expect(page.locator(".error-summary")).to_contain_text("用户名或密码不正确")
    watched.check("登录失败")

    login(page, live_server, "staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张明")
    watched.check("首页")
    for link, heading in (("我的记录", "我的记录"), ("台账", "行政指导基础台账"), ("统计", "行政指导工作统计"), ("规则说明", "规则说明"),
                          ("指导目录", "自然资源行政指导目录清单")):
        page.get_by_role("navigation", name="主导航").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        watched.check(link)
    page.get_by_label("检索事项").fill("矿产")
    expect(page.locator("#catalog-items")).to_contain_text("ZD-KC")
    watched.check("目录检索（htmx）")

    page.get_by_role("link", name="新建记录").click()
    fill_admonition(page)
    expect(page.locator("#findings-panel .principle", has_text="合法")).to_contain_text("✗ 须修改")
    watched.check("新建记录与实时检查")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("存在以下问题")
    watched.check("提交被阻止")
    page.get_by_label("无主观故意").check()
    page.locator("summary", has_text="指导内容与依据").click()  # complete sections fold after a submit
    page.get_by_label("指导内容").fill("当事人必须在一个月内完成复垦，按复垦方案恢复种植条件后归还。")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".notice-confirm")).to_contain_text("将提交政策法规科审查")
    watched.check("提交确认")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator(".record-meta")).to_contain_text("待审查")
    record_url = page.url
    watched.check("记录页（待审查）")
    page.get_by_role("link", name="账户安全").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账户安全")
    watched.check("账户安全")
    assert_accessible("账户安全")

    reviewer = browser.new_page(locale="zh-CN")
    reviewer_watch = CspWatch(reviewer)
    login(reviewer, live_server, "reviewer")
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("设置两步验证")
    reviewer_watch.check("设置两步验证（二维码）")
    assert_accessible_page(reviewer, "设置两步验证")
    key = reviewer.locator(".mfa-key").inner_text().replace(" ", "")
    reviewer.get_by_label("验证码").fill(pyotp.TOTP(key).now())
    reviewer.get_by_role("button", name="启用两步验证").click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("两步验证已启用")
    expect(reviewer.locator(".recovery-codes li")).to_have_count(10)
    reviewer_watch.check("恢复码")
    assert_accessible_page(reviewer, "恢复码")
    reviewer.get_by_role("link", name="我已保存，继续").click()
    reviewer.get_by_role("link", name="待审查", exact=True).click()
    expect(reviewer.locator(".queue-item")).to_contain_text("必须")
    reviewer_watch.check("待审查队列")
    reviewer.get_by_role("link", name="临时用地期满未复垦归还").click()
    reviewer.get_by_label("审查意见").fill("已核实，措辞不影响自愿原则，同意备案。")
    reviewer.get_by_role("button", name="审查通过并备案").click()
    expect(reviewer.locator(".doc-number")).to_have_text(re.compile(r"指导书〔20\d\d〕1号"))
    reviewer_watch.check("已备案记录页")
    reviewer.goto(f"{live_server}/no-such-page")
    reviewer_watch.check("404 页面")
    reviewer.close()

    page.goto(record_url)
    page.get_by_label("指导结果").select_option("adopted")
    page.get_by_label("指导取得的效益、效果").fill("当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。")
    page.get_by_role("button", name="办结").click()
    expect(page.locator(".record-meta")).to_contain_text("已办结")
    watched.check("记录页（已办结）")


def test_csp_admin_security_page_and_second_factor_login(app, page, live_server, watched, assert_accessible):
    app.config["MFA_REQUIRED_ROLES"] = ("reviewer", "admin")
    login(page, live_server, "staff", "wrong-password")  # something for the lockout table to show
    login(page, live_server, "admin")
    key = page.locator(".mfa-key").inner_text().replace(" ", "")
    page.get_by_label("验证码").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="启用两步验证").click()
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("两步验证已启用")  # left that page first
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="登录安全").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录安全")
    expect(page.locator("table.lockouts")).to_contain_text("staff")
    watched.check("登录安全")
    assert_accessible("登录安全")

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")  # logged out before logging in again
    login(page, live_server, "admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("两步验证")
    watched.check("两步验证（登录）")
    assert_accessible("两步验证（登录）")
    page.get_by_label("验证码").fill(pyotp.TOTP(key).at(time.time() + 30))
    page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")
    watched.check("首页（管理员）")
