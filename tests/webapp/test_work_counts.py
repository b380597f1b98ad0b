"""One road: a submit reads the data once, evaluates it once, asks history once, commits once
(plus at most once for the filing document's hash); reading a record evaluates nothing."""
from __future__ import annotations

import collections
import re

import pytest
import rules
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.webapp.records_data import VALID_CLOSE, valid_record
from tests.webapp.test_api_support import api, tokens  # noqa: F401 — fixtures
from webapp.records.forms import post_data
from webapp.services.rules_bridge import DatabaseHistory


@pytest.fixture
def work(monkeypatch):
    """Counts of parses, evaluations, history queries and commits while a request runs."""
    counts = collections.Counter()

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(rules, "read_record", counting("parse", rules.read_record))
    monkeypatch.setattr(rules, "evaluate", counting("evaluate", rules.evaluate))
    monkeypatch.setattr(DatabaseHistory, "earlier_records",
                        counting("history", DatabaseHistory.earlier_records))

    def on_commit(_session):
        counts["commit"] += 1

    event.listen(Session, "after_commit", on_commit)
    yield counts
    event.remove(Session, "after_commit", on_commit)


def _csrf(client) -> str:
    page = client.get("/records/new").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_work_html_submit_of_a_new_clean_record(client, auth, work):
    auth.login("staff")
    data = post_data(valid_record(), csrf_token=_csrf(client), action="submit")
    work.clear()
    response = client.post("/records/new", data=data)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200  # filed: the record page
    assert work["parse"] == 1
    assert work["evaluate"] == 1
    assert work["history"] == 1
    assert work["commit"] == 1  # the filing with its documents


def test_work_api_create_then_submit(api, work):  # noqa: F811
    staff = api("staff")
    work.clear()
    created = staff.post("/api/v1/records", valid_record())
    assert created.status_code == 201
    assert (work["parse"], work["evaluate"], work["history"], work["commit"]) == (1, 1, 1, 1)
    work.clear()
    submitted = staff.post(f"/api/v1/records/{created.get_json()['id']}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "filed"
    assert work["parse"] == 0  # the stored record is evaluated from its columns
    assert work["evaluate"] == 1 and work["history"] == 1
    assert work["commit"] == 1  # filing is one fact: number, status, events and documents together


def test_work_close_evaluates_once_and_get_evaluates_never(api, work):  # noqa: F811
    staff = api("staff")
    record_id = staff.post("/api/v1/records", valid_record()).get_json()["id"]
    staff.post(f"/api/v1/records/{record_id}/submit")
    work.clear()
    assert staff.get(f"/api/v1/records/{record_id}").status_code == 200
    assert work["evaluate"] == 0 and work["parse"] == 0
    draft_id = staff.post("/api/v1/records", valid_record(subject="草稿")).get_json()["id"]
    work.clear()
    detail = staff.get(f"/api/v1/records/{draft_id}")
    assert detail.status_code == 200 and detail.get_json()["report"]["outcome"] == "clean"
    assert work["evaluate"] == 0 and work["parse"] == 0  # the draft's report was stored when saved
    work.clear()
    closed = staff.post(f"/api/v1/records/{record_id}/close", VALID_CLOSE)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    # One commit: the close and the 办结版 文书 it issues (issue 15: one fact).
    assert work["evaluate"] == 1 and work["parse"] == 1 and work["commit"] == 1
