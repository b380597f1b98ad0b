"""User administration (admin), the user's own password, the forced change, and a disabled
user's session and token refused at once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, AuthActions
from webapp.extensions import db
from webapp.models import AuditEvent, User
from webapp.services import DomainError, accounts
from webapp.services.passwords import common_passwords, initial_password, password_problem


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _events(user_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity == "user", AuditEvent.entity_id == user_id).order_by(AuditEvent.id)))


def _one_time_password(html: str) -> str:
    match = re.search(r"<code data-one-time-password>([^<]+)</code>", html)
    assert match, "the page shows no one-time password"
    return match.group(1)


# --- password rules --------------------------------------------------------------------------------

def test_password_rules_length_common_list_and_username():
    assert len(common_passwords()) == 10_000
    assert password_problem("short-pw1") == "密码至少 10 个字符"
    assert "最常见" in password_problem("1234567890")  # in the list, and long enough
    assert "最常见" in password_problem("QWERTYUIOP")  # case does not help
    assert "用户名" in password_problem("zhangsan-2026!", username="zhangsan")
    assert password_problem("梧桐巷口的第七盏路灯") is None
    assert password_problem(initial_password()) is None


def test_own_password_change_needs_the_current_password_and_the_rules(app, client, auth):
    auth.login("staff")
    token = auth.csrf_token()

    def post(current, new, confirm=None):
        return client.post("/account/password", data={"csrf_token": token, "current_password": current,
                                                       "new_password": new,
                                                       "confirm_password": new if confirm is None else confirm})

    response = post("wrong-password", "a-brand-new-secret")
    assert response.status_code == 422 and "当前密码不正确" in response.get_data(as_text=True)
    response = post(TEST_PASSWORD, "pass-12")
    assert response.status_code == 422 and "密码至少 10 个字符" in response.get_data(as_text=True)
    response = post(TEST_PASSWORD, "1qaz2wsx3edc")
    assert response.status_code == 422 and "最常见" in response.get_data(as_text=True)
    response = post(TEST_PASSWORD, "a-brand-new-secret", "a-brand-new-secreT")
    assert response.status_code == 422 and "两次输入的新密码不一致" in response.get_data(as_text=True)
    response = post(TEST_PASSWORD, "a-brand-new-secret")
    assert response.status_code == 302
    assert client.get("/records/mine").status_code == 200  # this browser stays logged in
    with app.app_context():
        assert _user("staff").check_password("a-brand-new-secret")
        assert _events(_user("staff").id)[-1] == "change_password"
    other = AuthActions(app.test_client())
    assert other.login("staff", TEST_PASSWORD).status_code == 422
    assert other.login("staff", "a-brand-new-secret").status_code == 302


# --- create, reset and the forced change ---------------------------------------------------------

def test_admin_creates_user_with_one_time_password_and_first_login_forces_a_change(app, client, auth):
    auth.login("admin")
    response = client.post("/admin/users/new", data={"csrf_token": auth.csrf_token(), "username": "newbie",
                                                     "display_name": "新同事", "role": "staff", "unit": "办公室"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = _one_time_password(response.get_data(as_text=True))
    with app.app_context():
        user = _user("newbie")
        assert user.must_change_password and user.role == "staff" and user.unit.name == "办公室"
        assert password not in (user.password_hash or "")
        assert _events(user.id) == ["create"]
    assert "newbie" in client.get("/admin/users").get_data(as_text=True)

    newbie = app.test_client()
    newbie_auth = AuthActions(newbie)
    assert newbie_auth.login("newbie", password).status_code == 302
    for path in ("/", "/records/mine", "/register"):
        response = newbie.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    partial = newbie.get("/register", headers={"HX-Request": "true"})
    assert partial.headers.get("HX-Redirect", "").endswith("/account/password")
    token = newbie_auth.csrf_token()
    response = newbie.post("/account/password", data={"csrf_token": token, "current_password": password,
                                                      "new_password": "my-own-secret-77",
                                                      "confirm_password": "my-own-secret-77"})
    assert response.status_code == 302
    assert newbie.get("/records/mine").status_code == 200
    with app.app_context():
        assert not _user("newbie").must_change_password


def test_forced_change_does_not_affect_api_tokens(app, client):
    with app.app_context():
        admin = _user("admin")
        accounts.reset_password("staff", actor_id=admin.id)
        token = accounts.issue_api_token("staff")
    response = client.get("/api/v1/records", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_admin_reset_password_ends_sessions_and_old_password(app, client, auth):
    staff_client = app.test_client()
    assert AuthActions(staff_client).login("staff").status_code == 302
    auth.login("admin")
    response = client.post("/admin/users/staff/reset-password", data={"csrf_token": auth.csrf_token()})
    password = _one_time_password(response.get_data(as_text=True))
    response = staff_client.get("/records/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    fresh = AuthActions(app.test_client())
    assert fresh.login("staff", TEST_PASSWORD).status_code == 422
    assert fresh.login("staff", password).status_code == 302
    with app.app_context():
        assert _events(_user("staff").id)[-1] == "reset_password"


def test_admin_changes_role_unit_and_name_with_an_audit_event(app, client, auth):
    auth.login("admin")
    token = auth.csrf_token()
    response = client.post("/admin/users/staff", data={"csrf_token": token, "display_name": "张三丰",
                                                       "role": "viewer", "unit": "办公室"})
    assert response.status_code == 302
    with app.app_context():
        user = _user("staff")
        assert (user.display_name, user.role, user.unit.name) == ("张三丰", "viewer", "办公室")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "user",
                                                           AuditEvent.entity_id == user.id))
        assert event.action == "update" and event.changes["role"] == {"before": "staff", "after": "viewer"}
    page = client.get("/admin/users/staff").get_data(as_text=True)
    assert "修改用户" in page
    response = client.post("/admin/users/staff", data={"csrf_token": token, "display_name": "",
                                                       "role": "viewer", "unit": "办公室"})
    assert response.status_code == 422 and "请输入姓名" in response.get_data(as_text=True)
    response = client.post("/admin/users/admin/active", data={"csrf_token": token, "active": "0"})
    assert response.status_code == 400 and "不能停用自己的账户" in response.get_data(as_text=True)


def test_create_user_form_refusals_are_shown_at_the_field(client, auth):
    auth.login("admin")
    token = auth.csrf_token()
    response = client.post("/admin/users/new", data={"csrf_token": token, "username": "", "role": "", "unit": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#f-username"' in body and "请选择角色" in body
    response = client.post("/admin/users/new", data={"csrf_token": token, "username": "staff", "role": "staff",
                                                     "unit": "办公室"})
    assert response.status_code == 422 and "用户名已存在" in response.get_data(as_text=True)


# --- disabling: the session and the token stop at once ----------------------------------------------

def test_disabled_user_session_and_token_refused_at_once(app, client, auth):
    staff_client = app.test_client()
    assert AuthActions(staff_client).login("staff").status_code == 302
    with app.app_context():
        token = accounts.issue_api_token("staff")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/records", headers=bearer).status_code == 200
    auth.login("admin")
    response = client.post("/admin/users/staff/active", data={"csrf_token": auth.csrf_token(), "active": "0"})
    assert response.status_code == 302
    response = staff_client.get("/records/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 401
    assert AuthActions(app.test_client()).login("staff").status_code == 422
    with app.app_context():
        assert _events(_user("staff").id)[-1] == "disable"
    client.post("/admin/users/staff/active", data={"csrf_token": auth.csrf_token(), "active": "1"})
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 200


def test_admin_revokes_a_users_api_token(app, client, auth):
    with app.app_context():
        token = accounts.issue_api_token("staff")
    auth.login("admin")
    csrf = auth.csrf_token()
    assert client.post("/admin/users/staff/revoke-token", data={"csrf_token": csrf}).status_code == 302
    assert app.test_client().get("/api/v1/records", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    response = client.post("/admin/users/staff/revoke-token", data={"csrf_token": csrf})
    assert response.status_code == 409 and "没有有效的 API 令牌" in response.get_data(as_text=True)


# --- API -----------------------------------------------------------------------------------------

@pytest.fixture
def admin_api(app, client):
    with app.app_context():
        token = accounts.issue_api_token("admin")
    return {"Authorization": f"Bearer {token}"}


def test_api_users_list_create_and_patch(app, client, admin_api):
    items = client.get("/api/v1/users", headers=admin_api).get_json()["items"]
    assert {"staff", "reviewer", "admin", "viewer"} <= {item["username"] for item in items}
    response = client.post("/api/v1/users", headers=admin_api,
                           json={"username": "api-made", "display_name": "接口用户", "role": "reviewer",
                                 "unit": "政策法规科"})
    assert response.status_code == 201
    created = response.get_json()
    assert created["must_change_password"] and created["role"] == "reviewer" and created["unit"] == "政策法规科"
    assert password_problem(created["initial_password"]) is None
    assert AuthActions(app.test_client()).login("api-made", created["initial_password"]).status_code == 302
    listed = client.get("/api/v1/users", headers=admin_api).get_json()["items"]
    assert "initial_password" not in [key for item in listed for key in item]  # shown once

    response = client.patch("/api/v1/users/api-made", headers=admin_api, json={"unit": "办公室", "active": False})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert response.get_json()["unit"] == "办公室"
    assert client.patch("/api/v1/users/nobody", headers=admin_api, json={"active": False}).status_code == 404
    assert client.patch("/api/v1/users/api-made", headers=admin_api, json={"role": "boss"}).status_code == 400
    assert client.patch("/api/v1/users/api-made", headers=admin_api, json={"password": "x"}).status_code == 400
    assert client.patch("/api/v1/users/api-made", headers=admin_api, json={}).status_code == 400
    response = client.post("/api/v1/users", headers=admin_api, json={"username": "api-made", "role": "staff",
                                                                     "unit": "办公室"})
    assert response.status_code == 400 and "用户名已存在" in response.get_json()["error"]


def test_api_disabled_user_token_refused_at_once(app, client, admin_api):
    with app.app_context():
        token = accounts.issue_api_token("staff")
    staff = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/records", headers=staff).status_code == 200
    assert client.patch("/api/v1/users/staff", headers=admin_api, json={"active": False}).status_code == 200
    assert client.get("/api/v1/records", headers=staff).status_code == 401


def test_api_users_need_admin(app, client):
    with app.app_context():
        token = accounts.issue_api_token("reviewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post("/api/v1/users", headers=headers,
                       json={"username": "x1", "role": "staff", "unit": "办公室"}).status_code == 403


def test_service_refuses_unknown_fields_and_self_demotion(app):
    with app.app_context():
        admin = _user("admin")
        with pytest.raises(DomainError):
            accounts.update_user("staff", {"password": "x"}, actor_id=admin.id)
        with pytest.raises(DomainError, match="不能修改自己的角色"):
            accounts.update_user("admin", {"role": "viewer"}, actor_id=admin.id)
