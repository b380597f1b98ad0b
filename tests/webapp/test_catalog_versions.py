"""目录清单 versions (issue 12, point 1): edit the draft, publish dated versions, import/export with
a dry run, stale saves refused, records keep the version they were checked against."""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.webapp.impact_data import look_at_draft_impact
from tests.webapp.records_data import user, valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, CatalogItem, GuidanceRecord
from webapp.services import catalog_versions as cv
from webapp.services import records as svc
from webapp.services.catalog_sheets import SHEET_TITLE

CODE = "ZD-TD-03"  # valid_record()'s item
HEADERS = ["事项编码", "事项名称", "领域", "责任单位", "指导方式", "实施环节", "法律依据", "适用对象", "是否公开", "是否有效"]
BASIS = "《中华人民共和国土地管理法（2019年修正）》第五十七条"


def _item(code: str = "ZD-TD-90", **overrides) -> dict:
    item = {"code": code, "name": "测试事项", "field": "土地", "responsible_unit": "自然资源开发利用科",
            "methods": ["提示提醒"], "stages": ["事前"],
            "legal_basis": [{"law": "中华人民共和国土地管理法（2019年修正）", "articles": ["第五十七条"]}],
            "target_scope": "用地单位", "published": True, "active": True}
    item.update(overrides)
    return item


def _publish(name: str = "reviewer", on: str = "2026-12-01", **kwargs):
    look_at_draft_impact(name)
    return cv.publish(user(name), on, kwargs.pop("doc_number", "自然资规〔2026〕9号"), cv.draft().revision, **kwargs)


def _sheet(rows: list[list], headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


# --- versions and the public page -------------------------------------------------------------


def test_catalog_versions_seed_makes_version_one_from_the_loaded_items(app):
    with app.app_context():
        first = cv.current_version()
        assert first.number == 1 and len(first.items) == 39
        assert first.published_on == cv.today()
        assert cv.draft().revision == 1 and not cv.draft_diff()


def test_catalog_versions_edit_then_publish_makes_a_new_version_on_the_public_page(app, client):
    with app.app_context():
        old_name = cv.find_item(CODE)["name"]
        cv.save_item(user("reviewer"), CODE, {"name": "临时用地复垦提示（修订）"}, cv.draft().revision)
        # a draft edit changes nothing the public or the rules see
        assert db.session.scalar(select(CatalogItem.name).where(CatalogItem.code == CODE)) == old_name
        assert cv.draft_diff().changed == {CODE: {"name": {"before": old_name, "after": "临时用地复垦提示（修订）"}}}
        edition = _publish()
        assert (edition.number, edition.published_on, edition.doc_number) == (2, date(2026, 12, 1), "自然资规〔2026〕9号")
        assert db.session.scalar(select(CatalogItem.name).where(CatalogItem.code == CODE)) == "临时用地复垦提示（修订）"
        assert not cv.draft_diff()
    page = client.get("/catalog").get_data(as_text=True)
    assert "第2版" in page and "2026年12月1日" in page and "临时用地复垦提示（修订）" in page
    assert 'href="/catalog/versions/1"' in page
    earlier = client.get("/catalog/versions/1").get_data(as_text=True)
    assert old_name in earlier and "临时用地复垦提示（修订）" not in earlier and "已被取代" in earlier
    assert client.get("/catalog/versions/9").status_code == 404
    pdf = client.get("/catalog.pdf?version=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "%E7%AC%AC1%E7%89%88" in pdf.headers["Content-Disposition"]  # 第1版 in the file name
    assert client.get("/catalog.pdf?version=abc").status_code == 400  # not a version number
    assert client.get("/catalog.pdf?version=99").status_code == 404  # no such version
    api = client.get("/api/v1/catalog?version=1").get_json()
    assert api["version"] == 1 and any(i["name"] == old_name for i in api["items"])
    assert client.get("/api/v1/catalog").get_json()["version"] == 2


def test_catalog_versions_pdf_names_the_version_and_its_date(app, client):
    from pypdf import PdfReader

    with app.app_context():
        cv.save_item(user("reviewer"), CODE, {"name": "改名后的事项"}, cv.draft().revision)
        _publish(on="2026-12-02")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get("/catalog.pdf").data)).pages)
    assert "第2版" in text and "2026年12月2日" in text and "改名后的事项" in text


def test_catalog_versions_every_change_is_an_audit_event_with_its_field_diff(app):
    with app.app_context():
        reviewer = user("reviewer")
        cv.save_item(reviewer, CODE, {"stages": ["事中"], "legal_basis": [{"law": "土地法", "articles": ["第三条"]}]},
                     cv.draft().revision)
        cv.create_item(reviewer, _item(), cv.draft().revision)
        _publish()
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity.like("catalog%"))
                                    .order_by(AuditEvent.id)).all()
        assert [(e.entity, e.action) for e in events] == [
            ("catalog_draft", "edit_item"), ("catalog_draft", "create_item"), ("catalog_version", "publish")]
        assert events[0].changes[f"{CODE}.stages"]["after"] == ["事中"]
        assert events[0].changes[f"{CODE}.legal_basis"]["after"] == [{"law": "土地法", "articles": ["第三条"]}]
        assert events[1].changes["ZD-TD-90"]["after"]["name"] == "测试事项"
        assert {f"{CODE}.stages", "ZD-TD-90"} <= set(events[2].changes) and events[2].user_id == reviewer.id


def test_catalog_versions_publish_refuses_nothing_to_publish_and_an_earlier_date(app):
    with app.app_context():
        with pytest.raises(cv.Conflict, match="没有需要发布"):
            _publish()
        cv.save_item(user("reviewer"), CODE, {"name": "新名称"}, cv.draft().revision)
        with pytest.raises(cv.InvalidItem, match="不能早于"):
            _publish(on="2001-01-01")
        with pytest.raises(cv.InvalidItem, match="公布日期"):
            _publish(on="明天")
        assert cv.current_number() == 1


# --- records and versions ---------------------------------------------------------------------


def test_catalog_versions_records_keep_the_version_they_were_checked_against(app, client, auth):
    with app.app_context():
        staff = user("staff")
        before = svc.create_draft(staff, valid_record(subject="发布前"))
        svc.submit_record(staff, before.id)
        cv.save_item(user("reviewer"), "ZD-TD-01", {"name": "耕地保护指引（修订）"}, cv.draft().revision)
        _publish(on="2026-12-03")
        after = svc.create_draft(staff, valid_record(subject="发布后"))
        svc.submit_record(staff, after.id)
        ids = before.id, after.id
        versions = [db.session.get(GuidanceRecord, i).catalog_version for i in ids]
        assert versions == [1, 2]
        assert [db.session.get(GuidanceRecord, i).status for i in ids] == ["filed", "filed"]
        first_day = cv.version(1).published_on
    auth.login("staff")
    page = client.get(f"/records/{ids[1]}").get_data(as_text=True)
    assert "按2026年12月3日公布的目录清单（第2版）检查" in page
    page = client.get(f"/records/{ids[0]}").get_data(as_text=True)
    assert f"按{first_day.year}年{first_day.month}月{first_day.day}日公布的目录清单（第1版）检查" in page


def test_catalog_versions_retire_keeps_old_records_valid_and_blocks_new_ones(app):
    with app.app_context():
        staff = user("staff")
        filed = svc.create_draft(staff, valid_record(subject="停用前备案"))
        svc.submit_record(staff, filed.id)
        cv.retire_item(user("reviewer"), CODE, cv.draft().revision)
        assert cv.draft_diff().retired == [CODE]
        _publish()
        row = db.session.scalar(select(CatalogItem).where(CatalogItem.code == CODE))
        assert row is not None and row.active is False  # retired, never deleted
        kept = db.session.get(GuidanceRecord, filed.id)
        assert kept.status == "filed" and kept.filed_report["outcome"] == "clean" and kept.catalog_version == 1
        new = svc.create_draft(staff, valid_record(subject="停用后"))
        with pytest.raises(svc.Blocked) as blocked:
            svc.submit_record(staff, new.id)
        assert any(f.rule.startswith("catalog.") and f.severity == "error" for f in blocked.value.report.findings)
        assert CODE not in {i["code"] for i in cv.public_items(cv.current_version())}


def test_catalog_versions_publish_warns_and_names_open_drafts_using_a_retired_item(app, client, auth):
    with app.app_context():
        draft = svc.create_draft(user("staff"), valid_record(subject="仍在起草"))
        cv.retire_item(user("reviewer"), CODE, cv.draft().revision)
        with pytest.raises(cv.NeedsConfirmation) as refused:
            _publish()
        assert [r.id for r in refused.value.records] == [draft.id] and f"#{draft.id}" in refused.value.message
        assert cv.current_number() == 1
        revision = cv.draft().revision
    auth.login("reviewer")
    page = client.get("/catalog/draft").get_data(as_text=True)
    assert "仍在起草" in page and 'name="confirm"' in page
    data = {"csrf_token": _csrf(page), "revision": revision, "published_on": "2026-12-01", "doc_number": ""}
    response = client.post("/catalog/draft/publish", data=data)
    assert response.status_code == 409 and "仍在起草" in response.get_data(as_text=True)
    with app.app_context():
        look_at_draft_impact()
    response = client.post("/catalog/draft/publish", data={**data, "confirm": "yes"})
    assert response.status_code == 302
    with app.app_context():
        assert cv.current_number() == 2


# --- two reviewers at once --------------------------------------------------------------------


def test_catalog_versions_second_save_is_stale_and_shows_the_other_change(app):
    with app.app_context():
        revision = cv.draft().revision
        cv.save_item(user("reviewer"), CODE, {"name": "李法改的名称"}, revision)
        with pytest.raises(cv.StaleDraft) as stale:
            cv.save_item(user("reviewer2"), CODE, {"name": "孙审改的名称"}, revision)
        assert "李法" in stale.value.message
        assert stale.value.events[0].changes[f"{CODE}.name"]["after"] == "李法改的名称"
        assert cv.find_item(CODE)["name"] == "李法改的名称"  # never overwritten


def test_catalog_versions_stale_save_in_the_browser_is_409_with_the_other_change(app, client, auth):
    auth.login("reviewer2")
    page = client.get(f"/catalog/draft/items/{CODE}").get_data(as_text=True)
    with app.app_context():
        cv.save_item(user("reviewer"), CODE, {"target_scope": "李法写的适用对象"}, cv.draft().revision)
        item = cv.find_item(CODE)
    data = {"csrf_token": _csrf(page), "revision": re.search(r'name="revision" value="(\d+)"', page).group(1),
            "name": "孙审改的名称", "field": item["field"], "responsible_unit": item["responsible_unit"],
            "methods": item["methods"], "stages": item["stages"], "basis_law": ["土地法"], "basis_articles": ["第三条"],
            "published": "yes", "active": "yes"}
    response = client.post(f"/catalog/draft/items/{CODE}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "李法写的适用对象" in body and "孙审改的名称" in body  # theirs shown, ours kept in the form
    with app.app_context():
        assert cv.find_item(CODE)["name"] == item["name"]


def test_catalog_versions_api_put_stale_is_409_with_the_changes(app, client):
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        headers = {"Authorization": f"Bearer {issue_api_token('reviewer')}"}
    draft = client.get("/api/v1/catalog/draft", headers=headers).get_json()
    items = draft["items"]
    items[0] = {**items[0], "name": "接口改名"}
    ok = client.put("/api/v1/catalog/draft", json={"revision": draft["revision"], "items": items}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["changes"]["changed"][items[0]["code"]]["name"]["after"] == "接口改名"
    again = client.put("/api/v1/catalog/draft", json={"revision": draft["revision"], "items": items}, headers=headers)
    assert again.status_code == 409 and again.get_json()["changes"][0]["changes"]
    bad = client.put("/api/v1/catalog/draft", json={"revision": ok.get_json()["revision"],
                                                     "items": [*items, _item(methods=["催告"])]}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["invalid"][0]["row"] == len(items) + 1
    missing = client.put("/api/v1/catalog/draft", json={"items": items}, headers=headers)
    assert missing.status_code == 400
    body = {"revision": ok.get_json()["revision"], "published_on": "2026-12-05"}
    unseen = client.post("/api/v1/catalog/draft/publish", headers=headers, json=body)
    assert unseen.status_code == 409 and "影响分析" in unseen.get_json()["error"]
    with app.app_context():
        look_at_draft_impact()
    published = client.post("/api/v1/catalog/draft/publish", headers=headers, json=body)
    assert published.status_code == 201 and published.get_json()["version"] == 2
    staff = {"Authorization": f"Bearer {_token(app, 'staff')}"}
    assert client.get("/api/v1/catalog/draft", headers=staff).status_code == 403


def _token(app, name):
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        return issue_api_token(name)


# --- items: what the editor refuses -----------------------------------------------------------


@pytest.mark.parametrize("overrides,field,words", [
    ({"methods": ["催告"]}, "methods", "催告"),
    ({"stages": ["事先"]}, "stages", "事先"),
    ({"legal_basis": []}, "legal_basis", "请填写法律依据"),
    ({"legal_basis": [{"law": "土地管理法", "articles": ["30条"]}]}, "legal_basis", "30条"),
    ({"legal_basis": [{"law": "土地管理法", "articles": []}]}, "legal_basis", "缺少条款"),
    ({"code": "zd td 1"}, "code", "ZD-TD-01"),
    ({"name": " "}, "name", "请填写事项名称"),
])
def test_catalog_versions_create_item_refuses_bad_fields(app, overrides, field, words):
    with app.app_context():
        with pytest.raises(cv.InvalidItem) as refused:
            cv.create_item(user("reviewer"), _item(**overrides), cv.draft().revision)
        assert words in refused.value.errors[field]
        assert cv.draft().revision == 1


def test_catalog_versions_create_item_refuses_a_duplicate_code(app):
    with app.app_context():
        with pytest.raises(cv.InvalidItem, match="已存在"):
            cv.create_item(user("reviewer"), _item(code=CODE.lower()), cv.draft().revision)


def test_catalog_versions_item_form_invalid_post_is_422_with_summary_and_inline_message(app, client, auth):
    auth.login("admin")
    page = client.get("/catalog/draft/items/new").get_data(as_text=True)
    response = client.post("/catalog/draft/items/new", data={
        "csrf_token": _csrf(page), "revision": "1", "code": "ZD-TD-91", "name": "新事项", "field": "土地",
        "responsible_unit": "执法监督科", "methods": ["提示提醒"], "stages": ["事前"],
        "basis_law": ["中华人民共和国土地管理法"], "basis_articles": ["三十条"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#f-legal_basis">' in body and 'id="f-legal_basis-error"' in body and "三十条" in body
    assert 'value="新事项"' in body  # what was typed stays
    response = client.post("/catalog/draft/items/new", data={
        "csrf_token": _csrf(page), "revision": "1", "code": "ZD-TD-91", "name": "新事项", "field": "土地",
        "responsible_unit": "执法监督科", "methods": ["提示提醒"], "stages": ["事前"],
        "basis_law": ["中华人民共和国土地管理法", ""], "basis_articles": ["第三十条、第三十一条第二款", ""],
        "published": "yes", "active": "yes"})
    assert response.status_code == 302
    page = client.get("/catalog/draft").get_data(as_text=True)
    assert "ZD-TD-91" in page and "tag-added" in page
    with app.app_context():
        assert cv.find_item("ZD-TD-91")["legal_basis"][0]["articles"] == ["第三十条", "第三十一条第二款"]


def test_catalog_versions_draft_page_and_public_partial(app, client, auth):
    partial = client.get("/catalog?q=临时用地", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    assert "ZD-TD-03" in partial.get_data(as_text=True)
    assert "/login" in client.get("/catalog/draft").headers.get("Location", "")
    auth.login("reviewer")
    page = client.get("/catalog/draft").get_data(as_text=True)
    assert "<html" in page and 'id="catalog-impact"' in page and "发布为第2版" in page


# --- import and export ------------------------------------------------------------------------


def _export_rows(app) -> list[list]:
    with app.app_context():
        data = cv.export("xlsx")
    sheet = load_workbook(io.BytesIO(data))[SHEET_TITLE]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_catalog_versions_export_is_the_sheet_a_unit_fills_in_and_reimports_unchanged(app, tmp_path):
    rows = _export_rows(app)
    assert rows[0][:4] == HEADERS[:4] and len(rows) == 40
    first = next(dict(zip(rows[0], r)) for r in rows if r[0] == "ZD-TD-01")
    assert first["法律依据"].startswith("《中华人民共和国土地管理法（2019年修正）》第三十条、")
    assert "\n《" in first["法律依据"]  # one line per law
    with app.app_context():
        for fmt in ("xlsx", "json"):
            report = cv.import_dry_run(cv.export(fmt), fmt)
            assert (report.invalid, report.added, report.changed, report.retired) == ([], [], {}, [])
        assert [i["code"] for i in json.loads(cv.export("json"))] == [r[0] for r in rows[1:]]


def test_catalog_versions_import_mixed_rows_reports_every_problem_and_changes_nothing(app):
    rows = _export_rows(app)[1:]
    changed = list(rows[0])
    changed[1] = "改过名称的事项"
    good_new = ["ZD-TD-80", "新增的好事项", "土地", "执法监督科", "提示提醒", "事前", BASIS, "", "是", "是"]
    bad = [
        ["ZD-TD-81", "未知方式", "土地", "执法监督科", "催告", "事前", BASIS, "", "是", "是"],
        ["ZD-TD-82", "未知环节", "土地", "执法监督科", "提示提醒", "事先", BASIS, "", "是", "是"],
        ["ZD-TD-83", "没有依据", "土地", "执法监督科", "提示提醒", "事前", None, "", "是", "是"],
        ["ZD-TD-84", "条款有误", "土地", "执法监督科", "提示提醒", "事前", "《土地管理法》三十条", "", "是", "是"],
        ["ZD-TD-85", "=1+1", "土地", "执法监督科", "提示提醒", "事前", BASIS, "", "是", "是"],
        ["ZD-TD-80", "重复编码", "土地", "执法监督科", "提示提醒", "事前", BASIS, "", "是", "是"],
    ]
    data = _sheet([changed, *[r[:10] for r in rows[1:-1]], good_new, *bad])  # the last item left out: retired
    with app.app_context():
        report = cv.import_dry_run(data, "xlsx")
        problems: dict[int, str] = {}
        for row, reason in report.invalid:
            problems[row] = problems.get(row, "") + reason
        first_bad = 2 + len(rows) - 1 + 1  # header, the kept rows, the good new row
        assert sorted(problems) == list(range(first_bad, first_bad + 6))
        assert "催告" in problems[first_bad] and "事先" in problems[first_bad + 1]
        assert "请填写法律依据" in problems[first_bad + 2] and "三十条" in problems[first_bad + 3]
        assert "公式" in problems[first_bad + 4] and "重复" in problems[first_bad + 5]
        assert report.added == ["ZD-TD-80"] and report.retired == [rows[-1][0]]
        assert report.changed[rows[0][0]]["name"]["after"] == "改过名称的事项"
        revision, items = cv.draft().revision, cv.draft_items()
        with pytest.raises(cv.ImportRefused):
            cv.import_apply(user("reviewer"), data, "xlsx", revision)
        assert (cv.draft().revision, cv.draft_items()) == (revision, items)  # all or nothing
        good = _sheet([changed, *[r[:10] for r in rows[1:-1]], good_new])
        applied = cv.import_apply(user("reviewer"), good, "xlsx", revision)
        assert applied.invalid == [] and cv.find_item("ZD-TD-80")["name"] == "新增的好事项"
        assert cv.find_item(rows[-1][0])["active"] is False  # left out: retired, still there


def test_catalog_versions_import_refuses_empty_sheets_bad_files_and_real_formulas(app):
    workbook = Workbook()
    workbook.active.append(HEADERS)
    workbook.active.append(["ZD-TD-86", "公式", "土地", "执法监督科", "提示提醒", "事前", BASIS, "", "是", "是"])
    workbook.active["B2"] = "=CONCATENATE(\"a\",\"b\")"
    out = io.BytesIO()
    workbook.save(out)
    with app.app_context():
        assert "没有任何事项" in cv.import_dry_run(_sheet([]), "xlsx").invalid[0][1]
        assert "没有任何事项" in cv.import_dry_run(_empty_workbook(), "xlsx").invalid[0][1]
        assert "xlsx" in cv.import_dry_run(b"not a zip", "xlsx").invalid[0][1]
        assert "JSON" in cv.import_dry_run(b"{", "json").invalid[0][1]
        formula = cv.import_dry_run(out.getvalue(), "xlsx").invalid
        assert formula and formula[0][0] == 2 and "公式" in formula[0][1]
        with pytest.raises(cv.DomainError, match="xlsx"):
            cv.import_dry_run(b"x", "csv")


def _empty_workbook() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def test_catalog_versions_import_over_the_limit_is_a_clear_413(app, client, auth, tmp_path):
    big = b"PK" + b"\0" * (20 * 1024 * 1024)
    with app.app_context():
        with pytest.raises(cv.ImportTooLarge, match="5 MB"):
            cv.import_dry_run(big, "xlsx")
        path = tmp_path / "big.xlsx"
        path.write_bytes(big)
        with pytest.raises(cv.ImportTooLarge):
            cv.import_dry_run(path)
    auth.login("reviewer")
    page = client.get("/catalog/draft").get_data(as_text=True)
    # a body built by hand: the test client's own encoder spools big uploads to a file it never closes
    boundary = "catalog-import-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{_csrf(page)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"catalog.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + big + f"\r\n--{boundary}--\r\n".encode()
    response = client.post("/catalog/draft/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413 and "文件超过 5 MB" in response.get_data(as_text=True)


def test_catalog_versions_import_in_the_browser_dry_run_then_confirm(app, client, auth):
    rows = _export_rows(app)
    rows[1][1] = "网页导入改名"
    auth.login("reviewer")
    page = client.get("/catalog/draft").get_data(as_text=True)
    bad = client.post("/catalog/draft/import", data={"csrf_token": _csrf(page), "file": (
        io.BytesIO(_sheet([r[:10] for r in rows[1:]] + [["ZD-TD-87", "x", "土地", "执法监督科", "催告", "事前", BASIS]])),
        "目录.xlsx")})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "第 41 行" in text and "催告" in text and "确认导入" not in text
    report = client.post("/catalog/draft/import", data={"csrf_token": _csrf(page), "file": (
        io.BytesIO(_sheet([r[:10] for r in rows[1:]])), "目录.xlsx")})
    text = report.get_data(as_text=True)
    assert "网页导入改名" in text and "确认导入" in text
    with app.app_context():
        assert cv.draft().revision == 1  # the dry run changed nothing
    payload = re.search(r'name="payload" value="([^"]*)"', text).group(1)
    import html

    applied = client.post("/catalog/draft/import/apply", data={"csrf_token": _csrf(page), "revision": "1",
                                                              "payload": html.unescape(payload)})
    assert applied.status_code == 302
    with app.app_context():
        assert cv.find_item(rows[1][0])["name"] == "网页导入改名" and cv.draft().revision == 2
    exported = client.get("/catalog/draft/export.xlsx")
    assert exported.status_code == 200 and exported.data[:2] == b"PK"
    assert client.get("/catalog/draft/export.json").get_json()[0]["code"] == rows[1][0]


def test_catalog_versions_cli_export_and_import(app, runner, tmp_path):
    out = tmp_path / "catalog.xlsx"
    result = runner.invoke(args=["catalog", "export", str(out)])
    assert result.exit_code == 0 and "39" in result.output and out.stat().st_size > 0
    workbook = load_workbook(out)
    workbook[SHEET_TITLE]["B2"] = "命令行改名"
    workbook.save(out)
    dry = runner.invoke(args=["catalog", "import", str(out), "--dry-run"])
    assert dry.exit_code == 0 and "命令行改名" in dry.output and "试运行" in dry.output
    with app.app_context():
        assert cv.draft().revision == 1
    done = runner.invoke(args=["catalog", "import", str(out)])
    assert done.exit_code == 0 and "草稿" in done.output
    with app.app_context():
        assert cv.draft_items()[0]["name"] == "命令行改名" and cv.current_number() == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([_item(methods=["催告"])]), encoding="utf-8")
    refused = runner.invoke(args=["catalog", "import", str(bad)])
    assert refused.exit_code != 0 and "催告" in refused.output


def test_catalog_versions_migration_makes_version_one_from_what_is_loaded(tmp_path):
    """An existing installation: migration 0007 turns the loaded catalog into version 1 and the draft."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "old.sqlite"), tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO catalog_item (code, name, field, responsible_unit, methods, stages, "
                              "legal_basis, target_scope, published, active, updated_at) VALUES ('ZD-TD-01', '耕地', "
                              "'土地', '耕地保护监督科', '[\"政策指引\"]', '[\"事前\"]', "
                              "'[{\"law\": \"土地管理法\", \"articles\": [\"第三十条\"]}]', '', 1, 1, '2026-01-01')"))
        upgrade()
        first = cv.current_version()
        assert first.number == 1 and first.published_on == cv.today()
        assert first.items == [{"code": "ZD-TD-01", "name": "耕地", "field": "土地", "responsible_unit": "耕地保护监督科",
                                "methods": ["政策指引"], "stages": ["事前"],
                                "legal_basis": [{"law": "土地管理法", "articles": ["第三十条"]}],
                                "target_scope": "", "published": True, "active": True}]
        assert cv.draft().revision == 1 and cv.draft_items() == first.items
        db.session.remove()
        db.engine.dispose()


def test_catalog_versions_publish_needs_the_opened_impact_report_of_exactly_this_draft(app):
    from webapp.services import Conflict

    with app.app_context():
        reviewer = user("reviewer")
        cv.save_item(reviewer, CODE, {**cv.find_item(CODE), "methods": ["提示提醒"]}, cv.draft().revision)
        with pytest.raises(Conflict, match="影响分析"):  # never run
            cv.publish(reviewer, "2026-12-01", None, cv.draft().revision)
        job_id = look_at_draft_impact()
        cv.save_item(reviewer, CODE, {**cv.find_item(CODE), "name": "看过报告之后又改"}, cv.draft().revision)
        with pytest.raises(Conflict, match="影响分析"):  # the report was of the draft before this change
            cv.publish(reviewer, "2026-12-01", None, cv.draft().revision)
        second = look_at_draft_impact()
        edition = cv.publish(reviewer, "2026-12-01", None, cv.draft().revision)
        assert edition.impact_job_id == second != job_id and cv.current_number() == 2
