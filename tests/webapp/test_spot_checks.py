"""Who reviews what (issue 12.3): REVIEW_POLICY, the reproducible 抽查 draw, conclusions and figures."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import make_app
from tests.webapp.records_data import user, valid_record
from webapp.config import StartupError
from webapp.extensions import db
from webapp.models import AuditEvent, SpotCheck
from webapp.reports.stats import spot_check_rows
from webapp.services import NotAllowed, statistics
from webapp.services import records as svc
from webapp.services import spot_checks
from tests.webapp.reports.conftest import make_stats

SEED = "test-only-secret"  # the fixture app's SECRET_KEY, which seeds the draw by default


# --- the draw ---------------------------------------------------------------------------------------


def test_spot_check_draw_is_reproducible_for_a_seed():
    first = [spot_checks.draw_value("seed-a", i) for i in range(1, 200)]
    assert first == [spot_checks.draw_value("seed-a", i) for i in range(1, 200)]
    assert first != [spot_checks.draw_value("seed-b", i) for i in range(1, 200)]
    assert all(0 <= v < 1 for v in first)


@pytest.mark.parametrize("seed", ["seed-a", "seed-b", SEED, b"\x00\x01binary"])
@pytest.mark.parametrize("rate", [0.10, 0.05, 0.30])
def test_spot_check_draw_share_within_three_points_on_10000_filings(seed, rate):
    drawn = sum(spot_checks.is_drawn(seed, record_id, rate) for record_id in range(1, 10_001))
    assert abs(drawn / 10_000 - rate) <= 0.03


def test_spot_check_rate_zero_and_one_draw_nothing_and_everything():
    assert not any(spot_checks.is_drawn(SEED, i, 0.0) for i in range(1, 1000))
    assert all(spot_checks.is_drawn(SEED, i, 1.0) for i in range(1, 1000))


# --- filings end to end ------------------------------------------------------------------------------


def _file_clean(staff, n: int) -> list[int]:
    ids = []
    for k in range(n):
        record = svc.create_draft(staff, valid_record(subject=f"临时用地复垦指导{k}"), submit=True)
        assert record.status == "filed"
        ids.append(record.id)
    return ids


def test_spot_check_real_filings_are_drawn_as_the_seed_predicts(app):
    app.config["SPOT_CHECK_RATE"] = 0.5
    with app.app_context():
        ids = _file_clean(user("staff"), 12)
        drawn = set(db.session.scalars(select(SpotCheck.record_id)))
        assert drawn == {i for i in ids if spot_checks.is_drawn(SEED, i, 0.5)}
        assert 0 < len(drawn) < len(ids)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "spot_check_draw")).all()
        assert {e.entity_id for e in events} == drawn


def test_spot_check_every_clean_filing_drawn_at_rate_one_with_an_audit_event(app):
    app.config["SPOT_CHECK_RATE"] = 1.0
    with app.app_context():
        ids = _file_clean(user("staff"), 3)
        assert sorted(db.session.scalars(select(SpotCheck.record_id))) == ids
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "spot_check_draw",
                                                            AuditEvent.entity_id == ids[0]))
        assert "列入抽查" in event.note and "100%" in event.note


def test_spot_check_reviewed_records_are_never_drawn(app):
    app.config["SPOT_CHECK_RATE"] = 1.0
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record(content="必须整改。"), submit=True)
        assert record.status == "pending_review"
        svc.approve_record(user("reviewer"), record.id)
        assert db.session.scalars(select(SpotCheck)).all() == []


def test_review_policy_all_sends_a_clean_record_to_review(app):
    app.config["REVIEW_POLICY"] = "all"
    app.config["SPOT_CHECK_RATE"] = 1.0
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record(), submit=True)
        assert record.status == "pending_review" and record.number is None
        assert record.last_report["outcome"] == "clean"
        assert db.session.scalars(select(SpotCheck)).all() == []  # everything is reviewed: no draw
        note = db.session.scalar(select(AuditEvent.note).where(AuditEvent.action == "submit",
                                                               AuditEvent.entity_id == record.id))
        assert "全部审查" in note


def test_review_policy_all_page_tells_the_officer(app, client, auth):
    from webapp.records.forms import post_data

    app.config["REVIEW_POLICY"] = "all"
    auth.login("staff")
    response = client.post("/records/new", data=post_data(valid_record(), csrf_token=auth.csrf_token(),
                                                           action="submit"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "规则检查通过，已提交政策法规科审查" in page


@pytest.mark.parametrize("overrides, message", [
    ({"REVIEW_POLICY": "some"}, "REVIEW_POLICY"),
    ({"SPOT_CHECK_RATE": 1.5}, "SPOT_CHECK_RATE"),
    ({"SPOT_CHECK_RATE": "0.1"}, "SPOT_CHECK_RATE"),
])
def test_review_settings_refused_at_start_up(tmp_path, overrides, message):
    with pytest.raises(StartupError, match=message):
        make_app("sqlite://", tmp_path / "instance", **overrides)


# --- conclusions ---------------------------------------------------------------------------------------


@pytest.fixture
def drawn(app):
    """One filed record in the 抽查 queue; returns (spot check id, record id)."""
    app.config["SPOT_CHECK_RATE"] = 1.0
    with app.app_context():
        [record_id] = _file_clean(user("staff"), 1)
        check_id = db.session.scalar(select(SpotCheck.id).where(SpotCheck.record_id == record_id))
    app.config["SPOT_CHECK_RATE"] = 0.0
    return check_id, record_id


def test_spot_check_conclusions_are_audited_and_final(app, drawn):
    check_id, record_id = drawn
    with app.app_context():
        with pytest.raises(NotAllowed):
            spot_checks.conclude_spot_check(user("staff"), check_id, "clean", "")
        with pytest.raises(spot_checks.InvalidConclusion) as refused:
            spot_checks.conclude_spot_check(user("reviewer"), check_id, "problem", "  ")
        assert refused.value.field == "note"
        with pytest.raises(spot_checks.InvalidConclusion) as refused:
            spot_checks.conclude_spot_check(user("reviewer"), check_id, "maybe", "")
        assert refused.value.field == "result"
        check = spot_checks.conclude_spot_check(user("reviewer"), check_id, "clean", "")
        assert (check.result, check.checked_by.username) == ("clean", "reviewer")
        with pytest.raises(svc.Conflict):
            spot_checks.conclude_spot_check(user("reviewer2"), check_id, "problem", "另有问题")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "spot_check"))
        assert event.entity_id == record_id and event.changes["spot_check"]["after"] == "clean"


def test_spot_check_page_lists_the_queue_and_records_a_finding(app, client, auth, drawn):
    check_id, record_id = drawn
    auth.login("reviewer")
    page = client.get("/review/spot-checks").get_data(as_text=True)
    assert f'action="/review/spot-checks/{check_id}"' in page and "临时用地复垦指导0" in page
    token = auth.csrf_token()
    refused = client.post(f"/review/spot-checks/{check_id}",
                          data={"csrf_token": token, "result": "problem", "note": ""})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert f'href="#sc-{check_id}-note"' in body and 'id="sc-{}-note-error"'.format(check_id) in body
    assert re.search(r'<input[^>]*value="problem" checked', body)  # the choice is kept
    done = client.post(f"/review/spot-checks/{check_id}",
                       data={"csrf_token": token, "result": "problem", "note": "未载明告知自愿原则"})
    assert done.status_code == 302
    page = client.get("/review/spot-checks").get_data(as_text=True)
    assert "没有等待抽查的记录" in page and "未载明告知自愿原则" in page
    assert f'href="/records/{record_id}#f-reason"' in page  # 作废 is offered
    again = client.post(f"/review/spot-checks/{check_id}", data={"csrf_token": token, "result": "clean"},
                        follow_redirects=True)
    assert "无需重复" in again.get_data(as_text=True)
    assert client.post("/review/spot-checks/999999", data={"csrf_token": token, "result": "clean"}).status_code == 404
    auth.logout()
    auth.login("staff")
    home = client.get("/").get_data(as_text=True)
    assert "未载明告知自愿原则" in home and 'href="#spot-problems"' in home
    assert client.get("/review/spot-checks").status_code == 403


def test_spot_check_figures_in_statistics_page_and_pdf_labels(app, client, auth, drawn):
    check_id, _record_id = drawn
    with app.app_context():
        assert statistics.year_stats(2025).spot_checks is None  # nothing drawn that year: hidden
        assert statistics.year_stats(2026).spot_checks == {"drawn": 1, "checked": 0, "clean": 0, "problem": 0}
        spot_checks.conclude_spot_check(user("reviewer"), check_id, "problem", "记载不完整")
        figures = statistics.year_stats(2026, "自然资源开发利用科").spot_checks
        assert figures == {"drawn": 1, "checked": 1, "clean": 0, "problem": 1}
        assert statistics.year_stats(2026, "执法监督科").spot_checks is None
        assert statistics.year_stats(2026).to_json()["spot_checks"]["problem"] == 1
    auth.login("viewer")
    page = client.get("/stats?year=2026").get_data(as_text=True)
    assert "抽取数" in page and "已抽查数" in page
    rows = spot_check_rows(make_stats(spot_checks={"drawn": 5, "checked": 4, "clean": 3, "problem": 1}))
    assert rows == [("抽取数", 5), ("已抽查数", 4), ("无误", 3), ("有问题", 1)]
