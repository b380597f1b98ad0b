"""Journey: an officer opens 规则说明, searches as they type, and reads the sentences; axe-clean."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import login


def test_journey_rules_page_search(page, live_server, assert_accessible):
    login(page, live_server, "staff")
    page.goto(f"{live_server}/rules")
    expect(page.get_by_role("heading", level=1)).to_have_text("规则说明")
    expect(page.locator("#rule-lawful\\.repeat-admonition")).to_contain_text("365日内")
    assert_accessible("规则说明")

    page.get_by_label("搜索规则").fill("回访")
    expect(page.locator("#rules-results")).to_contain_text("找到")
    expect(page.locator("#rule-voluntary\\.informed")).to_have_count(0)
    expect(page.locator("#rule-effective\\.follow-up-due")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=%E5%9B%9E%E8%AE%BF|q=回访"))
    assert_accessible("规则搜索")

    page.get_by_label("搜索规则").fill("")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#rule-voluntary\\.informed")).to_be_visible()
