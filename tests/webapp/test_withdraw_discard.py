"""撤回 (withdraw) and 放弃草稿 (discard): who may, what the lists and counts show, the audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord, User
from webapp.services import Conflict, NotAllowed, NotFound, queries
from webapp.services import records as svc
from webapp.services.register_filter import RecordFilter


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _pending(staff: User) -> GuidanceRecord:
    record = svc.create_draft(staff, valid_record(subject="待审", content="必须整改。"))
    svc.submit_record(staff, record.id)
    assert record.status == "pending_review"
    return record


def _actions(record_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity == "record", AuditEvent.entity_id == record_id).order_by(AuditEvent.id)))


def test_withdraw_by_creator_returns_pending_record_to_draft_and_is_audited(app):
    with app.app_context():
        staff = _user("staff")
        record = _pending(staff)
        svc.withdraw_record(staff, record.id, record.version)
        record = queries.fresh_record(record.id)
        assert record.status == "draft" and record.number is None
        assert _actions(record.id)[-1] == "withdraw"
        assert record not in db.session.scalars(queries.review_queue()).all()


def test_withdraw_refused_to_others_and_after_a_decision(app):
    with app.app_context():
        staff, reviewer = _user("staff"), _user("reviewer")
        record = _pending(staff)
        colleague = User(username="colleague", display_name="同事", role="staff", unit_id=staff.unit_id,
                         password_hash=staff.password_hash)
        db.session.add(colleague)
        db.session.commit()
        with pytest.raises(NotAllowed):
            svc.withdraw_record(colleague, record.id)  # same unit, not the submitter
        with pytest.raises(NotAllowed):
            svc.withdraw_record(reviewer, record.id)
        with pytest.raises(NotFound):
            svc.withdraw_record(_user("staff2"), record.id)  # another unit's pending record is invisible
        svc.return_record(reviewer, record.id, "请补充依据")
        with pytest.raises(Conflict):  # a decision was made: nothing left to withdraw
            svc.withdraw_record(staff, record.id)


def test_withdraw_with_stale_version_is_refused(app):
    with app.app_context():
        staff = _user("staff")
        record = _pending(staff)
        with pytest.raises(svc.StaleVersion):
            svc.withdraw_record(staff, record.id, record.version - 1)
        assert queries.fresh_record(record.id).status == "pending_review"


def test_discard_removes_draft_from_lists_counts_register_and_tally(app):
    with app.app_context():
        staff, admin = _user("staff"), _user("admin")
        keep = svc.create_draft(staff, valid_record(subject="保留"))
        junk = svc.create_draft(staff, valid_record(subject="作废的草稿"))
        counts_before = queries.unit_status_counts(staff.unit_id)
        assert counts_before["draft"] == 2
        tally_before = {who.username: queries.register_count(who, RecordFilter()) for who in (staff, admin)}
        svc.discard_record(staff, junk.id, junk.version)

        assert queries.unit_status_counts(staff.unit_id) == {"draft": 1}
        mine = db.session.scalars(queries.unit_records(staff.unit_id, None)).all()
        assert [r.id for r in mine] == [keep.id]
        for who in (staff, admin):
            # the tally answers the unfiltered count; the filtered one counts the rows themselves
            assert queries.register_count(who, RecordFilter()) == tally_before[who.username] - 1
            assert queries.register_count(who, RecordFilter(q="作废的草稿")) == 0
            assert queries.register_count(who, RecordFilter(statuses=("draft",))) == 1
        assert [r.id for r in db.session.scalars(queries.discarded_records())] == [junk.id]
        assert _actions(junk.id) == ["create", "discard"]  # the trail stays


def test_discard_refused_for_numbered_and_submitted_records_and_other_roles(app):
    with app.app_context():
        staff = _user("staff")
        filed = svc.create_draft(staff, valid_record(subject="备案"))
        svc.submit_record(staff, filed.id)
        assert queries.fresh_record(filed.id).number
        with pytest.raises(Conflict):
            svc.discard_record(staff, filed.id)
        pending = _pending(staff)
        with pytest.raises(Conflict):
            svc.discard_record(staff, pending.id)
        draft = svc.create_draft(staff, valid_record())
        with pytest.raises(NotAllowed):
            svc.discard_record(_user("reviewer"), draft.id)
        with pytest.raises(NotFound):
            svc.discard_record(_user("staff2"), draft.id)


def test_discarded_draft_is_hidden_from_everyone_and_restorable_by_admin_only(app):
    with app.app_context():
        staff, admin = _user("staff"), _user("admin")
        draft = svc.create_draft(staff, valid_record())
        svc.discard_record(staff, draft.id)
        for name in ("staff", "reviewer", "admin"):
            with pytest.raises(NotFound):
                svc.update_draft(_user(name), draft.id, {"subject": "改"}, None)
        with pytest.raises(NotAllowed):
            svc.restore_record(staff, draft.id)
        svc.restore_record(admin, draft.id)
        assert queries.fresh_record(draft.id).status == "draft"
        assert _actions(draft.id)[-2:] == ["discard", "restore"]
        with pytest.raises(NotFound):  # restored already
            svc.restore_record(admin, draft.id)


def test_discard_and_withdraw_views_ask_for_confirmation(app, client, auth):
    with app.app_context():
        staff = _user("staff")
        draft = svc.create_draft(staff, valid_record(subject="草稿"))
        pending = _pending(staff)
        ids = draft.id, pending.id
    auth.login("staff")
    token = auth.csrf_token()
    page = client.get(f"/records/{ids[0]}").get_data(as_text=True)
    assert "放弃草稿" in page and 'name="discard_confirm"' in page
    response = client.post(f"/records/{ids[0]}/discard", data={"csrf_token": token})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "存在以下问题" in body and "请勾选“确认放弃”" in body and 'href="#f-discard_confirm"' in body
    response = client.post(f"/records/{ids[0]}/discard", data={"csrf_token": token, "discard_confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/records/mine")
    assert "草稿 #%d" % ids[0] in client.get("/records/mine").get_data(as_text=True)  # the flash names it
    assert client.get(f"/records/{ids[0]}").status_code == 404

    response = client.post(f"/records/{ids[1]}/withdraw", data={"csrf_token": token})
    assert response.status_code == 400 and "请勾选“确认撤回”" in response.get_data(as_text=True)
    response = client.post(f"/records/{ids[1]}/withdraw", data={"csrf_token": token, "withdraw_confirm": "yes"})
    assert response.status_code == 302
    assert "已撤回" in client.get(f"/records/{ids[1]}").get_data(as_text=True)


def test_admin_restores_a_discarded_draft_from_the_admin_page(app, client):
    with app.app_context():
        staff = _user("staff")
        draft = svc.create_draft(staff, valid_record(subject="误删的草稿"))
        svc.discard_record(staff, draft.id)
        draft_id = draft.id
    auth = AuthActions(client)
    auth.login("admin")
    page = client.get("/admin/discarded").get_data(as_text=True)
    assert "误删的草稿" in page
    response = client.post(f"/admin/discarded/{draft_id}/restore", data={"csrf_token": auth.csrf_token()},
                           follow_redirects=True)
    assert "已恢复草稿" in response.get_data(as_text=True)
    assert "误删的草稿" not in client.get("/admin/discarded").get_data(as_text=True)
    assert client.get(f"/records/{draft_id}").status_code == 200


def test_api_withdraw_and_discard_answer_like_the_other_actions(app, client):
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        staff = _user("staff")
        draft = svc.create_draft(staff, valid_record())
        pending = _pending(staff)
        ids = draft.id, pending.id, pending.version
        token = issue_api_token("staff")
        reviewer_token = issue_api_token("reviewer")
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(f"/api/v1/records/{ids[1]}/withdraw", json={"version": ids[2] - 1}, headers=headers)
    assert response.status_code == 409
    response = client.post(f"/api/v1/records/{ids[1]}/withdraw", json={"version": ids[2]}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "draft"
    assert response.get_json()["audit"][-1]["action"] == "withdraw"
    response = client.post(f"/api/v1/records/{ids[0]}/discard",
                           headers={"Authorization": f"Bearer {reviewer_token}"})
    assert response.status_code == 403
    response = client.post(f"/api/v1/records/{ids[0]}/discard", headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "discarded"
    assert client.get(f"/api/v1/records/{ids[0]}", headers=headers).status_code == 404
    listed = client.get("/api/v1/records?status=draft", headers=headers).get_json()["items"]
    assert ids[0] not in [item["id"] for item in listed]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/records/{record_id}/withdraw" in paths and "/api/v1/records/{record_id}/discard" in paths
