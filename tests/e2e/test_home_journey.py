"""Journeys (issue 13 and 12.3): each role's home says what needs doing, every count leads to its
list; a reviewer works the 抽查 queue with and without JavaScript; axe finds nothing on the way."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from rules.model import SHANGHAI

from tests.e2e.conftest import login
from tests.webapp.records_data import user, valid_record
from webapp.extensions import db
from webapp.models import SpotCheck
from webapp.services import records as svc
from webapp.services import spot_checks


@pytest.fixture
def work(app):
    """A morning's worth of work: a returned draft, two follow-ups (one overdue), a 抽查 finding,
    records waiting 1 and 7 working days, one record waiting in the 抽查 queue."""
    today = datetime.now(SHANGHAI).date()
    with app.app_context():
        staff, staff2, reviewer = user("staff"), user("staff2"), user("reviewer")
        returned = svc.create_draft(staff, valid_record(subject="建设用地批后监管提示", content="必须整改。"), submit=True)
        svc.return_record(reviewer, returned.id, "请补充法律依据的具体条款，并说明告知自愿原则的方式")
        due = {}
        for subject, days in (("临时用地到期复垦回访", 3), ("土地复垦方案落实回访", -2)):
            record = svc.create_draft(staff, valid_record(subject=subject), submit=True)
            record.follow_up_due = today + timedelta(days=days)
            db.session.commit()
            due[subject] = record.id
        problem = svc.create_draft(staff, valid_record(subject="设施农业用地备案指导"), submit=True)
        checks = {}
        other = svc.create_draft(staff, valid_record(subject="矿山地质环境恢复治理指导"), submit=True)
        assert (problem.status, other.status) == ("filed", "filed")
        for record_id in (problem.id, other.id):
            check = db.session.query(SpotCheck).filter_by(record_id=record_id).one_or_none()
            if check is None:
                check = SpotCheck(record_id=record_id, draw_value=0.05, rate=0.1)
                db.session.add(check)
                db.session.commit()
            checks[record_id] = check.id
        spot_checks.conclude_spot_check(reviewer, checks[problem.id], "problem", "告知当事人自愿原则的记载不完整")
        for subject, days in (("采矿权延续登记指导", 10), ("建设项目用地预审指导", 6), ("不动产登记资料更正指导", 1)):
            record = svc.create_draft(staff2, valid_record(subject=subject, content="必须整改。", unit="执法监督科"),
                                      submit=True)
            assert record.status == "pending_review"
            record.submitted_at = datetime.now(SHANGHAI) - timedelta(days=days)
            db.session.commit()
        waiting_check = [cid for rid, cid in checks.items() if rid != problem.id][0]
    return {"problem_record": problem.id, "waiting_check": waiting_check, **due}


def test_journey_staff_home_shows_returned_follow_ups_and_findings(page, live_server, work, screenshot,
                                                                    assert_accessible):
    login(page, live_server, "staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张明")
    todo = page.locator("section.todo")
    expect(todo).to_contain_text("被退回修改")
    expect(page.locator("#returned + ul")).to_contain_text("请补充法律依据的具体条款")
    follow_ups = page.locator("#follow-ups ~ ul")
    expect(follow_ups).to_contain_text("3 天后到期")
    expect(follow_ups).to_contain_text("已逾期 2 天")
    expect(page.locator("#spot-problems ~ ul")).to_contain_text("告知当事人自愿原则的记载不完整")
    assert_accessible("经办人首页")
    screenshot("home-staff")

    todo.get_by_role("link", name="1 条：被退回修改").click()
    expect(page).to_have_url(f"{live_server}/#returned")
    page.locator("#returned + ul").get_by_role("link", name="建设用地批后监管提示").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("建设用地批后监管提示")
    page.go_back()
    page.get_by_role("link", name="条：草稿").first.click()
    expect(page).to_have_url(f"{live_server}/records/mine?status=draft")


def test_journey_reviewer_home_and_spot_check_queue(page, live_server, work, screenshot, assert_accessible):
    login(page, live_server, "reviewer")
    todo = page.locator("section.todo")
    expect(todo.get_by_role("link", name="3 条：待审查")).to_be_visible()  # other units' records, counted
    waiting = page.locator("#waiting-title + ul")
    expect(waiting.locator("li").first).to_contain_text("采矿权延续登记指导")
    expect(waiting.locator("li").first).to_contain_text("超过")  # the level in words, not colour alone
    assert_accessible("审核员首页")
    screenshot("home-reviewer")

    todo.get_by_role("link", name="1 条：等待抽查").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("抽查")
    assert_accessible("抽查")
    item = page.locator(f"#spot-check-{work['waiting_check']}")
    item.get_by_label("有问题").check()
    item.get_by_role("button", name="记录结论").click()
    expect(page.locator(".error-summary")).to_contain_text("请填写说明")  # a 422 swapped in by htmx
    assert_accessible("抽查：缺少说明")
    page.locator(".error-summary a").click()
    expect(page.locator(f"#sc-{work['waiting_check']}-note")).to_be_focused()
    page.locator(f"#sc-{work['waiting_check']}-note").fill("指导意见未写明整改期限")
    page.locator(f"#spot-check-{work['waiting_check']}").get_by_role("button", name="记录结论").click()
    expect(page.locator(".flash")).to_contain_text("已记录抽查结论：有问题")
    expect(page.locator("body")).to_contain_text("没有等待抽查的记录")
    expect(page.locator("body")).to_contain_text("指导意见未写明整改期限")
    assert_accessible("抽查：已记录")


def test_journey_spot_check_without_javascript(browser, live_server, work):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, "reviewer")
    page.goto(f"{live_server}/review/spot-checks")
    item = page.locator(f"#spot-check-{work['waiting_check']}")
    item.get_by_role("button", name="记录结论").click()
    expect(page.locator(".error-summary")).to_contain_text("请选择抽查结论")
    page.locator(f"#spot-check-{work['waiting_check']}").get_by_label("无误").check()
    page.locator(f"#spot-check-{work['waiting_check']}").get_by_role("button", name="记录结论").click()
    expect(page.locator(".flash")).to_contain_text("已记录抽查结论：无误")
    context.close()


@pytest.mark.parametrize("role, heading", [("admin", "系统管理"), ("viewer", "最近备案")])
def test_journey_admin_and_viewer_homes(page, live_server, work, assert_accessible, role, heading):
    login(page, live_server, role)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    if role == "admin":
        expect(page.locator("body")).to_contain_text("未找到")  # no backup in a test instance
        expect(page.locator("body")).to_contain_text("检查通过")
    else:
        expect(page.locator("body")).to_contain_text("临时用地到期复垦回访")
    assert_accessible(f"{role} 首页")
