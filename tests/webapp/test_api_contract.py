"""Contract of the JSON API v1 (SPEC §8): each call, its body and each error code."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from rules.idcodes import resident_id_check_char
from tests.webapp.records_data import VALID_CLOSE, valid_record
from tests.webapp.test_api_support import api, assert_error, make_record, tokens  # noqa: F401
from webapp.extensions import db
from webapp.models import GuidanceRecord, Unit

PERSON_ID = "37030219800101123" + resident_id_check_char("37030219800101123")


def record_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(GuidanceRecord.id)))


# --- openapi.json ---------------------------------------------------------------------------

def test_api_openapi_is_public_valid_and_complete(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    validate_openapi(doc)  # against the OpenAPI 3.1 meta-schema
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearer"]["description"]}
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") or rule.endpoint.startswith("documents.") or rule.endpoint == "catalog.catalog_pdf":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in ops.items():
            for code, answer in op["responses"].items():
                assert answer["content"]["application/json"]["schema"], (path, method, code)
            if path != "/api/v1/openapi.json":
                assert {"400", "401"} <= set(op["responses"]), (path, method)


def test_api_openapi_schemas_come_from_the_models(client):
    from pydantic.json_schema import models_json_schema

    from webapp.api import schemas as s

    doc = client.get("/api/v1/openapi.json").get_json()
    _, defs = models_json_schema([(s.Report, "serialization")], ref_template="#/components/schemas/{model}")
    assert doc["components"]["schemas"]["Report"] == defs["$defs"]["Report"]
    record = doc["components"]["schemas"]["GuidanceRecord"]
    import rules

    assert set(record["properties"]) == set(rules.GuidanceRecord.model_fields)
    assert record["additionalProperties"] is False


# --- authentication -------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer not-a-token", "Basic c3RhZmY6eA=="])
def test_api_without_valid_token_is_401_json_not_a_redirect(app, header):
    headers = {"Authorization": header} if header is not None else {}
    response = app.test_client().get("/api/v1/records", headers=headers)
    body = assert_error(response, 401)
    assert "Location" not in response.headers
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert body["findings"] == []


def test_api_revoked_token_is_401(app, api, tokens):
    from webapp.services.accounts import revoke_api_token

    assert api("staff").get("/api/v1/records").status_code == 200
    with app.app_context():
        revoke_api_token("staff")
    assert_error(api("staff").get("/api/v1/records"), 401)


def test_api_token_is_stored_only_as_hash(app, tokens):
    from webapp.models import User

    with app.app_context():
        stored = db.session.scalar(select(User.api_token_hash).where(User.username == "staff"))
    assert stored and tokens["staff"] not in stored and len(stored) == 64


def test_api_cookie_session_needs_csrf_token_bearer_does_not(app, client, auth, api):
    assert auth.login("staff").status_code == 302
    assert_error(client.post("/api/v1/records", json=valid_record()), 400)  # CSRF
    response = client.post("/api/v1/records", json=valid_record(), headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 201
    assert client.get("/api/v1/records").status_code == 200  # reads need no token
    assert api("staff").post("/api/v1/records", valid_record()).status_code == 201  # no CSRF with a token


def test_api_bearer_token_wins_over_cookie_of_another_user(app, client, auth, api):
    assert auth.login("reviewer").status_code == 302
    response = client.post("/api/v1/records", json=valid_record(),
                           headers={"Authorization": "Bearer wrong-token"})
    assert_error(response, 401)


def test_api_pdf_routes_accept_bearer_tokens(app, api):
    filed = make_record(app, "filed")
    response = api("staff2").get(f"/records/{filed}/document.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert api(None).get(f"/records/{filed}/document.pdf").status_code == 302  # HTML route: login page


# --- validate -------------------------------------------------------------------------------

def test_api_validate_clean_record_saves_nothing(app, api):
    before = record_count(app)
    response = api("viewer").post("/api/v1/validate?phase=submit", valid_record())
    assert response.status_code == 200
    report = response.get_json()
    assert report["outcome"] == "clean" and report["phase"] == "submit" and report["findings"] == []
    assert report["ruleset"]
    assert record_count(app) == before


def test_api_validate_reports_every_finding(app, api):
    record = valid_record(content="必须在期限内整改，否则依法处罚。", informed_of_voluntariness=False,
                          bogus=1)
    report = api("staff").post("/api/v1/validate", record).get_json()
    assert report["outcome"] == "blocked"
    rules = {f["rule"] for f in report["findings"]}
    assert "input.unknown-key" in rules
    assert {f["severity"] for f in report["findings"]} >= {"error", "warning"}


def test_api_validate_close_phase(api):
    response = api("staff").post("/api/v1/validate?phase=close", {"result": "pending", "effect": "无"})
    report = response.get_json()
    assert response.status_code == 200 and report["phase"] == "close" and report["outcome"] == "blocked"
    assert api("staff").post("/api/v1/validate?phase=close", VALID_CLOSE).get_json()["outcome"] == "clean"


@pytest.mark.parametrize("raw,status", [("{not json", 400), ("", 400), ("NaN", 400), ("[1, 2]", 422),
                                        ('"text"', 422), ("\xff\xfe", 400)])
def test_api_validate_malformed_bodies(api, raw, status):
    body = assert_error(api("staff").post("/api/v1/validate", raw=raw), status)
    if status == 422:
        assert body["findings"] and body["findings"][0]["principle"] == "input"


def test_api_validate_bad_phase_is_400(api):
    assert_error(api("staff").post("/api/v1/validate?phase=file", valid_record()), 400)


# --- create ---------------------------------------------------------------------------------

def test_api_create_answers_201_with_report(app, api):
    response = api("staff").post("/api/v1/records", valid_record(content="必须整改。"))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "status", "version", "report"}
    assert body["status"] == "draft" and body["version"] == 1
    assert body["report"]["outcome"] == "review"
    with app.app_context():
        assert db.session.get(GuidanceRecord, body["id"]).status == "draft"


def test_api_create_refuses_unknown_keys_and_wrong_types_with_findings(app, api):
    before = record_count(app)
    body = assert_error(api("staff").post("/api/v1/records", valid_record(colour="red", officers="张明")), 422)
    fields = {f["field"] for f in body["findings"]}
    assert {"colour", "officers"} <= fields
    assert record_count(app) == before


@pytest.mark.parametrize("role,status", [("reviewer", 403), ("admin", 403), ("viewer", 403), (None, 401)])
def test_api_create_denied(api, role, status):
    assert_error(api(role).post("/api/v1/records", valid_record()), status)


def test_api_create_malformed_json_is_400(api):
    assert_error(api("staff").post("/api/v1/records", raw="{"), 400)


# --- get ------------------------------------------------------------------------------------

def test_api_get_record_shape(app, api):
    created = api("staff").post("/api/v1/records", valid_record()).get_json()
    response = api("staff").get(f"/api/v1/records/{created['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"id", "status", "number", "version", "record", "report", "audit", "attachments", "documents"}
    assert body["status"] == "draft" and body["number"] is None and body["version"] == 1
    assert body["attachments"] == [] and body["documents"] == []  # a draft's documents render live
    assert body["record"] == valid_record()
    assert body["report"]["outcome"] == "clean"
    (event,) = body["audit"]
    assert event["action"] == "create" and event["by"] == "staff" and event["at"].endswith("+08:00")
    assert event["changes"]["subject"] == {"before": None, "after": valid_record()["subject"]}


@pytest.mark.parametrize("role", ["staff2", "viewer"])
def test_api_get_other_units_draft_is_404(app, api, role):
    draft = make_record(app, "draft")
    assert_error(api(role).get(f"/api/v1/records/{draft}"), 404)


@pytest.mark.parametrize("path", ["/api/v1/records/999999", "/api/v1/records/99999999999999999999999",
                                  "/api/v1/records/0", "/api/v1/records/abc", "/api/v1/nothing"])
def test_api_unknown_records_and_paths_are_404_json(api, path):
    assert_error(api("staff").get(path), 404)


def test_api_wrong_method_is_405_json(app, api):
    assert_error(api("staff").call("PUT", "/api/v1/records"), 405)


def test_api_viewer_sees_person_id_numbers_masked(app, api):
    target = {"name": "张三", "kind": "person", "id_number": PERSON_ID, "contact": None, "phone": "13905330000"}
    filed = make_record(app, "filed", target=target)
    seen = api("viewer").get(f"/api/v1/records/{filed}").get_json()
    masked = seen["record"]["target"]["id_number"]
    assert masked == PERSON_ID[:6] + "********" + PERSON_ID[-4:]
    assert PERSON_ID not in str(seen)
    assert api("staff2").get(f"/api/v1/records/{filed}").get_json()["record"]["target"]["id_number"] == PERSON_ID
    org = make_record(app, "filed", subject="单位", target=valid_record()["target"])
    assert api("viewer").get(f"/api/v1/records/{org}").get_json()["record"]["target"]["id_number"] == \
        valid_record()["target"]["id_number"]


# --- patch ----------------------------------------------------------------------------------

def test_api_patch_replaces_keys_whole_and_bumps_version(app, api):
    draft = make_record(app, "draft")
    response = api("staff").patch(f"/api/v1/records/{draft}",
                                  {"version": 1, "subject": "新主题", "target": {"name": "新对象", "kind": "organization"}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["version"] == 2 and body["status"] == "draft" and body["number"] is None
    assert body["record"]["subject"] == "新主题"
    assert body["record"]["target"] == {"name": "新对象", "kind": "organization", "id_number": None,
                                        "contact": None, "phone": None}
    assert body["audit"][-1]["action"] == "update" and body["audit"][-1]["by"] == "staff"


def test_api_patch_stale_version_is_409(app, api):
    draft = make_record(app, "draft")
    assert api("staff").patch(f"/api/v1/records/{draft}", {"version": 1, "subject": "一"}).status_code == 200
    assert_error(api("staff").patch(f"/api/v1/records/{draft}", {"version": 1, "subject": "二"}), 409)


@pytest.mark.parametrize("body", [{"subject": "无版本"}, {"version": "1"}, {"version": True}, [1]])
def test_api_patch_without_integer_version_is_400(app, api, body):
    draft = make_record(app, "draft")
    assert_error(api("staff").patch(f"/api/v1/records/{draft}", body), 400)


def test_api_patch_unknown_key_is_422(app, api):
    draft = make_record(app, "draft")
    body = assert_error(api("staff").patch(f"/api/v1/records/{draft}", {"version": 1, "colour": "red"}), 422)
    assert body["findings"][0]["field"] == "colour"


def test_api_patch_filed_record_is_409(app, api):
    filed = make_record(app, "filed")
    assert_error(api("staff").patch(f"/api/v1/records/{filed}", {"version": 2, "subject": "改"}), 409)


@pytest.mark.parametrize("role,status", [("staff2", 404), ("reviewer", 403), ("viewer", 404), (None, 401)])
def test_api_patch_denied(app, api, role, status):
    draft = make_record(app, "draft")
    assert_error(api(role).patch(f"/api/v1/records/{draft}", {"version": 1, "subject": "改"}), status)


# --- submit, approve, return ----------------------------------------------------------------

def test_api_submit_clean_files_at_once(app, api):
    draft = make_record(app, "draft")
    response = api("staff").post(f"/api/v1/records/{draft}/submit", {"version": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "filed" and body["number"].startswith("指导书〔")
    assert body["report"]["outcome"] == "clean" and body["record"]["subject"]


def test_api_submit_blocked_is_422_with_every_finding(app, api):
    draft = make_record(app, "draft", content=None, informed_of_voluntariness=False, officers=["张明"])
    body = assert_error(api("staff").post(f"/api/v1/records/{draft}/submit"), 422)
    severities = [f["severity"] for f in body["findings"]]
    assert severities.count("error") >= 2 and "warning" in severities  # warnings listed too
    assert api("staff").get(f"/api/v1/records/{draft}").get_json()["status"] == "draft"


def test_api_submit_stale_and_wrong_state(app, api):
    draft = make_record(app, "draft")
    assert_error(api("staff").post(f"/api/v1/records/{draft}/submit", {"version": 7}), 409)
    filed = make_record(app, "filed", subject="已备案")
    assert_error(api("staff").post(f"/api/v1/records/{filed}/submit"), 409)
    assert_error(api("staff").post(f"/api/v1/records/{draft}/submit", {"version": "1"}), 400)
    assert_error(api("staff").post(f"/api/v1/records/{draft}/submit", raw="{"), 400)


def test_api_approve_and_return(app, api):
    pending = make_record(app, "pending")
    assert_error(api("staff").post(f"/api/v1/records/{pending}/approve"), 403)
    body = api("reviewer").post(f"/api/v1/records/{pending}/approve", {"comment": "同意"}).get_json()
    assert body["status"] == "filed" and body["number"]
    other = make_record(app, "pending", subject="另一条")
    assert_error(api("reviewer").post(f"/api/v1/records/{other}/return", {"comment": "  "}), 400)
    assert_error(api("reviewer").post(f"/api/v1/records/{other}/return", {}), 400)
    body = api("reviewer").post(f"/api/v1/records/{other}/return", {"comment": "请补充依据"}).get_json()
    assert body["status"] == "draft" and body["audit"][-1]["note"] == "请补充依据"


def test_api_approving_a_draft_is_409(app, api):
    draft = make_record(app, "draft")
    assert_error(api("reviewer").post(f"/api/v1/records/{draft}/approve"), 409)


# --- close, void ----------------------------------------------------------------------------

def test_api_close(app, api):
    filed = make_record(app, "filed")
    blocked = assert_error(api("staff").post(f"/api/v1/records/{filed}/close", {"result": "pending", "effect": "良好"}), 422)
    assert {f["field"] for f in blocked["findings"]} >= {"result", "effect"}
    assert_error(api("staff").post(f"/api/v1/records/{filed}/close", {**VALID_CLOSE, "subject": "x"}), 400)
    assert_error(api("staff2").post(f"/api/v1/records/{filed}/close", VALID_CLOSE), 403)
    body = api("staff").post(f"/api/v1/records/{filed}/close", {**VALID_CLOSE, "version": 2}).get_json()
    assert body["status"] == "closed" and body["record"]["result"] == "adopted" and body["number"]
    assert_error(api("staff").post(f"/api/v1/records/{filed}/close", VALID_CLOSE), 409)


def test_api_void(app, api):
    filed = make_record(app, "filed")
    assert_error(api("reviewer").post(f"/api/v1/records/{filed}/void", {"reason": ""}), 400)
    assert_error(api("reviewer").post(f"/api/v1/records/{filed}/void", {"reason": 5}), 400)
    assert_error(api("staff").post(f"/api/v1/records/{filed}/void", {"reason": "重复"}), 403)
    number = api("staff").get(f"/api/v1/records/{filed}").get_json()["number"]
    body = api("admin").post(f"/api/v1/records/{filed}/void", {"reason": "重复登记"}).get_json()
    assert body["status"] == "voided" and body["number"] == number
    assert_error(api("admin").post(f"/api/v1/records/{filed}/void", {"reason": "再次"}), 409)


# --- list -----------------------------------------------------------------------------------

def test_api_list_pages_with_cursor(app, api):
    ids = [make_record(app, "draft", subject=f"第{i}条") for i in range(5)]
    seen, cursor = [], None
    while True:
        url = "/api/v1/records?limit=2" + (f"&after={cursor}" if cursor else "")
        page = api("staff").get(url).get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    item = api("staff").get("/api/v1/records?limit=1").get_json()["items"][0]
    assert set(item) == {"id", "status", "number", "subject", "target", "guided_at"}
    assert item["target"] == valid_record()["target"]["name"] and item["guided_at"].endswith("+08:00")


@pytest.mark.parametrize("query", ["after=xyz", "after=cjow", "status=done", "year=abc", "year=1999",
                                   "unit=0", "unit=999999", "limit=0", "limit=1000", "year=１２"])
def test_api_list_bad_parameters_are_400(api, query):
    assert_error(api("staff").get(f"/api/v1/records?{query}"), 400)


def test_api_list_filters(app, api):
    draft = make_record(app, "draft")
    filed = make_record(app, "filed", subject="备案")
    other_year = make_record(app, "draft", guided_at="2025-12-31T23:30:00+08:00", subject="去年")

    def ids(query, role="staff"):
        return {item["id"] for item in api(role).get(f"/api/v1/records?{query}").get_json()["items"]}

    assert ids("status=filed") == {filed}
    assert ids("year=2026") == {draft, filed} and ids("year=2025") == {other_year}
    assert ids("unit=自然资源开发利用科") == {draft, filed, other_year}  # SPEC §8: the unit by name
    assert ids("unit=执法监督科") == set()
    assert api("staff").get("/api/v1/records?unit=1").status_code == 400  # an id is not a unit name


@pytest.mark.parametrize("role", ["staff", "staff2", "reviewer", "admin", "viewer"])
def test_api_list_shows_exactly_what_can_view_allows(app, api, role):
    from tests.webapp.records_data import user
    from webapp.services.policy import can_view

    make_record(app, "draft")
    make_record(app, "pending")
    make_record(app, "filed", subject="备案")
    make_record(app, "draft", username="staff2", unit="执法监督科", subject="他科草稿")
    listed = {item["id"] for item in api(role).get("/api/v1/records").get_json()["items"]}
    with app.app_context():
        who = user(role)
        expected = {r.id for r in db.session.scalars(select(GuidanceRecord)) if can_view(who, r)}
    assert listed == expected


# --- the description is the contract (issue 15) -------------------------------------------------

@pytest.mark.parametrize("method,path,allowed", [
    ("TRACE", "/api/v1/records", {"GET", "POST"}), ("PATCH", "/api/v1/validate", {"POST"}),
    ("DELETE", "/api/v1/records/1", {"GET", "PATCH"}), ("TRACE", "/records/1/document.pdf", {"GET"}),
])
def test_api_every_405_names_the_allowed_methods(api, method, path, allowed):
    response = api("staff").call(method, path)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("path", ["/records/1/document.pdf", "/records/1/opinion.pdf", "/register.pdf?year=2026"])
def test_pdf_routes_answer_api_clients_401_json_and_browsers_a_login_redirect(app, api, path):
    make_record(app, "filed")
    for headers in ({"Accept": "application/json"}, {"Authorization": "Bearer not-a-token"}):
        response = api(None).get(path, headers=headers)
        assert response.status_code == 401 and response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    browser = api(None).get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 302 and "/login" in browser.headers["Location"]
    assert api("staff").get(path).status_code == 200


def test_register_pdf_year_out_of_range_is_a_documented_400(api):
    response = api("staff").get("/register.pdf?year=0")
    assert response.status_code == 400 and "year" in response.get_json()["error"]
    parameters = api(None).get("/api/v1/openapi.json").get_json()["paths"]["/register.pdf"]["get"]["parameters"]
    assert next(p["schema"] for p in parameters if p["name"] == "year")["minimum"] == 2000


def test_api_list_takes_the_unit_by_name_and_refuses_undocumented_parameters(app, api):
    make_record(app, "filed")
    staff = api("staff")
    assert len(staff.get("/api/v1/records?unit=自然资源开发利用科").get_json()["items"]) == 1
    assert_error(staff.get("/api/v1/records?unit=不存在的科"), 400)
    assert_error(staff.get("/api/v1/records?limit[a]=1"), 400)  # an object for `limit`
    assert_error(staff.get("/api/v1/records?limit=a,1"), 400)
    unit = api(None).get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/records"]["get"]["parameters"]
    assert "自然资源开发利用科" in next(p for p in unit if p["name"] == "unit")["schema"]["enum"]


def test_api_validate_and_create_refuse_nul_surrogates_and_deep_nesting(app, api):
    staff = api("staff")
    for raw in ('{"subject": "\\ud800"}', '{"subject": "a\\u0000b"}', '{"project": ' + '{"a": ' * 900 + '1' + '}' * 901):
        for path in ("/api/v1/validate", "/api/v1/records"):
            assert_error(staff.post(path, raw=raw), 400)
    assert record_count(app) == 0
