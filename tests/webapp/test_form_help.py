"""The form that helps (issue 13): summary in form order, merged findings, a touched-only live
panel, warning reasons with a confirmation step, catalog names, the record page in officer words."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from rules.model import SHANGHAI
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import GuidanceRecord
from webapp.records.forms import FORM_ORDER, post_data
from webapp.services.presenting import errors_by_field
from webapp.templating import cn_date, cn_datetime

COERCIVE = "当事人必须在十日内完成复垦。"
REASON_KEY = "voluntary.coercive-wording|content"
TWO_MISSING = {"minor": True, "no_intent": False, "corrected": True, "no_harm": False}


@pytest.fixture
def staff(auth):
    auth.login("staff")
    return auth


def _post(client, auth, url, record, **extra):
    return client.post(url, data=post_data(record, csrf_token=auth.csrf_token(), **extra))


def _saved(app, subject) -> GuidanceRecord:
    with app.app_context():
        return db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.subject == subject))


def _summary_links(body: str) -> list[tuple[str, str]]:
    summary = body[body.index('class="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def _input_ids(body: str) -> list[str]:
    start = body.index('id="record-form"')
    form = body[start:body.index("</form>", start)]
    return re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', form)


def test_form_help_error_summary_follows_the_form_one_line_per_field(client, staff):
    record = valid_record(subject=None, catalog_code=None, informed_of_voluntariness=False,
                          admonition_conditions=TWO_MISSING, opinion=None,
                          target={"name": None, "kind": "organization", "phone": "123"}, contact_person=None)
    response = _post(client, staff, "/records/new", record, action="submit")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    links = _summary_links(body)
    ids = _input_ids(body)
    anchors = [anchor for anchor, _ in links]
    assert len(anchors) == len(set(anchors)) >= 7  # one line per field
    assert [a for a in anchors if a not in ids] == []  # each link focuses a real input
    assert anchors == sorted(anchors, key=ids.index)  # in the order the officer meets them
    assert anchors[0] == "f-catalog_code"
    # The admonition conditions are one line naming both, linking to the first unchecked box.
    conditions = [text for anchor, text in links if anchor.startswith("f-admonition_conditions")]
    assert len(conditions) == 1 and "无主观故意、未造成危害后果" in conditions[0]
    assert ("f-admonition_conditions-no_intent", conditions[0]) in links
    # Wording matches the label on screen: the summary line names the field as its label does.
    subject = dict(links)["f-subject"]
    assert "指导事项" in subject and '<label for="f-subject">指导事项' in body


def test_form_help_several_errors_on_one_field_are_joined():
    findings = [
        {"rule": "b", "principle": "input", "severity": "error", "field": "subject", "message": "第二。"},
        {"rule": "a", "principle": "input", "severity": "error", "field": "catalog_code", "message": "甲。"},
        {"rule": "c", "principle": "input", "severity": "error", "field": "subject", "message": "第三。"},
        {"rule": "d", "principle": "input", "severity": "warning", "field": "subject", "message": "提示。"},
        {"rule": "e", "principle": "input", "severity": "error", "field": "officers.1", "message": "乙。"},
    ]
    errors = errors_by_field(findings, FORM_ORDER)
    assert list(errors) == ["catalog_code", "officers", "subject"]
    assert errors["subject"] == "第二。第三。"


def test_form_help_live_panel_lists_only_touched_inputs(client, staff):
    blank = {"csrf_token": staff.csrf_token(), "target.name": "淄博某公司", "touched": "target.name"}
    body = client.post("/records/validate", data=blank, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-rule="input.required"' not in body  # nothing about fields not reached yet
    assert "项待填写后检查" in body  # but a count per principle
    everything = client.post("/records/validate", data=dict(blank, attempted="yes"),
                             headers={"HX-Request": "true"}).get_data(as_text=True)
    assert everything.count('data-rule="input.required"') >= 8 and "项待填写后检查" not in everything
    typed = dict(blank, subject="", touched="target.name,subject")
    shown = client.post("/records/validate", data=typed, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert shown.count('data-rule="input.required"') == 1 and 'href="#f-subject"' in shown


def test_form_help_warning_asks_confirmation_then_stores_reason_for_reviewer(app, client, auth):
    auth.login("staff")
    record = valid_record(subject="强制措辞理由", content=COERCIVE)
    asked = _post(client, auth, "/records/new", record, action="submit")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "将提交政策法规科审查" in page and "确认提交" in page
    draft = _saved(app, "强制措辞理由")
    assert draft.status == "draft" and draft.number is None
    assert f'name="reason:{REASON_KEY}"' in page
    opened = re.findall(r'<details class="form-section" open[^>]*>\s*<summary>([^<]+)', page)
    assert "指导内容与依据" in opened  # the section with the warning stays open
    assert not {"指导对象", "指导时间、地点、人员", "联系方式与回访"} & set(opened)  # complete ones fold
    stale_key = "lawful.single-officer|officers"  # a warning the record does not have: dropped
    done = _post(client, auth, f"/records/{draft.id}/edit", record, action="confirm_submit",
                 version=str(draft.version), **{f"reason:{REASON_KEY}": " 当事人书面要求写明期限 ",
                                                f"reason:{stale_key}": "无关"})
    assert done.status_code == 302
    saved = _saved(app, "强制措辞理由")
    assert saved.status == "pending_review"
    assert saved.warning_reasons == {REASON_KEY: "当事人书面要求写明期限"}
    assert "warning_reasons" not in saved.to_interchange()  # not part of the record's exchange format
    auth.logout()
    auth.login("reviewer")
    view = client.get(f"/records/{saved.id}").get_data(as_text=True)
    warning = view[view.index('data-rule="voluntary.coercive-wording"'):]
    assert "经办人说明理由：</strong>当事人书面要求写明期限" in warning[:warning.index("</li>")]
    queue = client.get("/review").get_data(as_text=True)
    assert "当事人书面要求写明期限" in queue


def test_form_help_confirmation_without_reason_and_from_the_record_page(app, client, auth):
    auth.login("staff")
    record = valid_record(subject="记录页提交", content=COERCIVE)
    _post(client, auth, "/records/new", record, action="save")
    draft = _saved(app, "记录页提交")
    asked = client.post(f"/records/{draft.id}/submit",
                        data={"csrf_token": auth.csrf_token(), "version": draft.version})
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "将提交政策法规科审查" in body and 'name="confirm" value="yes"' in body
    assert _saved(app, "记录页提交").status == "draft"
    done = client.post(f"/records/{draft.id}/submit",
                       data={"csrf_token": auth.csrf_token(), "version": draft.version, "confirm": "yes"})
    assert done.status_code == 302 and _saved(app, "记录页提交").status == "pending_review"
    auth.logout()
    auth.login("reviewer")
    assert "经办人未说明理由" in client.get(f"/records/{draft.id}").get_data(as_text=True)


def test_form_help_clean_record_is_filed_without_a_confirmation(app, client, staff):
    response = _post(client, staff, "/records/new", valid_record(subject="无警告"), action="submit")
    assert response.status_code == 302 and _saved(app, "无警告").status == "filed"


def test_form_help_catalog_name_resolves_to_its_code(app, client, staff):
    response = _post(client, staff, "/records/new", valid_record(subject="按名称", catalog_code="临时用地"),
                     action="save")
    assert response.status_code == 302
    saved = _saved(app, "按名称")
    assert saved.catalog_code == "ZD-TD-03"
    picked = _post(client, staff, "/records/new",
                   valid_record(subject="按列表", catalog_code="ZD-TD-03 临时用地使用及期满复垦归还提示"),
                   action="save")
    assert picked.status_code == 302 and _saved(app, "按列表").catalog_code == "ZD-TD-03"
    view = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "ZD-TD-03 临时用地使用及期满复垦归还提示" in view
    info = client.get("/records/catalog-item", query_string={"catalog_code": "临时用地"}).get_data(as_text=True)
    assert "临时用地使用及期满复垦归还提示" in info and "没有" not in info
    several = client.get("/records/catalog-item", query_string={"catalog_code": "政策指引"}).get_data(as_text=True)
    assert "请从中选择" in several and several.count("<li>") > 1
    unknown = client.get("/records/catalog-item", query_string={"catalog_code": "不存在"}).get_data(as_text=True)
    assert "目录中没有编码或名称为“不存在”的事项" in unknown
    form = client.get("/records/new").get_data(as_text=True)
    assert '<option value="ZD-TD-03 临时用地使用及期满复垦归还提示">' in form
    long_name = "某个目录里没有的很长很长的事项名称" * 3
    kept = _post(client, staff, "/records/new", valid_record(subject="长名称", catalog_code=long_name),
                 action="submit")
    body = kept.get_data(as_text=True)
    assert kept.status_code == 422 and f'value="{long_name}"' in body  # what was typed stays on screen
    assert f"目录中没有编码或名称为“{long_name}”的事项" in body
    assert _saved(app, "长名称") is None  # longer than any code: refused whole, like every over-long field


def test_form_help_new_form_layout(client, staff):
    body = client.get("/records/new").get_data(as_text=True)
    kind = body[body.index('id="f-target-kind"'):]
    assert " selected" not in kind[:kind.index("</select>")]  # 对象类型 has no default
    assert "一般应不少于两人" in body
    assert 'data-method="advice admonition"' in body and "存在问题与指导意见（仅意见建议、劝导警示）" in body
    assert 'data-method="case_revisit"' in body and "回访案件（仅案件回访）" in body
    assert body.count('<details class="form-section" open') == body.count('<details class="form-section"')


def test_form_help_complete_sections_fold_on_edit(app, client, staff):
    _post(client, staff, "/records/new", valid_record(subject="已填写完整"), action="save")
    saved = _saved(app, "已填写完整")
    body = client.get(f"/records/{saved.id}/edit").get_data(as_text=True)
    folded = re.findall(r'<details class="form-section"(?! open)[^>]*>\s*<summary>([^<]+)', body)
    assert folded and "指导对象" in folded


def test_form_help_record_page_every_field_in_officer_words(app, client, staff):
    case = {"decision_number": "周自然资罚决〔2026〕5号", "kind": "major_penalty", "closed_on": "2026-09-01"}
    record = valid_record(subject="案件回访页", method="case_revisit", case=case, problem=None,
                          opinion=None, admonition_conditions=None, catalog_code="ZD-ZF-01")
    _post(client, staff, "/records/new", record, action="save")
    saved = _saved(app, "案件回访页")
    view = client.get(f"/records/{saved.id}").get_data(as_text=True)
    assert "重大行政处罚案件" in view and "2026年9月1日" in view and "2026-09-01" not in view
    assert "周自然资罚决〔2026〕5号" in view
    assert "2026-11-20 10:00" in view and "2026年12月20日" in view  # moment and date formats
    project = valid_record(subject="政策指引页", method="policy_guidance", problem=None, opinion=None,
                           admonition_conditions=None, project={"name": "某产业园", "kind": "investment"})
    _post(client, staff, "/records/new", project, action="save")
    page = client.get(f"/records/{_saved(app, '政策指引页').id}").get_data(as_text=True)
    assert "重大招商引资项目" in page and "某产业园" in page


def _inside_technical_fold(page: str, at: int) -> bool:
    opened = page.rfind("<details", 0, at)
    return (opened != -1 and page.find("</details>", opened, at) == -1
            and "<summary>技术信息</summary>" in page[opened:at])


def test_form_help_hashes_only_in_the_technical_fold(app, client, staff):
    _post(client, staff, "/records/new", valid_record(subject="备案哈希"), action="submit")
    saved = _saved(app, "备案哈希")
    assert saved.status == "filed" and saved.document_sha256
    view = client.get(f"/records/{saved.id}").get_data(as_text=True)
    hashes = [m.start() for m in re.finditer(r"\b[0-9a-f]{64}\b", view)]
    assert view.index(saved.document_sha256) in hashes
    assert all(_inside_technical_fold(view, at) for at in hashes)
    fold = view[view.index('<details class="technical">'):]
    assert "备案版文书 SHA-256" in fold and "规则版本" in fold
    assert "document_sha256" not in view  # audit rows speak in labels


def test_form_help_one_date_format():
    moment = datetime(2026, 11, 30, 10, 5, tzinfo=SHANGHAI)
    assert cn_datetime(moment) == "2026-11-30 10:05"
    assert cn_datetime("2026-11-30T02:05:00+00:00") == "2026-11-30 10:05"
    assert cn_date(moment) == "2026年11月30日" and cn_date("2026-09-01") == "2026年9月1日"
