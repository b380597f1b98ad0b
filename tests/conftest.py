"""Shared fixtures: an app on SQLite (default) or on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built once per run with the real migrations; every test starts from empty tables
plus the bureau's units, the catalog and one user per role.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp import create_app
from webapp.extensions import db

# CI replays the same examples every run (a failure there is reproducible); developers' runs
# explore new ones. No deadline: CI machines are shared and noisy.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

TEST_PASSWORD = "correct-horse-42"
# Fast hash for fixture users only; the real scheme (scrypt) is tested in test_accounts.
_FIXTURE_HASH = generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")


def fixed_rules_clock() -> datetime:
    """The day the test records are written for: the rules' late-entry (补录, 30 days) and
    not-in-the-future checks must not change their verdict as the real calendar moves on."""
    from tests.rules.rules_testdata import NOW

    return NOW


@pytest.fixture(autouse=True)
def _pinned_rules_clock(monkeypatch):
    import rules.engine

    monkeypatch.setattr(rules.engine, "clock", fixed_rules_clock)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def make_app(database_url: str, instance_path: Path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-only-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": None,
        # Fixture reviewers and admins log in with a password only; tests/webapp/test_mfa.py turns MFA on.
        "MFA_REQUIRED_ROLES": (),
        # No backup is ever taken in a test; tests/webapp/test_healthz.py checks the backup's age.
        "BACKUP_MAX_AGE_HOURS": 0,
        # No 抽查 draw behind a test's back (it adds an audit event); tests/webapp/test_spot_checks.py sets a rate.
        "SPOT_CHECK_RATE": 0.0,
    }
    config.update(overrides)
    return create_app(config, instance_path=str(instance_path))


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    from flask_migrate import downgrade, upgrade

    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        if database_url.startswith("postgresql"):
            downgrade(revision="base")  # a previous run may have left tables behind
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    """Start each test from empty tables, past the append-only triggers (migration 0002)."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # TRUNCATE fires no row-level triggers
            conn.exec_driver_sql("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE")
            return
        triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        for table in tables:
            conn.execute(table.delete())
        if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'guidance_record_search'").first():
            # the text index of migration 0004 must forget the deleted rows (its triggers were off)
            conn.exec_driver_sql("INSERT INTO guidance_record_search (guidance_record_search) VALUES ('delete-all')")
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)


@pytest.fixture
def app(_schema, tmp_path):
    app = make_app(_schema, tmp_path / "instance")
    with app.app_context():
        _empty_tables()
        seed_fixture_data()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def seed_fixture_data() -> None:
    from webapp.models import User
    from webapp.services.seed import DEMO_USERS, seed_catalog, seed_units

    seed_units()
    db.session.flush()
    seed_catalog()
    from webapp.models import Unit

    unit_ids = dict(db.session.execute(select(Unit.name, Unit.id)).all())
    for username, display, role, unit in DEMO_USERS:
        db.session.add(User(username=username, display_name=display, role=role,
                            unit_id=unit_ids[unit], password_hash=_FIXTURE_HASH))
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str = "staff", password: str = TEST_PASSWORD):
        token = self.csrf_token()
        return self._client.post("/login", data={"username": username, "password": password,
                                                 "csrf_token": token})

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf_token()})

    def csrf_token(self) -> str:
        """The token the server put in the page's <meta>, as a browser would read it."""
        import re

        page = self._client.get("/login", follow_redirects=True).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert match, "no CSRF token in the page"
        return match.group(1)


@pytest.fixture
def auth(client):
    return AuthActions(client)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests belong to make test's PostgreSQL pass: deselected (not skipped) elsewhere."""
    if os.environ.get("TEST_DATABASE_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("postgres_only") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
