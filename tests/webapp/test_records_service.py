"""The record workflow services (SPEC §5): draft → submit → review → filed → closed | voided."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from webapp.services import DomainError as HTTPException
from webapp.services import NotAllowed as Forbidden

from tests.webapp.records_data import VALID_CLOSE, org_target, user, uscc, valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord, NumberCounter, ReviewDecision, Unit, User
from webapp.models.audit import AuditIsAppendOnly
from webapp.models.record import SHANGHAI
from webapp.services import Conflict, DomainError
from webapp.services import records as svc
from webapp.services.records import Blocked, InvalidInput, StaleVersion


def this_year() -> int:
    return datetime.now(SHANGHAI).year


def number(seq: int) -> str:
    return f"指导书〔{this_year()}〕{seq}号"


def last_seq() -> int:
    counter = db.session.get(NumberCounter, this_year())
    return 0 if counter is None else counter.last_seq


def events(record_id: int, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity == "record", AuditEvent.entity_id == record_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def actions(record_id: int) -> list[str]:
    """The workflow's audit actions in order (the document-hash event written after filing aside)."""
    return [e.action for e in events(record_id) if e.action != "document"]


def stored(record_id: int) -> GuidanceRecord:
    """The record as the database has it now (not the identity map's copy)."""
    db.session.rollback()
    return db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.id == record_id)
                             .execution_options(populate_existing=True))


def coercive(**overrides):
    """A record that needs legal review: coercive wording in the content."""
    return valid_record(content="当事人必须在一个月内完成复垦，建议按方案实施。", **overrides)


def pending(creator: str = "staff") -> GuidanceRecord:
    record = svc.create_draft(user("staff"), coercive())
    if creator != "staff":
        record.created_by_id = user(creator).id
        db.session.commit()
    result = svc.submit_record(user("staff"), record.id, record.version)
    assert result.record.status == "pending_review"
    return result.record


def filed(**overrides) -> GuidanceRecord:
    record = svc.create_draft(user("staff"), valid_record(**overrides))
    result = svc.submit_record(user("staff"), record.id, record.version)
    assert result.record.status == "filed", result.report.to_dict()
    return result.record


def filed_earlier(**overrides) -> GuidanceRecord:
    """A record filed before the one under test; back-dated over 30 days it is a late entry
    (补录), which goes to review and is filed by a reviewer's approval."""
    record = svc.create_draft(user("staff"), valid_record(**overrides))
    result = svc.submit_record(user("staff"), record.id, record.version)
    if result.record.status == "pending_review":
        assert [f.rule for f in result.report.findings] == ["effective.late-entry"], result.report.to_dict()
        result = svc.approve_record(user("reviewer"), record.id)
    assert result.record.status == "filed", result.report.to_dict()
    return result.record


# ---------------------------------------------------------------- clean path


def test_create_then_submit_clean_files_with_first_number(app):
    with app.app_context():
        staff = user("staff")
        record = svc.create_draft(staff, valid_record())
        assert (record.status, record.version, record.number) == ("draft", 1, None)
        assert record.owner_unit.name == "自然资源开发利用科"
        assert [e.action for e in events(record.id)] == ["create"]

        result = svc.submit_record(staff, record.id, record.version)

        assert result.report.outcome == "clean"
        saved = stored(record.id)
        assert saved.status == "filed"
        assert saved.number == number(1)
        assert (saved.number_year, saved.number_seq) == (this_year(), 1)
        assert saved.filed_at is not None and saved.filed_report["outcome"] == "clean"
        assert saved.ruleset_version == result.report.ruleset
        assert last_seq() == 1
        assert actions(record.id) == ["create", "submit", "file"]
        assert events(record.id, "file")[0].note == number(1)


def test_numbers_count_up_without_padding(app):
    with app.app_context():
        numbers = [filed(target=org_target(f"淄博某{i}号建材有限公司")).number for i in range(3)]
        assert numbers == [number(1), number(2), number(3)]


def test_filed_record_keeps_its_snapshot_interchange(app):
    with app.app_context():
        record = filed()
        data = stored(record.id).to_interchange()
        assert data["target"]["name"] == "淄博某建材有限公司"
        assert data["guided_at"] == "2026-11-20T10:00:00+08:00"
        assert data["follow_up_due"] == "2026-12-20"


# ---------------------------------------------------------------- review path


def test_coercive_wording_goes_to_review_and_approval_files(app):
    with app.app_context():
        record = pending()
        saved = stored(record.id)
        assert saved.number is None and last_seq() == 0
        assert "voluntary.coercive-wording" in {f["rule"] for f in saved.last_report["findings"]}
        assert [e.action for e in events(record.id)] == ["create", "submit"]

        result = svc.approve_record(user("reviewer"), record.id, "用语已核实，同意备案")

        saved = stored(record.id)
        assert saved.status == "filed"
        assert saved.number == number(1)
        assert last_seq() == 1
        decision = db.session.scalar(select(ReviewDecision).where(ReviewDecision.record_id == record.id))
        assert (decision.decision, decision.comment) == ("approve", "用语已核实，同意备案")
        assert decision.reviewer_id == user("reviewer").id
        assert result.report.outcome == "review"
        assert actions(record.id) == ["create", "submit", "approve", "file"]


def test_reviewer_returns_with_comment_back_to_draft(app):
    with app.app_context():
        record = pending()
        returned = svc.return_record(user("reviewer"), record.id, "请删除“必须”等强制性用语")

        saved = stored(returned.id)
        assert saved.status == "draft" and saved.number is None
        decision = db.session.scalar(select(ReviewDecision).where(ReviewDecision.record_id == record.id))
        assert (decision.decision, decision.comment) == ("return", "请删除“必须”等强制性用语")
        assert decision.report["outcome"] == "review"
        event = events(record.id, "return")[0]
        assert event.note == "请删除“必须”等强制性用语"
        assert event.changes["status"] == {"before": "pending_review", "after": "draft"}
        assert last_seq() == 0

        # The officer fixes the wording and submits again: clean → filed.
        fixed = svc.update_draft(user("staff"), record.id, {"content": valid_record()["content"]},
                                 saved.version)
        assert svc.submit_record(user("staff"), record.id, fixed.version).record.number == number(1)


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_return_without_comment_is_refused(app, comment):
    with app.app_context():
        record = pending()
        with pytest.raises(DomainError) as excinfo:
            svc.return_record(user("reviewer"), record.id, comment)
        assert excinfo.value.status == 400
        assert "审查意见" in excinfo.value.message
        assert stored(record.id).status == "pending_review"
        assert db.session.scalar(select(func.count(ReviewDecision.id))) == 0


def test_reviewer_cannot_approve_or_return_a_record_they_created(app):
    with app.app_context():
        record = pending(creator="reviewer")
        assert stored(record.id).created_by_id == user("reviewer").id

        with pytest.raises(Forbidden):
            svc.approve_record(user("reviewer"), record.id, "自己审自己")
        with pytest.raises(Forbidden):
            svc.return_record(user("reviewer"), record.id, "自己退自己")
        saved = stored(record.id)
        assert saved.status == "pending_review" and saved.number is None
        assert last_seq() == 0
        assert db.session.scalar(select(func.count(ReviewDecision.id))) == 0

        # Another reviewer may.
        svc.approve_record(user("reviewer2"), record.id, "")
        assert stored(record.id).number == number(1)


def test_admin_cannot_approve_a_record_they_created(app):
    with app.app_context():
        record = pending(creator="admin")
        with pytest.raises(Forbidden):
            svc.approve_record(user("admin"), record.id)
        assert stored(record.id).status == "pending_review"
        svc.approve_record(user("reviewer"), record.id)
        assert stored(record.id).status == "filed"


@pytest.mark.parametrize("who", ["staff", "staff2", "viewer"])
def test_only_reviewers_approve(app, who):
    with app.app_context():
        record = pending()
        with pytest.raises(HTTPException) as excinfo:
            svc.approve_record(user(who), record.id)
        assert excinfo.value.status in (403, 404)
        assert stored(record.id).status == "pending_review"


def test_approve_a_filed_record_is_a_conflict(app):
    with app.app_context():
        record = filed()
        with pytest.raises(Conflict):
            svc.approve_record(user("reviewer"), record.id)
        assert last_seq() == 1


# ---------------------------------------------------------------- blocked path


def test_admonition_with_a_false_condition_is_blocked(app):
    with app.app_context():
        conditions = {"minor": True, "no_intent": False, "corrected": True, "no_harm": True}
        record = svc.create_draft(user("staff"), valid_record(admonition_conditions=conditions))

        with pytest.raises(Blocked) as excinfo:
            svc.submit_record(user("staff"), record.id, record.version)

        assert excinfo.value.status == 422
        report = excinfo.value.report
        assert report.outcome == "blocked"
        assert "lawful.admonition-conditions" in {f.rule for f in report.errors}
        saved = stored(record.id)
        assert (saved.status, saved.number, saved.version) == ("draft", None, 1)
        assert saved.submitted_at is None
        assert last_seq() == 0
        assert db.session.get(NumberCounter, this_year()) is None
        assert events(record.id, "submit") == [] and events(record.id, "file") == []

        # The next clean filing still gets number 1.
        assert filed(target=org_target("淄博另一建材有限公司")).number == number(1)


def test_staff_of_another_unit_cannot_submit(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        with pytest.raises(HTTPException) as excinfo:
            svc.submit_record(user("staff2"), record.id)
        assert excinfo.value.status == 404  # another unit's draft is not even visible
        assert stored(record.id).status == "draft"


# ---------------------------------------------------------------- close and void


@pytest.mark.parametrize("effect", ["无", "良好", "已完成。", "见附件3", "效果良好！"])
def test_close_with_placeholder_effect_is_blocked(app, effect):
    with app.app_context():
        record = filed()
        with pytest.raises(Blocked) as excinfo:
            svc.close_record(user("staff"), record.id, {"result": "adopted", "effect": effect})
        assert "effective.effect" in {f.rule for f in excinfo.value.report.errors}
        saved = stored(record.id)
        assert (saved.status, saved.result, saved.effect) == ("filed", "pending", None)
        assert events(record.id, "close") == []


def test_close_with_pending_result_is_blocked(app):
    with app.app_context():
        record = filed()
        with pytest.raises(Blocked) as excinfo:
            svc.close_record(user("staff"), record.id, {"result": "pending",
                                                         "effect": VALID_CLOSE["effect"]})
        assert "effective.result" in {f.rule for f in excinfo.value.report.errors}
        assert stored(record.id).status == "filed"


def test_close_valid_closes_and_audits(app):
    with app.app_context():
        record = filed()
        svc.close_record(user("staff"), record.id, dict(VALID_CLOSE), version=stored(record.id).version)
        saved = stored(record.id)
        assert (saved.status, saved.result, saved.effect) == ("closed", "adopted", VALID_CLOSE["effect"])
        assert saved.closed_at is not None and saved.number == number(1)
        changes = events(record.id, "close")[0].changes
        assert changes["result"] == {"before": "pending", "after": "adopted"}
        assert changes["status"] == {"before": "filed", "after": "closed"}


def test_close_a_draft_is_a_conflict(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        with pytest.raises(Conflict):
            svc.close_record(user("staff"), record.id, dict(VALID_CLOSE))
        assert stored(record.id).status == "draft"


def test_close_refuses_other_fields(app):
    with app.app_context():
        record = filed()
        with pytest.raises(DomainError):
            svc.close_record(user("staff"), record.id, {**VALID_CLOSE, "subject": "偷改主题"})
        saved = stored(record.id)
        assert saved.status == "filed" and saved.subject == "临时用地期满未复垦归还"


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_void_without_reason_is_refused(app, reason):
    with app.app_context():
        record = filed()
        with pytest.raises(DomainError) as excinfo:
            svc.void_record(user("reviewer"), record.id, reason)
        assert "作废理由" in excinfo.value.message
        assert stored(record.id).status == "filed"


def test_void_keeps_the_number_and_cannot_be_repeated(app):
    with app.app_context():
        record = filed()
        svc.void_record(user("reviewer"), record.id, "重复登记")
        saved = stored(record.id)
        assert (saved.status, saved.number, saved.void_reason) == ("voided", number(1), "重复登记")
        assert saved.voided_at is not None
        assert events(record.id, "void")[0].note == "重复登记"

        with pytest.raises(Conflict):
            svc.void_record(user("reviewer"), record.id, "再作废一次")
        assert stored(record.id).void_reason == "重复登记"

        # The voided number is not reused.
        assert filed(target=org_target("淄博另一建材有限公司")).number == number(2)


def test_void_a_closed_record(app):
    with app.app_context():
        record = filed()
        svc.close_record(user("staff"), record.id, dict(VALID_CLOSE))
        svc.void_record(user("admin"), record.id, "指导对象登记错误")
        assert stored(record.id).status == "voided"


def test_staff_cannot_void(app):
    with app.app_context():
        record = filed()
        with pytest.raises(Forbidden):
            svc.void_record(user("staff"), record.id, "我想作废")
        assert stored(record.id).status == "filed"


def test_void_a_draft_is_a_conflict(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        with pytest.raises(Conflict):
            svc.void_record(user("reviewer"), record.id, "草稿不能作废")


# ---------------------------------------------------------------- drafts, versions, audit


def _colleague() -> User:
    """A second officer of 自然资源开发利用科."""
    unit = db.session.scalar(select(Unit).where(Unit.name == "自然资源开发利用科"))
    colleague = User(username="staff3", display_name="刘洋", role="staff", unit_id=unit.id,
                     password_hash=user("staff").password_hash)
    db.session.add(colleague)
    db.session.commit()
    return colleague


def test_stale_version_is_refused_naming_who_saved(app):
    with app.app_context():
        _colleague()
        record = svc.create_draft(user("staff"), valid_record())
        assert record.version == 1
        svc.update_draft(user("staff3"), record.id, {"subject": "刘洋改的主题"}, 1)
        assert stored(record.id).version == 2

        with pytest.raises(StaleVersion) as excinfo:
            svc.update_draft(user("staff"), record.id, {"subject": "张明改的主题"}, 1)

        assert excinfo.value.status == 409
        assert "刘洋" in excinfo.value.message
        assert excinfo.value.current_version == 2
        saved = stored(record.id)
        assert (saved.subject, saved.version) == ("刘洋改的主题", 2)
        assert saved.updated_by_id == user("staff3").id
        assert [e.action for e in events(record.id)] == ["create", "update"]


def test_stale_version_on_submit_is_refused(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        svc.update_draft(user("staff"), record.id, {"place": "王村镇"}, 1)
        with pytest.raises(StaleVersion):
            svc.submit_record(user("staff"), record.id, 1)
        assert stored(record.id).status == "draft" and last_seq() == 0


def test_update_draft_audits_field_level_before_and_after(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        new_target = {**valid_record()["target"], "name": "淄博新建材有限公司"}
        updated = svc.update_draft(user("staff"), record.id,
                                   {"subject": "临时用地复垦进度", "target": new_target}, 1)
        assert updated.version == 2

        (event,) = events(record.id, "update")
        assert event.user_id == user("staff").id
        assert event.changes["subject"] == {"before": "临时用地期满未复垦归还", "after": "临时用地复垦进度"}
        assert event.changes["target.name"] == {"before": "淄博某建材有限公司", "after": "淄博新建材有限公司"}
        assert "target.phone" not in event.changes and "content" not in event.changes
        saved = stored(record.id)
        assert (saved.subject, saved.target_name, saved.version) == ("临时用地复垦进度", "淄博新建材有限公司", 2)


def test_update_with_no_change_writes_no_event(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        svc.update_draft(user("staff"), record.id, {"subject": valid_record()["subject"]}, 1)
        assert stored(record.id).version == 1
        assert events(record.id, "update") == []


def test_update_replaces_a_top_level_value_whole(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        svc.update_draft(user("staff"), record.id,
                         {"target": {"name": "王某", "kind": "person"}}, 1)
        saved = stored(record.id)
        assert saved.to_interchange()["target"] == {"name": "王某", "kind": "person", "id_number": None,
                                                    "contact": None, "phone": None}


def test_create_audit_event_records_the_initial_values(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        (event,) = events(record.id, "create")
        assert event.changes["subject"] == {"before": None, "after": "临时用地期满未复垦归还"}
        assert event.changes["status"] == {"before": None, "after": "draft"}


@pytest.mark.parametrize("raw", [
    valid_record(nickname="老王"),
    valid_record(target={**valid_record()["target"], "wechat": "laowang"}),
    valid_record(officers="张明"),
    valid_record(informed_of_voluntariness="是的"),
    valid_record(guided_at="上周五"),
])
def test_create_with_unknown_key_or_wrong_type_saves_nothing(app, raw):
    with app.app_context():
        with pytest.raises(InvalidInput) as excinfo:
            svc.create_draft(user("staff"), raw)
        assert excinfo.value.status == 422
        assert {f.rule for f in excinfo.value.findings} <= {"input.unknown-key", "input.type",
                                                            "input.not-object"}
        assert excinfo.value.findings
        db.session.rollback()
        assert db.session.scalar(select(func.count(GuidanceRecord.id))) == 0
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize("raw", [{"nickname": "老王"}, {"officers": "张明"}, {"follow_up_due": 20261220}])
def test_update_with_unknown_key_or_wrong_type_saves_nothing(app, raw):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        with pytest.raises(InvalidInput):
            svc.update_draft(user("staff"), record.id, raw, 1)
        saved = stored(record.id)
        assert saved.version == 1 and saved.officers == ["张明", "李华"]
        assert saved.follow_up_due.isoformat() == "2026-12-20"
        assert events(record.id, "update") == []


def test_a_draft_may_be_incomplete(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), {"subject": "待补充"})
        assert record.status == "draft" and record.unit == "自然资源开发利用科"
        with pytest.raises(Blocked) as excinfo:
            svc.submit_record(user("staff"), record.id)
        assert "input.required" in {f.rule for f in excinfo.value.report.errors}


def test_hostile_text_is_stored_verbatim(app):
    with app.app_context():
        hostile = '<script>alert("x")</script>&amp;\'"'
        record = svc.create_draft(user("staff"), valid_record(subject=hostile, content=hostile + "建议复垦"))
        saved = stored(record.id)
        assert saved.subject == hostile
        assert saved.content == hostile + "建议复垦"
        assert saved.to_interchange()["subject"] == hostile


def test_only_staff_create_drafts(app):
    with app.app_context():
        for who in ("reviewer", "admin", "viewer"):
            with pytest.raises(Forbidden):
                svc.create_draft(user(who), valid_record())
        assert db.session.scalar(select(func.count(GuidanceRecord.id))) == 0


def test_filed_record_cannot_be_edited(app):
    with app.app_context():
        record = filed()
        with pytest.raises(Conflict):
            svc.update_draft(user("staff"), record.id, {"subject": "改备案后的记录"}, stored(record.id).version)
        assert stored(record.id).subject == "临时用地期满未复垦归还"


# ---------------------------------------------------------------- history rules


def test_repeat_admonition_of_the_same_target_goes_to_review(app):
    with app.app_context():
        filed_earlier(guided_at="2026-03-02T09:00:00+08:00", follow_up_due="2026-04-01")
        record = svc.create_draft(user("staff"), valid_record())

        result = svc.submit_record(user("staff"), record.id)

        assert result.report.outcome == "review"
        assert "lawful.repeat-admonition" in {f.rule for f in result.report.warnings}
        assert stored(record.id).status == "pending_review"
        assert last_seq() == 1


def test_repeat_admonition_matches_by_id_number_even_when_the_name_differs(app):
    with app.app_context():
        filed_earlier(guided_at="2026-03-02T09:00:00+08:00", follow_up_due="2026-04-01")
        renamed = {**valid_record()["target"], "name": "淄博某建材有限公司（更名后）"}
        record = svc.create_draft(user("staff"), valid_record(target=renamed))
        result = svc.submit_record(user("staff"), record.id)
        assert "lawful.repeat-admonition" in {f.rule for f in result.report.warnings}


def test_earlier_admonition_of_another_target_or_long_ago_is_no_repeat(app):
    with app.app_context():
        filed_earlier(target=org_target("淄博甲建材有限公司", uscc(1)))
        filed_earlier(guided_at="2025-11-01T09:00:00+08:00", follow_up_due="2025-12-01")  # > 365 days before
        record = svc.create_draft(user("staff"), valid_record())
        result = svc.submit_record(user("staff"), record.id)
        assert result.report.outcome == "clean"
        assert stored(record.id).number == number(3)


def test_drafts_and_voided_records_do_not_count_as_history(app):
    with app.app_context():
        svc.create_draft(user("staff"), valid_record(guided_at="2026-10-01T09:00:00+08:00",
                                                     follow_up_due="2026-11-01"))
        earlier = filed_earlier(guided_at="2026-09-01T09:00:00+08:00", follow_up_due="2026-10-01")
        svc.void_record(user("reviewer"), earlier.id, "登记错误")
        record = svc.create_draft(user("staff"), valid_record())
        assert svc.submit_record(user("staff"), record.id).report.outcome == "clean"


def test_three_earlier_records_in_30_days_is_a_burden(app):
    with app.app_context():
        reminder = dict(method="reminder", follow_up_due="2026-12-20")
        for day in ("2026-10-25", "2026-11-05", "2026-11-12"):
            filed_earlier(guided_at=f"{day}T09:00:00+08:00", **reminder)
        record = svc.create_draft(user("staff"), valid_record(**reminder))

        result = svc.submit_record(user("staff"), record.id)

        assert {f.rule for f in result.report.warnings} == {"reasonable.burden"}
        assert stored(record.id).status == "pending_review"


def test_two_earlier_records_in_30_days_is_no_burden(app):
    with app.app_context():
        reminder = dict(method="reminder", follow_up_due="2026-12-20")
        for day in ("2026-10-15", "2026-11-05", "2026-11-12"):  # the first is 36 days before
            filed_earlier(guided_at=f"{day}T09:00:00+08:00", **reminder)
        record = svc.create_draft(user("staff"), valid_record(**reminder))
        assert svc.submit_record(user("staff"), record.id).report.outcome == "clean"


def test_preview_report_saves_nothing(app):
    with app.app_context():
        report = svc.preview_report(coercive())
        assert report.outcome == "review"
        assert db.session.scalar(select(func.count(GuidanceRecord.id))) == 0


# ---------------------------------------------------------------- atomic filing, audit trail


def test_filing_that_fails_halfway_uses_no_number(app, monkeypatch):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        real_record_event = svc.record_event

        def failing_record_event(**kwargs):
            if kwargs["action"] == "file":
                raise RuntimeError("disk full")
            return real_record_event(**kwargs)

        monkeypatch.setattr(svc, "record_event", failing_record_event)
        with pytest.raises(RuntimeError, match="disk full"):
            svc.submit_record(user("staff"), record.id, record.version)
        monkeypatch.undo()

        saved = stored(record.id)
        assert (saved.status, saved.number, saved.number_seq, saved.version) == ("draft", None, None, 1)
        assert saved.submitted_at is None
        assert last_seq() == 0
        assert events(record.id, "submit") == [] and events(record.id, "file") == []

        result = svc.submit_record(user("staff"), record.id, 1)
        assert result.record.number == number(1)
        assert last_seq() == 1


def test_audit_events_cannot_be_updated(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        event = events(record.id)[0]
        event.note = "篡改"
        with pytest.raises(AuditIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert events(record.id)[0].note is None


def test_audit_events_cannot_be_deleted(app):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record())
        db.session.delete(events(record.id)[0])
        with pytest.raises(AuditIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert len(events(record.id)) == 1
