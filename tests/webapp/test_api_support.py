"""Shared helpers for the API tests: a bearer-token client per role (no tests of its own).

    def test_x(api):
        staff = api("staff")
        response = staff.post("/api/v1/records", valid_record())
"""
from __future__ import annotations

import json as jsonlib
from typing import Any

import pytest

from webapp.extensions import db
from webapp.models import GuidanceRecord
from webapp.services import records as svc

ROLE_USERS = ("staff", "staff2", "reviewer", "reviewer2", "admin", "viewer")


class Api:
    """The test client with `Authorization: Bearer …` on every call (token None: no header)."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None,
             headers: dict | None = None):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = raw if raw is not None else (None if body is None else jsonlib.dumps(body))
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        return self.client.open(path, method=method, data=data, headers=headers)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)


@pytest.fixture
def tokens(app) -> dict[str, str]:
    from webapp.services.accounts import issue_api_token

    with app.app_context():
        return {name: issue_api_token(name) for name in ROLE_USERS}


@pytest.fixture
def api(app, tokens):
    def as_user(name: str | None) -> Api:
        return Api(app.test_client(), tokens[name] if name else None)

    return as_user


def make_record(app, state: str, username: str = "staff", **overrides) -> int:
    """A record in the given state created through the services (draft|pending|filed|closed)."""
    from tests.webapp.records_data import VALID_CLOSE, user, valid_record

    with app.app_context():
        staff = user(username)
        if state == "pending":
            overrides.setdefault("content", "必须整改。")  # coercive wording: a warning → review
        record = svc.create_draft(staff, valid_record(**overrides))
        if state != "draft":
            svc.submit_record(staff, record.id)
        if state == "closed":
            svc.close_record(staff, record.id, VALID_CLOSE)
        status = db.session.get(GuidanceRecord, record.id).status
        expected = {"draft": "draft", "pending": "pending_review", "filed": "filed", "closed": "closed"}
        assert status == expected[state]
        return record.id


def assert_error(response, status: int):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "findings"} and body["error"], body
    return body
