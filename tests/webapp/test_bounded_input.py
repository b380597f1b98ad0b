"""Bounded input: extreme values on every API route and form give a 4xx with a message, never a
500, and store nothing (issue 15 point 4). Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL,
whose text columns cannot hold NUL at all.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rules.limits import RECORD_MAX_CHARS, TEXT_LIMITS
from tests.webapp.records_data import VALID_CLOSE, valid_record
from tests.webapp.test_api_support import api, make_record, tokens  # noqa: F401 — fixtures
from tests.webapp.test_records_views import form_data
from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord

EXTREME_MOMENTS = ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00",
                   "1999-12-31T23:59:59+08:00", "2101-01-01T00:00:00+08:00"]
# Wrong for every §3 field ({} and [] are a valid empty target or officer list, true a valid flag).
WRONG_TYPES = [1, -1.5, 10**40, [["x"]], {"a": "b"}]
SETTINGS = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def deep_json(depth: int) -> str:
    return '{"a": ' * depth + '"x"' + "}" * depth


def with_extreme(field: str, raw_value: str) -> str:
    """A valid record as JSON text whose `field` holds a raw JSON fragment (e.g. 900 levels deep)."""
    return json.dumps(valid_record(**{field: "@@"})).replace('"@@"', raw_value)


MOMENT_FIELDS = ("guided_at", "applied_at", "follow_up_due")
any_field_fragment = st.one_of(
    st.sampled_from(["\ud800", "a\x00b", "\x00", "\udfff尾"]).map(json.dumps),
    st.sampled_from(WRONG_TYPES).map(json.dumps),
    st.sampled_from([900, 50, 9]).map(deep_json),
    st.just('"\\ud800"'), st.just('"a\\u0000b"'),
)
# (field, raw JSON value): each extreme where it is extreme (a year-1 date is plain text in `subject`).
extreme_pairs = st.one_of(
    st.tuples(st.sampled_from(sorted(valid_record())), any_field_fragment),
    st.tuples(st.sampled_from(MOMENT_FIELDS), st.sampled_from(EXTREME_MOMENTS).map(json.dumps)),
    st.tuples(st.sampled_from(sorted(p for p in TEXT_LIMITS if "." not in p and p != "officers")),
              st.sampled_from(["字" * 5001, " " * 10 + "x" * 70_000]).map(json.dumps)),
)
form_fields = st.sampled_from(["subject", "content", "place", "catalog_code", "unit", "guided_at", "applied_at",
                               "target.name", "target.id_number", "contact_phone", "officers", "legal_basis",
                               "case.decision_number", "follow_up_due"])


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(GuidanceRecord.id))),
                db.session.scalar(select(func.count(AuditEvent.id))))


def message_of(response) -> str:
    body = response.get_json(silent=True)
    return body["error"] if body else response.get_data(as_text=True)


def assert_refused(response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    message = message_of(response)
    assert message and ("应" in message or "不" in message or "过" in message or "有误" in message), message[:300]


def test_bounded_input_api_create_and_patch(app, api):  # noqa: F811
    staff = api("staff")
    draft = staff.post("/api/v1/records", valid_record()).get_json()

    @SETTINGS
    @given(pair=extreme_pairs)
    def check(pair):
        field, fragment = pair
        before = counts(app)
        created = staff.post("/api/v1/records", raw=with_extreme(field, fragment))
        assert_refused(created, 400, 413, 422)
        patched = staff.patch(f"/api/v1/records/{draft['id']}",
                              raw=with_extreme(field, fragment).replace("{", '{"version": %d, ' % draft["version"], 1))
        assert_refused(patched, 400, 413, 422)
        assert counts(app) == before  # nothing stored: no record, no audit event
        validated = staff.post("/api/v1/validate", raw=with_extreme(field, fragment))
        assert validated.status_code in (200, 400, 413, 422)
        if validated.status_code == 200:  # a report: the extreme value is one of its findings
            assert any(f["field"].split(".")[0] == field for f in validated.get_json()["findings"])

    check()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-12:00"])
@pytest.mark.parametrize("field", ["guided_at", "applied_at"])
def test_bounded_input_extreme_dates_never_stored(app, api, field, moment):  # noqa: F811
    staff = api("staff")
    before = counts(app)
    response = staff.post("/api/v1/records", valid_record(**{field: moment}))
    assert_refused(response, 422)
    assert any(f["field"] == field and "2000" in f["message"] for f in response.get_json()["findings"])
    assert counts(app) == before


def test_bounded_input_whole_record_and_lists(app, api):  # noqa: F811
    staff = api("staff")
    before = counts(app)
    officers = staff.post("/api/v1/records", valid_record(officers=[f"人员{i}" for i in range(11)]))
    assert_refused(officers, 422)
    assert "最多10项" in officers.get_json()["error"]
    blanks = staff.post("/api/v1/records", valid_record(officers=["张明"] + [" "] * 10))
    assert_refused(blanks, 422)  # counted as sent: the description's maxItems
    bases = staff.post("/api/v1/records", valid_record(legal_basis=[{"law": f"法{i}", "articles": []} for i in range(21)]))
    assert_refused(bases, 422)
    padded = staff.post("/api/v1/records", valid_record(content="说明" + " " * RECORD_MAX_CHARS))
    assert_refused(padded, 413)
    too_big = staff.post("/api/v1/records", raw=json.dumps(valid_record(content="x" * 300_000)))
    assert_refused(too_big, 413)
    catalog = staff.post("/api/v1/records", valid_record(catalog_code="Z" * (TEXT_LIMITS["catalog_code"] + 1)))
    assert_refused(catalog, 422)
    assert counts(app) == before


@pytest.mark.parametrize("path,body", [
    ("submit", {"version": "@@"}), ("approve", {"comment": "@@"}), ("return", {"comment": "@@"}),
    ("close", {**VALID_CLOSE, "effect": "@@"}), ("void", {"reason": "@@"}),
])
def test_bounded_input_workflow_bodies(app, api, path, body):  # noqa: F811
    record_id = make_record(app, "pending" if path in ("approve", "return") else
                            "filed" if path in ("close", "void") else "draft")
    role = "reviewer" if path in ("approve", "return", "void") else "staff"
    caller = api(role)
    for fragment in ('"\\ud800"', '"a\\u0000b"', deep_json(900), json.dumps("字" * 100_000), "[]", "{}"):
        before = counts(app)
        response = caller.post(f"/api/v1/records/{record_id}/{path}", raw=json.dumps(body).replace('"@@"', fragment))
        assert_refused(response, 400, 413, 422)
        assert counts(app) == before


@settings(max_examples=20, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(["q", "unit", "catalog", "officer", "year", "from", "to", "limit", "after", "status",
                             "sort", "field", "good"]),
       value=st.sampled_from(["a%00b", "%ED%A0%80", "%F4%90%80%80", "字" * 5000, "0", "9999", "-1", "[]", "{}",
                              "0001-01-01", "%FF"]))
def test_bounded_input_query_strings(client, api, name, value):  # noqa: F811
    """Values as a client puts them in the URL (percent-encoded bytes, a lone surrogate among them)."""
    staff = api("staff")
    for path in ("/api/v1/records", "/api/v1/stats", "/register", "/register.pdf", "/records/catalog-item"):
        response = staff.get(f"{path}?{name}={value}")
        assert response.status_code < 500, (path, name, response.status_code)
        if "%00" in value:
            assert response.status_code == 400, (path, response.status_code)
            assert "不允许的字符" in message_of(response)


@pytest.fixture
def staff_session(client, auth):
    auth.login("staff")
    return auth


FORM_CASES = [(field, "a\x00b") for field in ("subject", "catalog_code", "guided_at", "target.name", "officers")] + [
    ("subject", "字" * 201), ("content", "字" * 5001), ("place", "地" * 201), ("target.name", "名" * 201),
    ("officers", "张" * 51), ("catalog_code", "Z" * 31), ("guided_at", "0001-01-01T00:00"),
    ("guided_at", "9999-12-31T23:59"), ("legal_basis", "\n".join(f"法律{i} 第一条" for i in range(21))),
    ("contact_phone", "1" * 31),
]


@pytest.mark.parametrize("field,value", FORM_CASES)
def test_bounded_input_record_form(app, client, staff_session, field, value):
    before = counts(app)
    data = form_data(valid_record(), csrf=staff_session.csrf_token())
    data[field] = [value] if field == "officers" else value
    response = client.post("/records/new", data=data)
    assert response.status_code in (400, 422), response.status_code
    page = response.get_data(as_text=True)
    assert "存在以下问题" in page or "不允许的字符" in page or "请" in page
    assert counts(app) == before


@pytest.mark.parametrize("username", ["staff\x00", "\x00", "管理员\x00x"])
def test_bounded_input_login_form_refuses_nul(client, auth, username):
    response = client.post("/login", data={"username": username, "password": "x", "csrf_token": auth.csrf_token()})
    assert response.status_code == 400
    assert "不允许的字符" in response.get_data(as_text=True)


def test_bounded_input_catalog_lookup(client, staff_session):
    for code in ("ZD%00", "Z" * 500, "%ED%A0%80"):
        response = client.get(f"/records/catalog-item?catalog_code={code}")
        assert response.status_code in (200, 400), response.status_code
    assert client.get("/records/catalog-item?catalog_code=ZD%00").status_code == 400


def test_officer_filter_with_a_draft_whose_officers_are_null(app, api):  # noqa: F811
    """PostgreSQL: a JSON null in `officers` must not break the officer filter (was a 500)."""
    staff = api("staff")
    assert staff.post("/api/v1/records", {"subject": "无人员草稿", "officers": None}).status_code == 201
    response = staff.get("/api/v1/records?officer=张明")
    assert response.status_code == 200
    assert all(item["subject"] != "无人员草稿" for item in response.get_json()["items"])
