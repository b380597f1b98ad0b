"""Second factor: enrolment with a server-rendered QR, TOTP login, replay refusal, recovery codes."""
import re
import time
from collections import Counter

import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from webapp.extensions import db
from webapp.models import AuditEvent, RecoveryCode, User
from webapp.services import mfa as svc

REQUIRED = ("reviewer", "admin")


@pytest.fixture
def mfa_app(app):
    app.config["MFA_REQUIRED_ROLES"] = REQUIRED  # the suite's default turns it off (tests/conftest.py)
    return app


def password_step(client, auth, username):
    return client.post("/login", data={"username": username, "password": TEST_PASSWORD,
                                       "csrf_token": auth.csrf_token()})


def post_code(client, auth, path, code, field="code"):
    return client.post(path, data={field: code, "csrf_token": auth.csrf_token()})


def enrol(client, auth, username):
    """Log in and set up the authenticator as the user would; returns (secret, recovery codes)."""
    response = password_step(client, auth, username)
    if response.headers["Location"] != "/mfa/setup":
        assert response.headers["Location"] == "/"
        response = client.get("/mfa/setup")
    page = client.get("/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code class="mfa-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = post_code(client, auth, "/mfa/setup", pyotp.TOTP(secret).now())
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.get_data(as_text=True))
    return secret, codes


def next_step_code(secret):
    """The code of the coming 30 s step: valid now (±1 step), and not the one enrolment used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_mfa_required_role_sets_up_at_first_login(mfa_app, client, auth):
    response = password_step(client, auth, "reviewer")
    assert response.status_code == 302 and response.headers["Location"] == "/mfa/setup"
    assert client.get("/review").status_code == 302  # not logged in before the second factor
    page = client.get("/mfa/setup").get_data(as_text=True)
    assert "登录时必须使用两步验证" in page
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'class="qr-code"' in svg and "style" not in svg and "script" not in svg
    secret, codes = enrol(client, auth, "reviewer")
    assert client.get("/review").status_code == 200  # logged in now
    assert len(codes) == 10 and len(set(codes)) == 10
    with mfa_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "reviewer"))
        assert user.mfa_secret == secret and user.mfa_pending_secret is None
        hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(hashes) == 10 and not set(hashes) & {c.replace("-", "") for c in codes}  # stored hashed
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mfa_enable"))


def test_mfa_setup_refuses_a_wrong_code_and_keeps_the_same_key(mfa_app, client, auth):
    password_step(client, auth, "admin")
    first = client.get("/mfa/setup").get_data(as_text=True)
    response = post_code(client, auth, "/mfa/setup", "000000")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#f-code"' in body and "验证码不正确" in body
    key = re.search(r'<code class="mfa-key">([A-Z2-7 ]+)</code>', first).group(1)
    assert key in body  # the key scanned a moment ago still works
    empty = post_code(client, auth, "/mfa/setup", "")
    assert empty.status_code == 422 and "请输入验证器应用显示的 6 位验证码" in empty.get_data(as_text=True)


def test_mfa_login_with_a_valid_code_and_the_replayed_code_refused(mfa_app, client, auth):
    secret, _codes = enrol(client, auth, "reviewer")
    auth.logout()
    assert password_step(client, auth, "reviewer").headers["Location"] == "/login/verify"
    code = next_step_code(secret)
    response = post_code(client, auth, "/login/verify", code)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/review").status_code == 200
    auth.logout()

    password_step(client, auth, "reviewer")
    replay = post_code(client, auth, "/login/verify", code)
    assert replay.status_code == 422 and "验证码不正确或已使用" in replay.get_data(as_text=True)
    assert client.get("/review").status_code == 302


def test_mfa_window_is_one_step_either_side(app):
    secret = pyotp.random_base32()
    totp, now = pyotp.TOTP(secret), 1_900_000_015.0
    accepted = {offset: svc.matching_step(secret, totp.at(now + offset), now) is not None
                for offset in (-60, -30, 0, 30, 60)}
    assert accepted == {-60: False, -30: True, 0: True, 30: True, 60: False}
    assert svc.matching_step(secret, "12345", now) is None and svc.matching_step(secret, "abcdef", now) is None


def test_mfa_parallel_use_of_one_code_succeeds_once(mfa_app, client, auth):
    import threading

    secret, _ = enrol(client, auth, "reviewer")
    with mfa_app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "reviewer"))
    code, results = next_step_code(secret), []

    def use():
        with mfa_app.app_context():
            results.append(svc.verify_second_factor(user_id, code))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results) == Counter({"totp": 1, None: 7})


def test_mfa_recovery_code_works_once(mfa_app, client, auth):
    _secret, codes = enrol(client, auth, "reviewer")
    auth.logout()
    password_step(client, auth, "reviewer")
    typed = " " + codes[3].upper().replace("-", " ") + " "  # case, spaces and dashes do not matter
    response = post_code(client, auth, "/login/verify", typed)
    assert response.status_code == 302
    assert "您使用了一个恢复码，还剩 9 个" in client.get("/").get_data(as_text=True)
    auth.logout()
    password_step(client, auth, "reviewer")
    assert post_code(client, auth, "/login/verify", codes[3]).status_code == 422
    assert post_code(client, auth, "/login/verify", codes[4]).status_code == 302


def test_mfa_wrong_codes_are_throttled_like_passwords(mfa_app, client, auth):
    secret, _ = enrol(client, auth, "reviewer")
    auth.logout()
    password_step(client, auth, "reviewer")
    for _ in range(5):
        assert post_code(client, auth, "/login/verify", "000000").status_code == 422
    refused = post_code(client, auth, "/login/verify", next_step_code(secret))
    assert refused.status_code == 429 and "登录失败次数过多" in refused.get_data(as_text=True)


def test_mfa_right_password_does_not_use_up_the_tries(mfa_app, client, auth):
    """Logging in with password + code many times in a row never locks the owner out."""
    secret, _ = enrol(client, auth, "reviewer")
    auth.logout()
    for _ in range(6):
        assert password_step(client, auth, "reviewer").headers["Location"] == "/login/verify"
    code = next_step_code(secret)
    assert post_code(client, auth, "/login/verify", code).status_code == 302


def test_mfa_pending_login_expires_after_five_minutes(mfa_app, client, auth):
    secret, _ = enrol(client, auth, "reviewer")
    auth.logout()
    password_step(client, auth, "reviewer")
    with client.session_transaction() as sess:
        sess["mfa_pending"] = {**sess["mfa_pending"], "at": time.time() - 301}
    response = post_code(client, auth, "/login/verify", next_step_code(secret))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "请重新输入用户名和密码" in client.get("/login").get_data(as_text=True)


def test_mfa_optional_for_staff_turn_on_then_off(mfa_app, client, auth):
    assert password_step(client, auth, "staff").headers["Location"] == "/"  # no second factor by default
    assert "未启用" in client.get("/account").get_data(as_text=True)
    secret, codes = enrol(client, auth, "staff")
    auth.logout()
    assert password_step(client, auth, "staff").headers["Location"] == "/login/verify"  # now it asks
    assert post_code(client, auth, "/login/verify", codes[0]).status_code == 302
    assert "已启用" in client.get("/account").get_data(as_text=True)

    wrong = post_code(client, auth, "/account/mfa/disable", "000000", field="disable_code")
    assert wrong.status_code == 422 and 'href="#f-disable_code"' in wrong.get_data(as_text=True)
    off = post_code(client, auth, "/account/mfa/disable", next_step_code(secret), field="disable_code")
    assert off.status_code == 302
    auth.logout()
    assert password_step(client, auth, "staff").headers["Location"] == "/"


def test_mfa_required_role_cannot_turn_it_off(mfa_app, client, auth):
    secret, _ = enrol(client, auth, "reviewer")
    response = post_code(client, auth, "/account/mfa/disable", next_step_code(secret), field="disable_code")
    assert response.status_code == 422 and "不能停用" in response.get_data(as_text=True)


def test_mfa_regenerated_recovery_codes_replace_the_old_ones(mfa_app, client, auth):
    secret, old = enrol(client, auth, "reviewer")
    response = post_code(client, auth, "/account/recovery-codes", next_step_code(secret))
    new = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.get_data(as_text=True))
    assert response.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    auth.logout()
    password_step(client, auth, "reviewer")
    assert post_code(client, auth, "/login/verify", old[0]).status_code == 422
    assert post_code(client, auth, "/login/verify", new[0]).status_code == 302


def test_mfa_admin_reset_ends_sessions_and_is_audited(mfa_app, client, auth):
    enrol(client, auth, "reviewer")
    assert client.get("/review").status_code == 200
    admin_client = mfa_app.test_client()
    from tests.conftest import AuthActions

    admin = AuthActions(admin_client)
    _secret, _ = enrol(admin_client, admin, "admin")
    with mfa_app.app_context():
        reviewer_id = db.session.scalar(select(User.id).where(User.username == "reviewer"))
    page = admin_client.get("/admin/security").get_data(as_text=True)
    assert "已启用" in page
    response = admin_client.post(f"/admin/security/users/{reviewer_id}/reset-mfa",
                                 data={"csrf_token": admin.csrf_token()})
    assert response.status_code == 302
    assert client.get("/review").status_code == 302  # the reviewer's session ended
    assert password_step(client, auth, "reviewer").headers["Location"] == "/mfa/setup"  # set up again
    with mfa_app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mfa_reset"))
        assert event.entity_id == reviewer_id and event.user.username == "admin"
        assert event.changes == {"mfa": {"before": True, "after": False}}
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == reviewer_id)).all() == []


def test_mfa_api_tokens_are_unaffected(mfa_app, client, auth):
    from webapp.services.accounts import issue_api_token

    enrol(client, auth, "reviewer")
    with mfa_app.app_context():
        token = issue_api_token("reviewer")
    response = mfa_app.test_client().get("/api/v1/records", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_mfa_verify_page_without_a_password_step_goes_to_login(client):
    response = client.get("/login/verify")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
