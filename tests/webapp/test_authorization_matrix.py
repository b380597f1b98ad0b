"""Role × route × own/other unit: every route is listed here, or this test fails.

Cells: "ok" (served or a 4xx about the data, never a permission refusal), "deny" (403/404),
"login" (redirect to the login page), "public".
"""
import pytest
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.webapp.records_data import valid_record
from webapp.extensions import db
from webapp.models import GuidanceRecord, SpotCheck, User
from webapp.services import attachments, jobs, queries
from webapp.services import records as svc
from tests.webapp.archive_data import image_bytes
import webapp.services.archive  # noqa: F401 — registers the archive job
from webapp.services import impact

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
    "register.filed": [("GET", "/records/filed", row(L, O, O, O, O, O))],
    "register.index": [("GET", "/register", row(L, O, O, O, O, O)),
                       ("GET", "/register?unit=自然资源开发利用科&status=draft", row(L, O, O, O, O, O))],
    "register.export_xlsx": [("GET", "/register.xlsx", row(L, O, O, O, O, O))],
    "register.export_csv": [("GET", "/register.csv", row(L, O, O, O, O, O))],
    "register.export_pdf": [("GET", "/register.pdf", row(L, O, O, O, O, O))],
    "register.mark_good_practice": [("POST", "/records/{filed}/good-practice", row(L, D, D, O, O, D)),
                                    ("POST", "/records/{draft}/good-practice", row(L, D, D, O, O, D))],
    "stats.index": [("GET", "/stats", row(L, O, O, O, O, O))],
    "stats.pdf": [("GET", "/stats.pdf", row(L, O, O, O, O, O))],
    "stats.xlsx": [("GET", "/stats.xlsx", row(L, O, O, O, O, O))],
    "review.queue": [("GET", "/review", row(L, D, D, O, O, D))],
    "review.approve": [("POST", "/records/{pending}/approve", row(L, D, D, O, O, D))],
    "review.return_": [("POST", "/records/{pending}/return", row(L, D, D, O, O, D))],
    "rules_page.index": [("GET", "/rules", row(L, O, O, O, O, O)), ("GET", "/rules?q=回访", row(L, O, O, O, O, O))],
    "rules_page.handout": [("GET", "/rules.pdf", row(L, O, O, O, O, O))],
    "review.spot_checks": [("GET", "/review/spot-checks", row(L, D, D, O, O, D))],
    "review.conclude_spot_check": [("POST", "/review/spot-checks/{spot}", row(L, D, D, O, O, D))],
    "documents.guidance_document": [("GET", "/records/{draft}/document.pdf", row(L, O, D, O, O, D)),
                                    ("GET", "/records/{filed}/document.pdf", row(L, O, O, O, O, O))],
    "documents.opinion_letter": [("GET", "/records/{pending}/opinion.pdf", row(L, O, D, O, O, D)),
                                 ("GET", "/records/{filed}/opinion.pdf", row(L, O, O, O, O, O))],
    "catalog.public": [("GET", "/catalog", row(P, O, O, O, O, O))],
    "catalog.catalog_pdf": [("GET", "/catalog.pdf", row(P, O, O, O, O, O))],
    "auth.mfa_verify": [("GET", "/login/verify", row(L, O, O, O, O, O))],
    "auth.mfa_setup": [("GET", "/mfa/setup", row(L, O, O, O, O, O))],
    "auth.account": [("GET", "/account", row(L, O, O, O, O, O))],
    "auth.regenerate_recovery_codes": [("POST", "/account/recovery-codes", row(L, O, O, O, O, O))],
    "auth.disable_mfa": [("POST", "/account/mfa/disable", row(L, O, O, O, O, O))],
    "auth.end_all_sessions": [("POST", "/account/sessions/end", row(L, O, O, O, O, O))],
    "auth.security": [("GET", "/admin/security", row(L, D, D, D, O, D))],
    "auth.clear_lockout": [("POST", "/admin/security/lockouts/1/clear", row(L, D, D, D, O, D))],
    "auth.reset_mfa": [("POST", "/admin/security/users/1/reset-mfa", row(L, D, D, D, O, D))],
    "health.healthz": [("GET", "/healthz", row(P, P, P, P, P, P))],
    "archive.attachments_page": [("GET", "/records/{draft}/attachments", row(L, O, D, O, O, D)),
                                 ("GET", "/records/{filed}/attachments", row(L, O, O, O, O, O))],
    "archive.upload": [("POST", "/records/{draft}/attachments", row(L, O, D, D, D, D)),
                       ("POST", "/records/{filed}/attachments", row(L, O, D, D, D, D))],
    "archive.remove_attachment": [("POST", "/records/{draft}/attachments/{draft_att}/remove", row(L, O, D, D, D, D))],
    "archive.download_attachment": [("GET", "/records/{draft}/attachments/{draft_att}", row(L, O, D, O, O, D)),
                                    ("GET", "/records/{filed}/attachments/{filed_att}", row(L, O, O, O, O, O))],
    "archive.thumbnail": [("GET", "/records/{draft}/attachments/{draft_att}/thumbnail.png", row(L, O, D, O, O, D)),
                          ("GET", "/records/{filed}/attachments/{filed_att}/thumbnail.png", row(L, O, O, O, O, O))],
    "archive.document_version": [("GET", "/records/{filed}/versions/{filed_doc}.pdf", row(L, O, O, O, O, O))],
    "archive.index": [("GET", "/archive", row(L, D, D, O, O, D))],
    "archive.start": [("POST", "/archive", row(L, D, D, O, O, D))],
    "archive.job": [("GET", "/archive/jobs/{job}", row(L, D, D, O, O, D))],
    "archive.download": [("GET", "/archive/jobs/{job}/download", row(L, D, D, O, O, D))],
    "records.withdraw": [("POST", "/records/{pending}/withdraw", row(L, O, D, D, D, D))],
    "records.discard": [("POST", "/records/{draft}/discard", row(L, O, D, D, D, D))],
    "auth.discarded": [("GET", "/admin/discarded", row(L, D, D, D, O, D))],
    "auth.restore": [("POST", "/admin/discarded/{discarded}/restore", row(L, D, D, D, O, D))],
    "auth.users": [("GET", "/admin/users", row(L, D, D, D, O, D))],
    "auth.new_user": [("GET", "/admin/users/new", row(L, D, D, D, O, D))],
    "auth.create_user": [("POST", "/admin/users/new", row(L, D, D, D, O, D))],
    "auth.user": [("GET", "/admin/users/staff", row(L, D, D, D, O, D))],
    "auth.update_user": [("POST", "/admin/users/staff", row(L, D, D, D, O, D))],
    "auth.set_active": [("POST", "/admin/users/staff/active", row(L, D, D, D, O, D))],
    "auth.reset_password": [("POST", "/admin/users/staff/reset-password", row(L, D, D, D, O, D))],
    "auth.revoke_token": [("POST", "/admin/users/staff/revoke-token", row(L, D, D, D, O, D))],
    "auth.change_password": [("GET", "/account/password", row(L, O, O, O, O, O))],
    "auth.save_password": [("POST", "/account/password", row(L, O, O, O, O, O))],
    # 目录清单: published versions are public; the draft is 政策法规科's (reviewer and admin).
    "catalog.version": [("GET", "/catalog/versions/1", row(P, O, O, O, O, O))],
    "catalog.draft": [("GET", "/catalog/draft", row(L, D, D, O, O, D))],
    "catalog.new_item": [("GET", "/catalog/draft/items/new", row(L, D, D, O, O, D))],
    "catalog.create_item": [("POST", "/catalog/draft/items/new", row(L, D, D, O, O, D))],
    "catalog.item": [("GET", "/catalog/draft/items/ZD-TD-01", row(L, D, D, O, O, D))],
    "catalog.save_item": [("POST", "/catalog/draft/items/ZD-TD-01", row(L, D, D, O, O, D))],
    "catalog.retire_item": [("POST", "/catalog/draft/items/ZD-TD-01/retire", row(L, D, D, O, O, D))],
    "catalog.import_dry_run": [("POST", "/catalog/draft/import", row(L, D, D, O, O, D))],
    "catalog.import_apply": [("POST", "/catalog/draft/import/apply", row(L, D, D, O, O, D))],
    "catalog.export": [("GET", "/catalog/draft/export.xlsx", row(L, D, D, O, O, D)),
                       ("GET", "/catalog/draft/export.json", row(L, D, D, O, O, D))],
    "catalog.publish": [("POST", "/catalog/draft/publish", row(L, D, D, O, O, D))],
    "catalog.run_impact": [("POST", "/catalog/draft/impact", row(L, D, D, O, O, D))],
    "impact.params": [("GET", "/rules/params", row(L, D, D, D, O, D))],
    "impact.save_params": [("POST", "/rules/params", row(L, D, D, D, O, D))],
    "impact.run_params_impact": [("POST", "/rules/params/impact", row(L, D, D, D, O, D))],
    "impact.publish_params": [("POST", "/rules/params/publish", row(L, D, D, D, O, D))],
    "impact.report": [("GET", "/impact/{impact_job}", row(L, D, D, O, O, D))],
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
        discarded = svc.create_draft(staff, valid_record(subject="放弃"))
        svc.discard_record(staff, discarded.id)
        ids = {"draft": draft.id, "pending": pending.id, "filed": filed.id, "discarded": discarded.id}
        ids["draft_att"] = attachments.add_attachment(staff, draft.id, image_bytes(), "a.jpg", "site_photo").attachment.id
        ids["filed_att"] = attachments.add_attachment(staff, filed.id, image_bytes("PNG"), "b.png", "other").attachment.id
        ids["filed_doc"] = queries.document_versions(filed.id)[0].id
        spot = db.session.scalar(select(SpotCheck).where(SpotCheck.record_id == filed.id))
        if spot is None:  # the draw did not pick it: put it in the 抽查 queue by hand
            spot = SpotCheck(record_id=filed.id, draw_value=0.5, rate=1.0)
            db.session.add(spot)
            db.session.commit()
        ids["spot"] = spot.id
        ids["job"] = jobs.enqueue_job(db.session.scalar(select(User).where(User.username == "reviewer")),
                                      "archive", {"year": 2026, "unit": None}).id
        ids["impact_job"] = impact.start(db.session.scalar(select(User).where(User.username == "reviewer")),
                                         items=None, params={}, years=(2026, 2026), label="参数草稿").id
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
        data = {"csrf_token": auth.csrf_token(), "comment": "意见", "reason": "理由", "good_reason": "做法可推广",
                "result": "adopted",
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
        if endpoint not in ("auth.logout", "auth.end_all_sessions"):  # logging out lands on the login page
            assert "/login" not in location


# --- JSON API v1 ------------------------------------------------------------------------------
# Each API call borrows the cells of the HTML route that does the same thing ("same matrix").
# For the API, "login" means 401 JSON (never a redirect). The rows join MATRIX after CASES was
# built, so test_matrix_lists_every_route sees them and test_api_matrix_access below runs them
# with bearer tokens.

API_TWINS = {  # API endpoint → [(method, url, HTML endpoint, index of its MATRIX entry)]
    "api.validate": [("POST", "/api/v1/validate", "records.validate", 0)],
    "api.create_record": [("POST", "/api/v1/records", "records.create", 0)],
    "api.list_records": [("GET", "/api/v1/records", "register.index", 0)],
    "api.stats": [("GET", "/api/v1/stats", "stats.index", 0)],
    "api.list_alerts": [("GET", "/api/v1/alerts", "main.home", 0)],
    "api.get_record": [("GET", "/api/v1/records/{draft}", "records.view", 0),
                       ("GET", "/api/v1/records/{pending}", "records.view", 1),
                       ("GET", "/api/v1/records/{filed}", "records.view", 2)],
    "api.update_record": [("PATCH", "/api/v1/records/{draft}", "records.update", 0)],
    "api.submit_record": [("POST", "/api/v1/records/{draft}/submit", "records.submit", 0)],
    "api.approve_record": [("POST", "/api/v1/records/{pending}/approve", "review.approve", 0)],
    "api.return_record": [("POST", "/api/v1/records/{pending}/return", "review.return_", 0)],
    "api.close_record": [("POST", "/api/v1/records/{filed}/close", "records.close", 0)],
    "api.void_record": [("POST", "/api/v1/records/{filed}/void", "records.void", 0)],
    "api.upload_attachment": [("POST", "/api/v1/records/{draft}/attachments", "archive.upload", 0)],
    "api.withdraw_record": [("POST", "/api/v1/records/{pending}/withdraw", "records.withdraw", 0)],
    "api.discard_record": [("POST", "/api/v1/records/{draft}/discard", "records.discard", 0)],
    "api.list_users": [("GET", "/api/v1/users", "auth.users", 0)],
    "api.create_user": [("POST", "/api/v1/users", "auth.create_user", 0)],
    "api.update_user": [("PATCH", "/api/v1/users/staff", "auth.update_user", 0)],
    "api.catalog": [("GET", "/api/v1/catalog", "catalog.public", 0),
                    ("GET", "/api/v1/catalog?version=1", "catalog.version", 0)],
    "api.catalog_draft": [("GET", "/api/v1/catalog/draft", "catalog.draft", 0)],
    "api.replace_catalog_draft": [("PUT", "/api/v1/catalog/draft", "catalog.save_item", 0)],
    "api.publish_catalog_draft": [("POST", "/api/v1/catalog/draft/publish", "catalog.publish", 0)],
}
API_MATRIX = {
    "api.openapi": [("GET", "/api/v1/openapi.json", row(P, P, P, P, P, P))],
    **{endpoint: [(method, url, MATRIX[html][index][2]) for method, url, html, index in twins]
       for endpoint, twins in API_TWINS.items()},
}
MATRIX.update(API_MATRIX)

API_BODIES = {
    "api.validate": valid_record(), "api.create_record": valid_record(),
    "api.update_record": {"version": 1, "subject": "改"}, "api.submit_record": {},
    "api.approve_record": {"comment": "意见"}, "api.return_record": {"comment": "意见"},
    "api.close_record": {"result": "adopted", "effect": "当事人已完成整改并归还土地，效果良好。"},
    "api.void_record": {"reason": "理由"},
    "api.create_user": {"username": "matrix-new", "role": "staff", "unit": "办公室"},
    "api.update_user": {"display_name": "改名"},
}
API_CASES = [(endpoint, method, url, role, expected)
             for endpoint, entries in API_MATRIX.items()
             for method, url, expectations in entries
             for role, expected in expectations.items()]


def _twin(endpoint: str, url: str):
    for method, api_url, html, index in API_TWINS.get(endpoint, ()):
        if api_url == url:
            return method, MATRIX[html][index][1]
    return None


@pytest.mark.parametrize("endpoint,method,url,role,expected", API_CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in API_CASES])
def test_api_matrix_access(app, client, records, endpoint, method, url, role, expected):
    """API and HTML enforce identical permissions: same cells, and the same 403/404 on refusal."""
    from webapp.services.accounts import issue_api_token

    headers = {}
    if role != "anon":
        with app.app_context():
            headers["Authorization"] = f"Bearer {issue_api_token(role)}"
    path = url.format(**records)
    response = client.open(path, method=method, json=API_BODIES.get(endpoint) if method != "GET" else None,
                           headers=headers)
    status = response.status_code
    assert "Location" not in response.headers
    if expected == L:
        assert status == 401 and response.get_json()["error"]
    elif expected == D:
        assert status in (403, 404), f"{role} {method} {path} → {status}"
        html_method, html_url = _twin(endpoint, url)
        html = app.test_client()
        auth = AuthActions(html)
        assert auth.login(role).status_code == 302
        html_path = html_url.format(**records)
        html_status = (html.get(html_path) if html_method == "GET" else
                       html.post(html_path, data={"csrf_token": auth.csrf_token()})).status_code
        assert html_status == status, f"HTML {html_path} → {html_status}, API {path} → {status}"
    else:
        assert status not in (401, 403, 404) and status < 500, f"{role} {method} {path} → {status}"
