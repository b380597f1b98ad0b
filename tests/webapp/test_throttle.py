"""Fair login throttling: exact bounds under parallel attempts, no lock-out of the owner by others."""
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, AuthActions, make_app
from webapp.extensions import db
from webapp.models import AuditEvent, LoginThrottle
from webapp.services import throttle


@pytest.fixture
def frozen(monkeypatch):
    """The throttle's clock, stopped; frozen.advance(seconds) moves it."""
    class Clock:
        t = 1_900_000_000.0

        def advance(self, seconds):
            self.t += seconds

    clock = Clock()
    monkeypatch.setattr(throttle, "clock", lambda: clock.t)
    return clock


def login_from(client, ip, username="staff", password="wrong-password", token=None):
    token = token or AuthActions(client).csrf_token()
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


def parallel_logins(app, attempts):
    """Fire (username, ip) attempts with wrong passwords all at once; returns a Counter of statuses."""
    clients = [app.test_client() for _ in attempts]
    tokens = [AuthActions(c).csrf_token() for c in clients]
    barrier = threading.Barrier(len(attempts))
    statuses = [None] * len(attempts)

    def attempt(i):
        username, ip = attempts[i]
        barrier.wait()
        statuses[i] = login_from(clients[i], ip, username, token=tokens[i]).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(attempts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(statuses)


@pytest.mark.parametrize("case,attempts,bound", [
    ("one-address-one-account", [("staff", "10.0.0.9")] * 30, 5),
    ("many-addresses-one-account", [("staff", f"10.0.1.{i}") for i in range(30)], 10),
    ("one-address-many-accounts", [(f"guess{i}", "10.0.0.7") for i in range(30)], 20),
])
def test_throttle_30_parallel_attempts_let_exactly_the_bound_through(app, frozen, case, attempts, bound):
    statuses = parallel_logins(app, attempts)
    assert statuses == Counter({422: bound, 429: 30 - bound}), case


def test_throttle_an_attacker_elsewhere_cannot_lock_the_owner_out(client):
    for _ in range(5):
        assert login_from(client, "10.6.6.6").status_code == 422
    locked = login_from(client, "10.6.6.6", password=TEST_PASSWORD)
    assert locked.status_code == 429  # even the right password, from the guessing address
    assert "登录失败次数过多，请 15 分钟后再试" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 800
    assert login_from(client, "10.2.3.4", password=TEST_PASSWORD).status_code == 302  # the owner's desk


def test_throttle_one_account_from_many_addresses_is_slowed_not_locked(client, frozen):
    for i in range(10):
        assert login_from(client, f"10.9.0.{i}").status_code == 422
    slowed = login_from(client, "10.9.1.1")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
    assert "该账户近期登录失败次数较多，请 1 秒后再试" in slowed.get_data(as_text=True)
    frozen.advance(1)
    assert login_from(client, "10.9.1.1").status_code == 422  # the 11th failure: now 2 s apart
    frozen.advance(1)
    assert login_from(client, "10.9.1.2").status_code == 429
    frozen.advance(1)
    assert login_from(client, "10.9.1.2", password=TEST_PASSWORD).status_code == 302  # the owner gets in


def test_throttle_growing_delay_is_capped():
    limits = throttle.Limits(account_delay_after=10, account_max_delay=60)
    assert [limits.account_delay(n) for n in (9, 10, 11, 12, 13)] == [0, 1, 2, 4, 8]
    assert limits.account_delay(500) == 60


def test_throttle_lock_lifts_when_the_window_ends(client, frozen):
    for _ in range(5):
        login_from(client, "10.4.4.4")
    assert login_from(client, "10.4.4.4", password=TEST_PASSWORD).status_code == 429
    frozen.advance(15 * 60)
    assert login_from(client, "10.4.4.4", password=TEST_PASSWORD).status_code == 302


def test_throttle_forwarded_address_counts_only_behind_a_trusted_proxy(_schema, tmp_path):
    def guesses(app, forwarded_for):
        client = app.test_client()
        token = AuthActions(client).csrf_token()
        return client.post("/login", headers={"X-Forwarded-For": forwarded_for},
                           data={"username": "staff", "password": "x", "csrf_token": token}).status_code

    from tests.conftest import _empty_tables, seed_fixture_data

    direct = make_app(_schema, tmp_path / "a")
    with direct.app_context():
        _empty_tables()
        seed_fixture_data()
    # No proxy configured: a forged header cannot make each guess look like a new address.
    assert [guesses(direct, f"198.51.100.{i}") for i in range(6)] == [422] * 5 + [429]
    proxied = make_app(_schema, tmp_path / "b", TRUSTED_PROXIES=1)
    with proxied.app_context():
        _empty_tables()
        seed_fixture_data()
    # Behind nginx the header is the client's address: one guessing desk does not lock out another.
    assert [guesses(proxied, "198.51.100.1") for _ in range(6)] == [422] * 5 + [429]
    assert guesses(proxied, "198.51.100.2") == 422
    for app in (direct, proxied):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_admin_security_page_shows_and_clears_a_lockout(app, client, auth):
    guesser = app.test_client()
    for _ in range(5):
        login_from(guesser, "10.3.3.3")
    auth.login("admin")
    page = client.get("/admin/security").get_data(as_text=True)
    assert "已锁定" in page and "10.3.3.3" in page and "staff" in page
    with app.app_context():
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "account_ip",
                                                            LoginThrottle.username == "staff"))
    response = client.post(f"/admin/security/lockouts/{row.id}/clear", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 302
    assert "已解除该锁定" in client.get("/admin/security").get_data(as_text=True)
    assert login_from(guesser, "10.3.3.3", password=TEST_PASSWORD).status_code == 302
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clear_lockout"))
        assert event.user.username == "admin" and "10.3.3.3" in event.note
        assert event.changes == {"failures": {"before": 5, "after": 0}}


def test_admin_security_clearing_a_vanished_lockout_is_a_clear_400(client, auth):
    auth.login("admin")
    response = client.post("/admin/security/lockouts/999/clear", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 400
    assert "该锁定记录已不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff", "reviewer", "viewer"])
def test_admin_security_is_for_admins_only(client, auth, role):
    auth.login(role)
    assert client.get("/admin/security").status_code == 403
