"""Journey: an admin creates a user (one-time password shown once), the user must choose their own
password at first login, the admin disables them and their session ends; the discarded-draft
page restores a draft. axe-core checks every new page."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import login as open_login
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import User
from webapp.services import records as svc

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def login(page, base_url: str, username: str, password: str | None = None) -> None:
    """Log in and wait until the login page is left (a goto right after the click would race it)."""
    open_login(page, base_url, username, password)
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_journey_user_administration(page, live_server, browser, screenshot, assert_accessible):
    login(page, live_server, "admin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="用户管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("用户管理")
    assert_accessible("用户管理")

    page.get_by_role("link", name="新建用户").click()
    assert_accessible("新建用户")
    page.get_by_label("用户名").fill("wangfang")
    page.get_by_label("姓名").fill("王芳")
    page.get_by_label("角色").select_option("staff")
    page.get_by_label("单位").select_option("办公室")
    page.get_by_role("button", name="创建并生成初始密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已创建用户 王芳")
    password = page.locator("[data-one-time-password]").inner_text()
    assert re.fullmatch(r"\w{4}-\w{4}-\w{4}", password)
    assert_accessible("初始密码")
    page.get_by_role("link", name="我已记下，返回").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("王芳（wangfang）")
    assert_accessible("用户详情")
    page.goto(f"{live_server}/admin/users")
    expect(page.get_by_role("row", name=re.compile("王芳"))).to_contain_text("待修改初始密码")
    path = screenshot("users")
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS / "users.png")

    # The new user: every page leads to the password form until they choose their own.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    user_page = context.new_page()
    user_page.set_default_timeout(10_000)
    login(user_page, live_server, "wangfang", password)
    expect(user_page.get_by_role("heading", level=1)).to_have_text("修改密码")
    assert_accessible_on(user_page, "强制修改密码")
    user_page.goto(f"{live_server}/records/mine")
    expect(user_page).to_have_url(re.compile(r"/account/password$"))
    user_page.get_by_label("当前密码").fill(password)
    user_page.locator("#f-new_password").fill("1234567890")
    user_page.get_by_label("再次输入新密码").fill("1234567890")
    user_page.get_by_role("button", name="修改密码").click()
    expect(user_page.get_by_role("alert").filter(has_text="最常见的密码").first).to_be_visible()
    user_page.get_by_label("当前密码").fill(password)
    user_page.locator("#f-new_password").fill("梧桐巷口的第七盏路灯")
    user_page.get_by_label("再次输入新密码").fill("梧桐巷口的第七盏路灯")
    user_page.get_by_role("button", name="修改密码").click()
    expect(user_page.get_by_role("status").filter(has_text="密码已修改")).to_be_visible()
    user_page.goto(f"{live_server}/records/mine")
    expect(user_page.get_by_role("heading", level=1)).to_be_visible()
    expect(user_page).to_have_url(re.compile(r"/records/mine$"))

    # The admin disables the user: their next request lands on the login page.
    page.get_by_role("link", name="王芳").click()
    page.get_by_role("button", name="停用该用户").click()
    expect(page.get_by_role("status").filter(has_text="已停用该用户")).to_be_visible()
    user_page.goto(f"{live_server}/records/mine")
    expect(user_page).to_have_url(re.compile(r"/login"))
    context.close()


def assert_accessible_on(page, label: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert violations == [], f"axe violations on {label}: {[v['id'] for v in violations]}"


def test_journey_discarded_draft_restored_by_admin(app, page, live_server, assert_accessible):
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        draft_id = svc.create_draft(staff, valid_record(subject="误放弃的草稿")).id
    login(page, live_server, "staff")
    page.goto(f"{live_server}/records/{draft_id}")
    page.get_by_label("确认放弃", exact=False).check()
    page.get_by_role("button", name="放弃草稿").click()
    expect(page.get_by_role("status").filter(has_text=f"已放弃草稿 #{draft_id}")).to_be_visible()
    expect(page.get_by_role("link", name="误放弃的草稿")).to_have_count(0)

    page.context.clear_cookies()
    login(page, live_server, "admin")
    page.goto(f"{live_server}/admin/discarded")
    assert_accessible("已放弃的草稿")
    page.get_by_role("button", name=f"恢复草稿 #{draft_id}").click()
    expect(page.get_by_role("status").filter(has_text="已恢复草稿")).to_be_visible()
    expect(page.get_by_text("没有已放弃的草稿。")).to_be_visible()
