"""Record pages: capture, live findings, submit, review, close, void, lists, rules page."""
import re

import pytest
from sqlalchemy import func, select

from webapp.records.forms import post_data
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import GuidanceRecord, User

FALSE_CONDITION = {"minor": True, "no_intent": False, "corrected": True, "no_harm": True}


@pytest.fixture
def staff(auth):
    auth.login("staff")
    return auth


def form_data(record, *, csrf, action="save", version=None):
    """The browser's post for a §3 record, built by the app's own form codec."""
    extra = {"csrf_token": csrf, "action": action}
    if version is not None:
        extra["version"] = str(version)
    return post_data(record, **extra)


def post_form(client, auth, url, record, **kw):
    return client.post(url, data=form_data(record, csrf=auth.csrf_token(), **kw))


def record_by_subject(app, subject):
    with app.app_context():
        return db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.subject == subject))


def test_new_record_form_full_page(client, staff):
    response = client.get("/records/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in body
    for label in ("指导对象名称", "指导时间", "指导人员", "存在问题", "指导意见", "劝导警示适用条件", "回访案件", "政策指引项目"):
        assert label in body
    assert 'id="findings-panel"' in body and 'hx-post="/records/validate"' in body
    assert 'value="自然资源开发利用科"' in body  # the officer's unit is prefilled
    assert "ZD-TD-03" in body  # the searchable catalog list


def test_live_findings_partial_groups_by_principle(client, staff):
    record = valid_record(admonition_conditions=FALSE_CONDITION)
    data = dict(form_data(record, csrf=staff.csrf_token()), attempted="yes")  # all findings listed
    response = client.post("/records/validate", data=data, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.count('class="principle ') == 8
    assert "有须修改的问题" in body
    lawful = body[body.index("<strong>合法</strong>"):body.index("<strong>合理</strong>")]
    assert "✗ 须修改" in lawful and "lawful.admonition-conditions" in lawful
    assert 'href="#f-admonition_conditions-no_intent"' in lawful
    voluntary = body[body.index("<strong>自愿</strong>"):body.index("<strong>合法</strong>")]
    assert "✓ 符合" in voluntary


def test_live_findings_saves_nothing(app, client, staff):
    client.post("/records/validate", data=form_data(valid_record(), csrf=staff.csrf_token()))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GuidanceRecord)) == 0


def test_save_draft_then_edit_keeps_every_field(app, client, staff):
    response = post_form(client, staff, "/records/new", valid_record(subject="草稿测试"))
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    record = record_by_subject(app, "草稿测试")
    assert record.status == "draft" and record.target_name == "淄博某建材有限公司"
    assert record.officers == ["张明", "李华"] and record.admonition_conditions["no_harm"] is True
    assert record.legal_basis == [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}]
    page = client.get(f"/records/{record.id}/edit").get_data(as_text=True)
    assert 'value="2026-11-20T10:00"' in page and 'value="李华"' in page and "第五十七条" in page


def test_submit_clean_record_is_filed_with_number(app, client, staff):
    response = post_form(client, staff, "/records/new", valid_record(subject="直接备案"), action="submit")
    assert response.status_code == 302
    record = record_by_subject(app, "直接备案")
    assert record.status == "filed" and re.fullmatch(r"指导书〔20\d\d〕1号", record.number)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert record.number in page and "已备案" in page


def test_submit_blocked_is_422_with_summary_inline_and_values_kept(app, client, staff):
    record = valid_record(subject="条件不符<b>", admonition_conditions=FALSE_CONDITION)
    response = post_form(client, staff, "/records/new", record, action="submit")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "存在以下问题" in body
    assert 'href="#f-admonition_conditions-no_intent"' in body  # summary links to the field
    assert 'id="f-admonition_conditions-error"' in body  # and the message is inline, at the group
    assert "不得以行政指导代替行政执法" in body
    assert 'value="条件不符&lt;b&gt;"' in body  # what was typed is kept (and escaped)
    assert 'value="李华"' in body
    saved = record_by_subject(app, "条件不符<b>")
    assert saved.status == "draft" and saved.number is None  # the draft is kept, no number used
    assert response.headers["HX-Push-Url"] == f"/records/{saved.id}/edit"


def test_submit_with_warning_goes_to_review_and_reviewer_approves(app, client, auth):
    auth.login("staff")
    record = valid_record(subject="强制措辞", content="当事人必须在十日内完成复垦。")
    response = post_form(client, auth, "/records/new", record, action="submit")
    assert response.status_code == 200 and "将提交政策法规科审查" in response.get_data(as_text=True)
    asked = record_by_subject(app, "强制措辞")
    assert asked.status == "draft"  # saved, waiting for the officer's confirmation
    response = post_form(client, auth, f"/records/{asked.id}/edit", record, action="confirm_submit",
                         version=asked.version)
    assert response.status_code == 302
    saved = record_by_subject(app, "强制措辞")
    assert saved.status == "pending_review" and saved.number is None
    page = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "待审查" in page and "voluntary.coercive-wording" in page
    auth.logout()
    auth.login("reviewer")
    queue = client.get("/review").get_data(as_text=True)
    assert "强制措辞" in queue and "必须" in queue
    response = client.post(f"/records/{saved.id}/approve",
                           data={"csrf_token": auth.csrf_token(), "comment": "措辞已核实", "version": saved.version})
    assert response.status_code == 302
    filed = record_by_subject(app, "强制措辞")
    assert filed.status == "filed" and filed.number.endswith("〕1号")
    page = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "措辞已核实" in page and filed.number in page


def _pending(app, client, auth, subject="待审"):
    auth.login("staff")
    post_form(client, auth, "/records/new", valid_record(subject=subject, content="必须整改。"),
              action="confirm_submit")
    auth.logout()
    return record_by_subject(app, subject)


def test_return_requires_comment_and_shows_it_to_the_officer(app, client, auth):
    saved = _pending(app, client, auth)
    auth.login("reviewer")
    response = client.post(f"/records/{saved.id}/return", data={"csrf_token": auth.csrf_token(), "comment": " "})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "退回时请填写审查意见" in body and 'href="#f-comment"' in body
    response = client.post(f"/records/{saved.id}/return",
                           data={"csrf_token": auth.csrf_token(), "comment": "请删除“必须”等强制性措辞"})
    assert response.status_code == 302
    assert record_by_subject(app, "待审").status == "draft"
    auth.logout()
    auth.login("staff")
    page = client.get(f"/records/{saved.id}/edit").get_data(as_text=True)
    assert "审查退回意见" in page and "请删除“必须”等强制性措辞" in page


def test_reviewer_cannot_review_own_record(app, client, auth):
    saved = _pending(app, client, auth)
    with app.app_context():
        reviewer = db.session.scalar(select(User).where(User.username == "reviewer"))
        db.session.get(GuidanceRecord, saved.id).created_by_id = reviewer.id
        db.session.commit()
    auth.login("reviewer")
    response = client.post(f"/records/{saved.id}/approve", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 403
    assert "不能审查本人创建的记录" in response.get_data(as_text=True)
    assert record_by_subject(app, "待审").status == "pending_review"


def test_stale_save_is_409_and_keeps_the_users_input(app, client, staff):
    post_form(client, staff, "/records/new", valid_record(subject="并发修改"))
    saved = record_by_subject(app, "并发修改")
    first = post_form(client, staff, f"/records/{saved.id}/edit", valid_record(subject="并发修改"),
                      version=saved.version)
    assert first.status_code == 302  # no change → version stays; now someone else saves
    post_form(client, staff, f"/records/{saved.id}/edit", valid_record(subject="别人改的"), version=saved.version)
    response = post_form(client, staff, f"/records/{saved.id}/edit", valid_record(subject="我的修改"),
                         version=saved.version)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "保存冲突" in body and "张明" in body and "您的修改未保存" in body
    assert 'value="我的修改"' in body
    with app.app_context():
        assert db.session.get(GuidanceRecord, saved.id).subject == "别人改的"


def test_hostile_text_is_escaped_on_record_page(app, client, staff):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    post_form(client, staff, "/records/new", valid_record(subject="恶意", content=evil))
    saved = record_by_subject(app, "恶意")
    body = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "<img src=x" not in body


def _filed(app, client, auth, subject="已备案"):
    auth.login("staff")
    post_form(client, auth, "/records/new", valid_record(subject=subject), action="submit")
    return record_by_subject(app, subject)


def test_close_with_placeholder_is_422_then_valid_close(app, client, auth):
    saved = _filed(app, client, auth)
    response = client.post(f"/records/{saved.id}/close",
                           data={"csrf_token": auth.csrf_token(), "result": "adopted", "effect": "良好",
                                 "version": saved.version})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#f-effect"' in body and 'id="f-effect-error"' in body and ">良好</textarea>" in body
    response = client.post(f"/records/{saved.id}/close",
                           data={"csrf_token": auth.csrf_token(), "result": "adopted",
                                 "effect": "当事人已完成复垦并归还土地，经核查符合要求。", "version": saved.version})
    assert response.status_code == 302
    assert record_by_subject(app, "已备案").status == "closed"


def test_void_requires_reason_and_keeps_number(app, client, auth):
    saved = _filed(app, client, auth)
    auth.logout()
    auth.login("reviewer")
    response = client.post(f"/records/{saved.id}/void", data={"csrf_token": auth.csrf_token(), "reason": ""})
    assert response.status_code == 400 and "请填写作废理由" in response.get_data(as_text=True)
    response = client.post(f"/records/{saved.id}/void", data={"csrf_token": auth.csrf_token(), "reason": "重复登记"})
    assert response.status_code == 302
    voided = record_by_subject(app, "已备案")
    assert voided.status == "voided" and voided.number == saved.number


def test_double_submit_files_once(app, client, auth):
    auth.login("staff")
    post_form(client, auth, "/records/new", valid_record(subject="双击"))
    saved = record_by_subject(app, "双击")
    data = {"csrf_token": auth.csrf_token(), "version": saved.version}
    assert client.post(f"/records/{saved.id}/submit", data=data).status_code == 302
    second = client.post(f"/records/{saved.id}/submit", data=data, follow_redirects=True)
    assert second.status_code == 200 and "不能提交" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GuidanceRecord)
                                 .where(GuidanceRecord.number.is_not(None))) == 1


def test_viewer_sees_person_id_masked(app, client, auth):
    person = {"name": "王某", "kind": "person", "id_number": "11010519491231002X", "phone": "13905330000"}
    _ = _filed(app, client, auth)
    post_form(client, auth, "/records/new", valid_record(subject="个人", target=person), action="submit")
    saved = record_by_subject(app, "个人")
    assert saved.status == "filed"
    auth.logout()
    auth.login("viewer")
    body = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "11010519491231002X" not in body and "110105********002X" in body


def test_lists_full_page_and_htmx_partial(app, client, staff):
    post_form(client, staff, "/records/new", valid_record(subject="列表项"))
    page = client.get("/records/mine")
    assert "<html" in page.get_data(as_text=True) and "列表项" in page.get_data(as_text=True)
    partial = client.get("/records/mine?status=draft", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "列表项" in body
    assert "列表项" not in client.get("/records/mine?status=filed").get_data(as_text=True)
    assert "列表项" not in client.get("/records/filed").get_data(as_text=True)  # drafts are not public


def test_rules_page_lists_every_rule_with_version(client, staff):
    import rules

    body = client.get("/rules").get_data(as_text=True)
    assert rules.RULESET.version in body
    for rule in rules.RULESET.rules:
        assert rule.id in body
    assert "行政处罚法" in body


def test_edit_form_invalid_type_is_422_nothing_saved(app, client, staff):
    post_form(client, staff, "/records/new", valid_record(subject="类型"))
    saved = record_by_subject(app, "类型")
    data = form_data(valid_record(subject="类型改"), csrf=staff.csrf_token(), version=saved.version)
    data["guided_at"] = "明天上午"
    response = client.post(f"/records/{saved.id}/edit", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#f-guided_at"' in body and 'value="明天上午"' in body
    assert record_by_subject(app, "类型").subject == "类型"


@pytest.mark.parametrize("path", ["/records/99999999999999999999", "/records/99999999999999999999/edit",
                                  "/records/0", "/records/99999999999999999999/document.pdf"])
def test_absurd_ids_are_404_not_500(client, staff, path):
    assert client.get(path).status_code == 404


def test_unknown_unit_in_a_register_export_is_400(client, staff):
    response = client.get("/register.pdf?unit=99999999999999999999")
    assert response.status_code == 400 and "没有名为" in response.get_data(as_text=True)


def test_viewer_timeline_masks_id_number_changes(app, client, auth):
    auth.login("staff")
    person = {"name": "王某", "kind": "person", "id_number": "11010519491231002X", "phone": "13905330000"}
    post_form(client, auth, "/records/new", valid_record(subject="改证件", target=person))
    saved = record_by_subject(app, "改证件")
    changed = dict(person, id_number="370306198001010011")
    post_form(client, auth, f"/records/{saved.id}/edit", valid_record(subject="改证件", target=changed),
              version=saved.version, action="submit")
    assert record_by_subject(app, "改证件").status == "filed"
    auth.logout()
    auth.login("viewer")
    body = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "11010519491231002X" not in body and "370306198001010011" not in body
    assert "110105********002X" in body


def test_service_refuses_non_object_input(app):
    from webapp.services.records import InvalidInput, read_input

    with app.app_context(), pytest.raises(InvalidInput):
        read_input(["not", "a", "record"])


@pytest.mark.parametrize("field,value", [("version", "¹"), ("version", "9" * 40), ("record_id", "²"),
                                         ("record_id", "99999999999999999999")])
def test_odd_numbers_in_hidden_fields_are_not_500(app, client, staff, field, value):
    post_form(client, staff, "/records/new", valid_record(subject="隐藏字段"))
    saved = record_by_subject(app, "隐藏字段")
    data = form_data(valid_record(subject="隐藏字段改"), csrf=staff.csrf_token(), version=saved.version)
    data[field] = value
    response = client.post(f"/records/{saved.id}/edit", data=data)
    assert response.status_code == (409 if field == "version" else 302)  # no readable version: never saved blindly
    assert client.post("/records/validate", data=data).status_code == 200
