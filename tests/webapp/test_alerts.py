"""Alerts (issue 13): follow-ups, returned records, review age in working days, spot-check
findings; the levels at their boundaries; GET /api/v1/alerts and the homes that show them."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from rules.model import SHANGHAI

from tests.webapp.records_data import user, valid_record
from webapp.extensions import db
from webapp.models import SpotCheck
from webapp.services import alerts
from webapp.services import records as svc
from webapp.services import spot_checks

D = date


@pytest.mark.parametrize("due, level", [
    (D(2026, 12, 12), None),      # 8 days ahead: not yet
    (D(2026, 12, 11), "amber"),   # 7 days ahead
    (D(2026, 12, 4), "amber"),    # today
    (D(2026, 12, 3), "red"),      # yesterday: overdue
])
def test_alerts_follow_up_level_boundaries(due, level):
    assert alerts.follow_up_level(due, D(2026, 12, 4)) == level


@pytest.mark.parametrize("age, level", [(0, "info"), (3, "info"), (4, "amber"), (5, "amber"), (6, "red")])
def test_alerts_review_level_boundaries(age, level):
    assert alerts.review_level(age) == level


def _filed(staff, **overrides) -> int:
    record = svc.create_draft(staff, valid_record(**overrides), submit=True)
    assert record.status == "filed"
    return record.id


def _pending(staff, submitted_at: datetime) -> int:
    record = svc.create_draft(staff, valid_record(content="必须整改。"), submit=True)
    assert record.status == "pending_review"
    record.submitted_at = submitted_at
    db.session.commit()
    return record.id


def test_alerts_follow_up_due_within_seven_days_and_overdue(app):
    with app.app_context():
        staff = user("staff")
        record_id = _filed(staff)  # 回访期限 2026-12-20, result 待反馈
        unit = staff.unit_id
        assert alerts.follow_ups(unit, D(2026, 12, 12)) == []
        [amber] = alerts.follow_ups(unit, D(2026, 12, 13))
        assert (amber.record_id, amber.due, amber.level) == (record_id, D(2026, 12, 20), "amber")
        assert alerts.follow_ups(unit, D(2026, 12, 20))[0].level == "amber"
        assert alerts.follow_ups(unit, D(2026, 12, 21))[0].level == "red"
        assert alerts.follow_ups(user("staff2").unit_id, D(2026, 12, 21)) == []  # another unit's


def test_alerts_follow_up_ends_with_a_result(app):
    with app.app_context():
        staff = user("staff")
        record_id = _filed(staff)
        svc.close_record(staff, record_id, {"result": "adopted", "effect": "当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。"})
        assert alerts.follow_ups(staff.unit_id, D(2026, 12, 21)) == []


def test_alerts_review_age_in_working_days_at_the_boundaries(app):
    with app.app_context():
        staff = user("staff")
        _pending(staff, datetime(2026, 11, 16, 10, tzinfo=SHANGHAI))  # a Monday
        levels = {today: alerts.review_waiting(today)[0] for today in
                  (D(2026, 11, 19), D(2026, 11, 20), D(2026, 11, 23), D(2026, 11, 24))}
        assert [(a.age, a.level) for a in levels.values()] == [(3, "info"), (4, "amber"), (5, "amber"), (6, "red")]


def test_alerts_review_age_skips_the_spring_festival(app):
    with app.app_context():
        _pending(user("staff"), datetime(2026, 2, 13, 16, tzinfo=SHANGHAI))  # Friday before 春节
        [waiting] = alerts.review_waiting(D(2026, 2, 24))
        assert (waiting.age, waiting.level) == (2, "info")  # 2-14 (调休 Saturday) and 2-24 only


def test_alerts_returned_record_carries_the_comment_and_date(app):
    with app.app_context():
        staff, reviewer = user("staff"), user("reviewer")
        record_id = _pending(staff, datetime(2026, 11, 16, 10, tzinfo=SHANGHAI))
        svc.return_record(reviewer, record_id, "请补充法律依据的条款内容")
        [item] = [a for a in alerts.alerts_for(staff, D(2026, 11, 30)) if a.kind == "returned"]
        assert (item.record_id, item.note) == (record_id, "请补充法律依据的条款内容")
        assert item.since == datetime.now(SHANGHAI).date()
        assert alerts.returned_records(user("staff2").unit_id) == []
        svc.submit_record(staff, record_id)  # resubmitted: no longer waiting for the officer
        assert alerts.returned_records(staff.unit_id) == []


def test_alerts_spot_check_problem_reaches_the_unit_until_voided(app):
    with app.app_context():
        staff, reviewer = user("staff"), user("reviewer")
        record_id = _filed(staff)
        check = db.session.query(SpotCheck).filter_by(record_id=record_id).one_or_none()
        if check is None:
            check = SpotCheck(record_id=record_id, draw_value=0.5, rate=1.0)
            db.session.add(check)
            db.session.commit()
        spot_checks.conclude_spot_check(reviewer, check.id, "problem", "告知当事人自愿原则的记载不完整")
        [item] = alerts.spot_check_problems(staff.unit_id)
        assert (item.record_id, item.level, item.note) == (record_id, "red", "告知当事人自愿原则的记载不完整")
        assert alerts.spot_check_problems(user("staff2").unit_id) == []
        svc.void_record(reviewer, record_id, "抽查发现问题，作废重录")
        assert alerts.spot_check_problems(staff.unit_id) == []


def test_alerts_api_returns_the_callers_items(app, client, auth):
    with app.app_context():
        staff = user("staff")
        _pending(staff, datetime(2026, 11, 16, 10, tzinfo=SHANGHAI))
        filed_id = _filed(staff)
    auth.login("staff")
    mine = client.get("/api/v1/alerts").get_json()
    follow_up = [a for a in mine if a["kind"] == "follow_up"]
    # Today decides whether 2026-12-20 is within 7 days; either way every item has the four keys.
    assert all({"kind", "record_id", "due", "level"} <= set(a) for a in mine)
    assert all(a["record_id"] == filed_id and a["due"] == "2026-12-20" for a in follow_up)
    auth.logout()
    auth.login("reviewer")
    waiting = client.get("/api/v1/alerts").get_json()
    assert [a["kind"] for a in waiting if a["kind"] == "review_waiting"] == ["review_waiting"]
    assert waiting[0]["age_working_days"] >= 6 and waiting[0]["level"] == "red"
    auth.logout()
    auth.login("viewer")
    assert client.get("/api/v1/alerts").get_json() == []


def test_alerts_api_needs_a_login(client):
    response = client.get("/api/v1/alerts")
    assert response.status_code == 401 and response.get_json()["error"]


# --- homes ------------------------------------------------------------------------------------------


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr(alerts, "today_in_shanghai", lambda now=None: D(2026, 12, 21))


def test_home_staff_links_every_count_and_shows_returned_and_overdue(app, client, auth, pinned_today):
    with app.app_context():
        staff = user("staff")
        record_id = _pending(staff, datetime(2026, 11, 16, 10, tzinfo=SHANGHAI))
        svc.return_record(user("reviewer"), record_id, "请补充法律依据的条款内容")
        _filed(staff)
    auth.login("staff")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/records/mine?status=draft"' in page
    assert 'href="#returned"' in page and "请补充法律依据的条款内容" in page
    assert 'href="#follow-ups"' in page and "已逾期 1 天" in page  # due 12-20, today 12-21
    for key in ("pending_review", "filed", "closed", "voided"):
        assert f'href="/records/mine?status={key}"' in page


def test_home_reviewer_counts_the_bureaus_waiting_records(app, client, auth, pinned_today):
    with app.app_context():
        staff, staff2 = user("staff"), user("staff2")
        _pending(staff, datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))
        record = svc.create_draft(staff2, valid_record(content="必须整改。", unit="执法监督科"), submit=True)
        record.submitted_at = datetime(2026, 12, 18, 10, tzinfo=SHANGHAI)
        db.session.commit()
    auth.login("reviewer")
    page = client.get("/").get_data(as_text=True)
    # Two records of other units wait: the reviewer's home says 2, linked to the queue.
    assert '<a href="/review">2<span class="visually-hidden">' in page
    assert 'href="/review/spot-checks"' in page
    assert "已等待 7 个工作日" in page and "超过 5 个工作日" in page   # 12-10 → 12-21
    assert "已等待 1 个工作日" in page                                  # Friday 12-18 → Monday 12-21
    assert 'href="/register?status=pending_review"' in page


def test_home_admin_shows_users_lockouts_checks_and_backup(app, client, auth):
    auth.login("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/security"' in page and "用户（启用 6）" in page
    assert "未找到" in page  # no backup was ever taken in a test
    assert "检查通过" in page


def test_home_viewer_shows_recent_filings(app, client, auth):
    with app.app_context():
        _filed(user("staff"), subject="临时用地到期复垦提醒")
    auth.login("viewer")
    page = client.get("/").get_data(as_text=True)
    assert "最近备案" in page and "临时用地到期复垦提醒" in page
    assert 'href="/register?status=filed"' in page
    assert "status=draft" not in page and "status=voided" in page  # drafts are not a viewer's to count


def test_review_queue_shows_each_records_age_in_working_days(app, client, auth, pinned_today):
    with app.app_context():
        _pending(user("staff"), datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))  # Thursday
    auth.login("reviewer")
    page = client.get("/review").get_data(as_text=True)
    assert "已等待 7 个工作日" in page and "超过 5 个工作日" in page
    partial = client.get("/review", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "已等待 7 个工作日" in partial
