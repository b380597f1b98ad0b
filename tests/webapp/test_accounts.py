"""Password hashing, login, logout, throttling."""
import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from webapp.extensions import db
from webapp.models import AuditEvent, LoginThrottle, User
from webapp.services import DomainError
from webapp.services.accounts import create_user


def test_accounts_password_hash_is_scrypt_and_salted(app):
    with app.app_context():
        a = create_user(username="hash1", password="s3cret-pass", role="staff", unit_name="办公室")
        b = create_user(username="hash2", password="s3cret-pass", role="staff", unit_name="办公室")
        a, b = db.session.get(User, a.id), db.session.get(User, b.id)
        assert a.password_hash.startswith("scrypt:")
        assert a.password_hash != b.password_hash  # salted
        assert "s3cret-pass" not in a.password_hash
        assert a.check_password("s3cret-pass") and not a.check_password("s3cret-pasS")


def test_accounts_create_user_refuses_bad_input(app):
    with app.app_context():
        with pytest.raises(DomainError, match="密码至少"):
            create_user(username="x", password="short", role="staff", unit_name="办公室")
        with pytest.raises(DomainError, match="角色无效"):
            create_user(username="x", password="long-enough", role="boss", unit_name="办公室")
        with pytest.raises(DomainError, match="单位不存在"):
            create_user(username="x", password="long-enough", role="staff", unit_name="火星科")
        with pytest.raises(DomainError, match="用户名已存在"):
            create_user(username="staff", password="long-enough", role="staff", unit_name="办公室")
        created = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "user")).all()
        assert created == []  # nothing half-made


def test_login_page_full_html(client):
    response = client.get("/login")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in body and "登录" in body
    assert 'name="csrf-token"' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_login_success_then_logout(client, auth):
    response = auth.login("staff")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "张明" in home and "经办人" in home
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


@pytest.mark.parametrize("username,password", [("staff", "wrong-password"), ("nobody", TEST_PASSWORD)])
def test_login_failure_same_message_for_unknown_user_and_wrong_password(auth, username, password):
    response = auth.login(username, password)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "用户名或密码不正确" in body
    assert 'href="#f-username"' in body  # the error summary links to the field
    assert f'value="{username}"' in body  # what the user typed is kept


def test_login_empty_fields_get_inline_messages(auth, client):
    token = auth.csrf_token()
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入用户名" in body and "请输入密码" in body
    assert 'aria-describedby=" f-username-error"' in body or 'f-username-error' in body


def test_login_throttled_per_account(app, auth):
    for _ in range(5):
        assert auth.login("staff", "nope").status_code == 422
    response = auth.login("staff", TEST_PASSWORD)  # even the right password waits now
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)
    assert auth.login("reviewer").status_code == 302  # other accounts are not locked


def test_login_throttled_per_ip(app, auth):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    for name in ("a1", "a2", "a3"):
        auth.login(name, "nope")
    assert auth.login("staff").status_code == 429


def test_login_success_clears_account_failures(app, auth):
    for _ in range(3):
        auth.login("staff", "nope")
    assert auth.login("staff").status_code == 302
    with app.app_context():
        counts = db.session.scalars(select(LoginThrottle.failures).where(LoginThrottle.username == "staff")).all()
        assert counts and set(counts) == {0}


def test_login_inactive_user_refused_with_same_message(app, auth):
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "viewer")).active = False
        db.session.commit()
    response = auth.login("viewer")
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_login_next_only_follows_local_paths(client, auth):
    token = auth.csrf_token()
    data = {"username": "staff", "password": TEST_PASSWORD, "csrf_token": token, "next": "https://evil.example/"}
    assert client.post("/login", data=data).headers["Location"] == "/"


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_home_htmx_boosted_gets_full_page(client, auth):
    auth.login()
    response = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.get_data(as_text=True)
