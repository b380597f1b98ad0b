"""Sessions that end: logout kills copies of the cookie, CSRF token rotated at login, timeouts."""
import re

import pytest
from sqlalchemy import select

from webapp.auth import sessions
from webapp.extensions import db
from webapp.models import User
from webapp.services import accounts


def _page_token(client, path="/") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _copy_of(app, client):
    """A second browser holding a copy of this client's session cookie (as an attacker would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _user_id(app, username):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def clock(monkeypatch):
    """Move the sessions' clock: clock.advance(minutes=31)."""
    class Clock:
        t = sessions.now()

        def advance(self, minutes=0, hours=0):
            self.t += minutes * 60 + hours * 3600

    c = Clock()
    monkeypatch.setattr(sessions, "now", lambda: c.t)
    return c


def test_sessions_cookie_replayed_after_logout_is_refused(app, client, auth):
    auth.login("staff")
    token = _page_token(client)
    thief = _copy_of(app, client)
    assert thief.get("/records/mine").status_code == 200  # the copy works while the session lives
    auth.logout()

    page = thief.get("/records/mine")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    api = thief.post("/api/v1/records", json={}, headers={"X-CSRFToken": token})
    assert api.status_code == 401
    assert "需要登录" in api.get_json()["error"]


def test_sessions_csrf_token_differs_before_and_after_login(client, auth):
    before = auth.csrf_token()
    response = client.post("/login", data={"username": "staff", "password": "correct-horse-42",
                                           "csrf_token": before})
    assert response.status_code == 302
    after = _page_token(client)
    assert after != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400  # the old token is dead
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_sessions_log_out_everywhere_ends_every_session(app, client, auth):
    auth.login("staff")
    other = app.test_client()
    other.post("/login", data={"username": "staff", "password": "correct-horse-42",
                               "csrf_token": _page_token(other, "/login")})
    assert other.get("/").status_code == 200

    response = client.post("/account/sessions/end", data={"csrf_token": _page_token(client)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # this browser too
    page = other.get("/", follow_redirects=True).get_data(as_text=True)
    assert "您的登录已失效" in page and "请先登录" not in page


@pytest.mark.parametrize("change", [
    lambda uid: accounts.change_password(uid, "a-new-password-1", actor_id=None),
    lambda uid: accounts.change_role(uid, "viewer", actor_id=None),
    lambda uid: accounts.set_active(uid, False, actor_id=None),
    lambda uid: accounts.end_sessions(uid, actor_id=None),
], ids=["password", "role", "disable", "end-sessions"])
def test_sessions_account_changes_end_existing_sessions(app, client, auth, change):
    auth.login("staff")
    assert client.get("/records/mine").status_code == 200
    with app.app_context():
        change(_user_id(app, "staff"))
    response = client.get("/records/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sessions_disabled_user_is_logged_out_even_without_a_new_epoch(app, client, auth):
    auth.login("staff")
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "staff")).active = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_sessions_role_change_is_audited(app):
    from webapp.models import AuditEvent

    with app.app_context():
        uid = _user_id(app, "staff")
        accounts.change_role(uid, "reviewer", actor_id=None)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "change_role"))
        assert event.changes == {"role": {"before": "staff", "after": "reviewer"}}


def test_sessions_idle_timeout_and_the_login_page_says_so(client, auth, clock):
    auth.login("staff")
    clock.advance(minutes=29)
    assert client.get("/records/mine").status_code == 200
    clock.advance(minutes=29)  # 58 minutes after login, but active 29 minutes ago
    assert client.get("/records/mine").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/records/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "由于 30 分钟内没有操作，您已自动退出登录" in page
    assert "请先登录" not in page
    assert "由于 30 分钟" not in client.get("/login").get_data(as_text=True)  # said once


def test_sessions_absolute_lifetime_even_when_active(client, auth, clock):
    auth.login("staff")
    for _ in range(12 * 3):  # active every 20 minutes for 12 hours
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.advance(minutes=20)
    response = client.get("/", follow_redirects=True)
    assert "登录已超过 12 小时" in response.get_data(as_text=True)


def test_sessions_timeouts_are_configurable(app, client, auth, clock):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    auth.login("staff")
    clock.advance(minutes=6)
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "由于 5 分钟内没有操作" in page


def test_sessions_htmx_fragment_after_timeout_redirects_the_whole_page(client, auth, clock):
    auth.login("staff")
    clock.advance(minutes=31)
    response = client.get("/records/mine", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_sessions_cookie_without_epoch_is_refused(app, client, auth):
    """A cookie from before this release (or forged without the epoch) does not log anyone in."""
    auth.login("staff")
    with client.session_transaction() as sess:
        del sess["epoch"]
    assert client.get("/").status_code == 302
