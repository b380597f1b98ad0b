"""Dates outside 2000–2100 are refused as findings and never stored (no overflow afterwards)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.webapp.records_data import valid_record
from tests.webapp.test_api_support import api, tokens  # noqa: F401 — fixtures
from webapp.extensions import db
from webapp.models import GuidanceRecord

EXTREMES = ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+00:00",
            "1416-02-14T16:01:20-23:28", "2101-01-01T00:00:00+08:00"]


@pytest.mark.parametrize("moment", EXTREMES)
@pytest.mark.parametrize("field", ["guided_at", "applied_at"])
def test_extreme_dates_are_refused_on_create_and_patch(app, api, field, moment):  # noqa: F811
    staff = api("staff")
    refused = staff.post("/api/v1/records", valid_record(**{field: moment}))
    assert refused.status_code == 422
    assert any(f["field"] == field and "2000" in f["message"] for f in refused.get_json()["findings"])
    with app.app_context():
        assert db.session.scalar(select(func.count(GuidanceRecord.id))) == 0
    created = staff.post("/api/v1/records", valid_record()).get_json()
    patched = staff.patch(f"/api/v1/records/{created['id']}", {"version": created["version"], field: moment})
    assert patched.status_code == 422
    assert staff.get(f"/api/v1/records/{created['id']}").status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_days_are_refused(api, day):  # noqa: F811
    report = api("staff").post("/api/v1/validate", valid_record(follow_up_due=day)).get_json()
    assert "input.type" in [f["rule"] for f in report["findings"] if f["field"] == "follow_up_due"]
    assert report["outcome"] == "blocked"
