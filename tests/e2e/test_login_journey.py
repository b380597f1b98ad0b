"""Journey: a demo user logs in, sees the home page, logs out."""
from playwright.sync_api import expect

from tests.e2e.conftest import login


def test_journey_login_home_logout(page, live_server, screenshot, assert_accessible):
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login?next=%2F")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert_accessible("登录页")

    login(page, live_server, "staff", "wrong-password")
    expect(page.locator(".error-summary")).to_contain_text("用户名或密码不正确")
    expect(page.get_by_label("用户名")).to_have_value("staff")  # kept after the error
    assert_accessible("登录失败")

    page.get_by_label("密码").fill("correct-horse-42")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张明")
    expect(page.locator(".flash")).to_contain_text("欢迎")
    screenshot("01-home")
    assert_accessible("首页")

    page.get_by_role("button", name="退出").click()
    expect(page.locator(".flash")).to_contain_text("您已退出登录")


def test_journey_htmx_is_loaded_and_boosts_links(page, live_server):
    login(page, live_server, "reviewer")
    expect(page.get_by_role("heading", level=1)).to_contain_text("李法")
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.version") == "2.0.11"
    assert page.evaluate("htmx.config.responseHandling.some(r => r.code.includes('22') && r.swap)")


def test_journey_lists_rules_and_public_catalog_are_accessible(page, live_server, assert_accessible):
    page.goto(f"{live_server}/catalog")
    expect(page.get_by_role("heading", level=1)).to_have_text("自然资源行政指导目录清单")
    page.get_by_label("检索事项").fill("矿产")
    expect(page.locator("#catalog-items")).to_contain_text("ZD-KC")
    expect(page.locator("#catalog-items")).not_to_contain_text("ZD-TD-03")
    assert_accessible("目录清单（公开）")
    login(page, live_server, "staff")
    for link, heading in (("我的记录", "我的记录"), ("台账", "行政指导基础台账"), ("统计", "行政指导工作统计"), ("规则说明", "规则说明"),
                          ("指导目录", "自然资源行政指导目录清单")):
        page.get_by_role("navigation", name="主导航").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(link)
