"""Every refused action speaks: each action button pressed with its input missing, by the role that
may press it, shows a message in the page — with JavaScript (htmx) and without."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import login as open_login
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import User
from webapp.services import records as svc


def login(page, base_url: str, username: str, password: str | None = None) -> None:
    """Log in and wait until the login page is left (a goto right after the click would race it)."""
    open_login(page, base_url, username, password)
    expect(page).not_to_have_url(re.compile(r"/login"))


@pytest.fixture
def records(app):
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        draft = svc.create_draft(staff, valid_record(subject="草稿"))
        incomplete = svc.create_draft(staff, {"subject": "只写了事项"})
        pending = svc.create_draft(staff, valid_record(subject="待审", content="必须整改。"))
        svc.submit_record(staff, pending.id)
        filed = svc.create_draft(staff, valid_record(subject="备案"))
        svc.submit_record(staff, filed.id)
        return {"draft": draft.id, "incomplete": incomplete.id, "pending": pending.id, "filed": filed.id}


def _press(page, url: str, button: str, message: str, *, exact: bool = True) -> None:
    page.goto(url)
    page.get_by_role("button", name=button, exact=exact).click()
    expect(page.get_by_role("alert").filter(has_text=message).first).to_be_visible()


def test_refusals_speak_with_javascript(page, live_server, records, assert_accessible):
    base = f"{live_server}/records"
    login(page, live_server, "staff")
    _press(page, f"{base}/{records['draft']}", "放弃草稿", "请勾选“确认放弃”")
    assert_accessible("放弃草稿未确认")
    _press(page, f"{base}/{records['incomplete']}", "提交", "存在以下问题")
    _press(page, f"{base}/{records['pending']}", "撤回", "请勾选“确认撤回”")
    _press(page, f"{base}/{records['filed']}", "办结", "存在以下问题")
    # an attachment the server refuses (not a PDF inside): the widget's own alert
    page.goto(f"{base}/{records['filed']}")
    page.locator("#att-file").set_input_files({"name": "报告.pdf", "mimeType": "application/pdf",
                                               "buffer": b"this is not a pdf"})
    page.get_by_role("button", name="上传").click()
    expect(page.locator("#attachments").get_by_role("alert")).to_be_visible()
    # a fragment request refused by the error handler (expired CSRF token): the page's alert region
    page.goto(f"{base}/{records['filed']}")
    page.evaluate("""() => {
        document.querySelector('meta[name="csrf-token"]').content = "expired";
        document.querySelectorAll('#attachments input[name="csrf_token"]').forEach(i => { i.value = "expired"; });
    }""")
    page.locator("#att-file").set_input_files({"name": "a.pdf", "mimeType": "application/pdf",
                                               "buffer": b"%PDF-1.4\n%%EOF\n"})
    page.get_by_role("button", name="上传").click()
    region = page.locator("#action-error")
    expect(region).to_be_visible()
    expect(region).to_contain_text("安全令牌")
    expect(page.get_by_role("heading", level=1)).to_have_text("备案")  # the page stays as it was
    _press(page, f"{live_server}/account/password", "修改密码", "请输入当前密码")
    _press(page, f"{live_server}/mfa/setup", "启用两步验证", "存在以下问题")

    page.context.clear_cookies()
    login(page, live_server, "reviewer")
    _press(page, f"{base}/{records['pending']}", "退回修改", "退回时请填写审查意见")
    _press(page, f"{base}/{records['filed']}", "作废", "请填写作废理由")
    _press(page, f"{base}/{records['filed']}", "标记典型经验", "请填写标记（或取消）典型经验的理由")
    page.goto(f"{live_server}/archive")
    page.locator("#f-year").fill("")
    page.get_by_role("button", name="生成档案包").click()
    expect(page.locator(".field-error").first).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server, "admin")
    _press(page, f"{live_server}/admin/users/new", "创建并生成初始密码", "请输入用户名")
    _press(page, f"{live_server}/admin/users/admin", "停用该用户", "不能停用自己的账户")
    _press(page, f"{live_server}/admin/users/staff", "撤销 API 令牌", "没有有效的 API 令牌")
    page.goto(f"{live_server}/admin/users/staff")
    page.get_by_label("姓名").fill("")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="请输入姓名").first).to_be_visible()


def test_refusals_speak_without_javascript(browser, live_server, records):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    base = f"{live_server}/records"
    login(page, live_server, "staff")
    _press(page, f"{base}/{records['draft']}", "放弃草稿", "请勾选“确认放弃”")
    page.get_by_label("确认放弃", exact=False).check()
    page.get_by_role("button", name="放弃草稿").click()
    expect(page.get_by_role("status").filter(has_text="已放弃草稿")).to_be_visible()
    context.clear_cookies()
    login(page, live_server, "reviewer")
    _press(page, f"{base}/{records['pending']}", "退回修改", "退回时请填写审查意见")
    _press(page, f"{base}/{records['filed']}", "作废", "请填写作废理由")
    context.close()
