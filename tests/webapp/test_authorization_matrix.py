"""Role × route × own/other unit: every route is listed here, or this test fails.

Cells: "ok" (served or a 4xx about the data, never a permission refusal), "deny" (403/404),
"login" (redirect to the login page), "public".
"""
import pytest
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import GuidanceRecord, User
from webapp.services import records as svc

ROLES = ("anon", "staff", "staff2", "reviewer", "admin", "viewer")
# own_draft belongs to staff's unit; staff2 is in another unit.
O, D, L, P = "ok", "deny", "login", "public"


def row(anon, staff, staff2, reviewer, admin, viewer):
    return dict(zip(ROLES, (anon, staff, staff2, reviewer, admin, viewer)))


# endpoint → list of (method, url with {draft}/{pending}/{filed}, expectations)
MATRIX = {
    "main.home": [("GET", "/", row(L, O, O, O, O, O))],
    "auth.login": [("GET", "/login", row(P, O, O, O, O, O))],
    "auth.logout": [("POST", "/logout", row(L, O, O, O, O, O))],
    "records.new": [("GET", "/records/new", row(L, O, O, D, D, D))],
    "records.create": [("POST", "/records/new", row(L, O, O, D, D, D))],
    "records.edit": [("GET", "/records/{draft}/edit", row(L, O, D, D, D, D))],
    "records.update": [("POST", "/records/{draft}/edit", row(L, O, D, D, D, D))],
    "records.validate": [("POST", "/records/validate", row(L, O, O, O, O, O)),
                         ("POST", "/records/validate?record_id={draft}", row(L, O, O, O, O, O))],
    "records.catalog_item_info": [("GET", "/records/catalog-item?catalog_code=ZD-TD-03", row(L, O, O, O, O, O))],
    "records.submit": [("POST", "/records/{draft}/submit", row(L, O, D, D, D, D))],
    "records.view": [("GET", "/records/{draft}", row(L, O, D, O, O, D)),
                     ("GET", "/records/{pending}", row(L, O, D, O, O, D)),
                     ("GET", "/records/{filed}", row(L, O, O, O, O, O))],
    "records.close": [("POST", "/records/{filed}/close", row(L, O, D, D, D, D))],
    "records.void": [("POST", "/records/{filed}/void", row(L, D, D, O, O, D))],
    "records.mine": [("GET", "/records/mine", row(L, O, O, D, D, D))],
    "records.filed": [("GET", "/records/filed", row(L, O, O, O, O, O))],
    "review.queue": [("GET", "/review", row(L, D, D, O, O, D))],
    "review.approve": [("POST", "/records/{pending}/approve", row(L, D, D, O, O, D))],
    "review.return_": [("POST", "/records/{pending}/return", row(L, D, D, O, O, D))],
    "rules_page.index": [("GET", "/rules", row(L, O, O, O, O, O))],
    "documents.guidance_document": [("GET", "/records/{draft}/document.pdf", row(L, O, D, O, O, D)),
                                    ("GET", "/records/{filed}/document.pdf", row(L, O, O, O, O, O))],
    "documents.opinion_letter": [("GET", "/records/{pending}/opinion.pdf", row(L, O, D, O, O, D)),
                                 ("GET", "/records/{filed}/opinion.pdf", row(L, O, O, O, O, O))],
    "documents.register": [("GET", "/register.pdf", row(L, O, O, O, O, O))],
    "catalog.public": [("GET", "/catalog", row(P, O, O, O, O, O))],
    "catalog.catalog_pdf": [("GET", "/catalog.pdf", row(P, O, O, O, O, O))],
}
UNLISTED_OK = {"static"}


def test_matrix_lists_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNLISTED_OK
    assert endpoints == set(MATRIX), "add the new route to MATRIX with its expected access"


@pytest.fixture
def records(app):
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        draft = svc.create_draft(staff, valid_record(subject="草稿"))
        pending = svc.create_draft(staff, valid_record(subject="待审", content="必须整改。"))
        svc.submit_record(staff, pending.id)
        filed = svc.create_draft(staff, valid_record(subject="备案"))
        svc.submit_record(staff, filed.id)
        ids = {"draft": draft.id, "pending": pending.id, "filed": filed.id}
        assert db.session.get(GuidanceRecord, ids["pending"]).status == "pending_review"
        assert db.session.get(GuidanceRecord, ids["filed"]).status == "filed"
    return ids


CASES = [(endpoint, method, url, role, expected)
         for endpoint, entries in MATRIX.items()
         for method, url, expectations in entries
         for role, expected in expectations.items()]


@pytest.mark.parametrize("endpoint,method,url,role,expected", CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES])
def test_matrix_access(app, client, records, endpoint, method, url, role, expected):
    auth = AuthActions(client)
    if role != "anon":
        assert auth.login(role).status_code == 302
    path = url.format(**records)
    if method == "GET":
        response = client.get(path)
    else:
        data = {"csrf_token": auth.csrf_token(), "comment": "意见", "reason": "理由", "result": "adopted",
                "effect": "当事人已完成整改并归还土地，效果良好。"}
        response = client.post(path, data=data)
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == L:
        assert status == 302 and "/login" in location
    elif expected == D:
        assert status in (403, 404), f"{role} {method} {path} → {status}"
    elif expected in (O, P):
        assert status not in (403, 404) and status < 500, f"{role} {method} {path} → {status}"
        if endpoint != "auth.logout":  # logging out lands on the login page by design
            assert "/login" not in location
