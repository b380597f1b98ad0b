"""SPEC §4 Details (2026-11-30) through POST /api/v1/validate: the record is normalised before any rule.

The rules' clock is pinned for the tests (tests/conftest.py); dates here count back from it.
History comes from the database, matched on the stored target_name_key (rules.target_key), so a
variant spelling matches in either direction.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from rules.model import SHANGHAI
from tests.conftest import fixed_rules_clock
from tests.webapp.records_data import org_target, user, valid_record
from tests.webapp.test_api_support import api, tokens  # noqa: F401
from webapp.extensions import db
from webapp.models import GuidanceRecord
from webapp.services import records as svc

STRUCTURAL = {"input.not-object", "input.unknown-key", "input.type"}


def _guided(days_ago: int = 2) -> datetime:
    today = fixed_rules_clock().astimezone(SHANGHAI).date()
    return datetime.combine(today - timedelta(days=days_ago), time(10, 0), tzinfo=SHANGHAI)


def fresh(days_ago: int = 2, **overrides):
    """The clean record of records_data, guided `days_ago` days before the rules' today at 10:00."""
    guided = _guided(days_ago)
    overrides.setdefault("guided_at", guided.isoformat())
    overrides.setdefault("follow_up_due", (guided.date() + timedelta(days=30)).isoformat())
    return valid_record(**overrides)


def validate(api, record, phase: str = "submit") -> dict:
    response = api("staff").post(f"/api/v1/validate?phase={phase}", record)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def rule_ids(report: dict) -> list[str]:
    return [f["rule"] for f in report["findings"]]


def test_validate_fresh_record_is_clean(api):
    report = validate(api, fresh())
    assert report["outcome"] == "clean" and report["findings"] == []


def test_validate_catalog_code_is_trimmed_and_upper_cased(api):
    assert rule_ids(validate(api, fresh(catalog_code=" zd-td-03 "))) == []
    assert rule_ids(validate(api, fresh(catalog_code="ZD-XX-99"))) == ["catalog.item-exists"]


def test_validate_duplicate_officers_count_as_one(api):
    report = validate(api, fresh(officers=["张明", " 张明 ", ""]))
    assert report["outcome"] == "review"
    assert [(f["rule"], f["field"]) for f in report["findings"]] == [("lawful.single-officer", "officers")]


def test_validate_empty_applied_at_is_missing_not_a_type_error(api):
    report = validate(api, fresh(initiated_by="application", applied_at=""))
    assert report["outcome"] == "blocked"
    assert [(f["rule"], f["field"]) for f in report["findings"]] == [
        ("convenient.applied-at-missing", "applied_at")]


def test_validate_application_after_guidance_is_an_error(api):
    guided = _guided()
    later = fresh(initiated_by="依申请", applied_at=(guided + timedelta(hours=1)).isoformat())
    report = validate(api, later)
    assert report["outcome"] == "blocked"
    finding, = report["findings"]
    assert (finding["rule"], finding["severity"], finding["field"]) == (
        "convenient.applied-after-guided", "error", "applied_at")
    assert "申请时间" in finding["message"]
    earlier = fresh(initiated_by="application", applied_at=(guided - timedelta(hours=1)).isoformat())
    assert rule_ids(validate(api, earlier)) == []


def test_validate_blank_strings_are_missing_fields(api):
    report = validate(api, fresh(subject="  ", form="", target={**org_target(" "), "id_number": None}))
    found = {(f["rule"], f["field"]) for f in report["findings"]}
    assert {("input.required", "subject"), ("input.required", "form"),
            ("input.required", "target.name")} <= found
    assert not STRUCTURAL & {rule for rule, _ in found}


def test_validate_labels_and_ids_with_spaces_and_lower_case(api):
    record = fresh(method=" 劝导警示 ", stage="事中 ", form=" 书面",
                   target={**valid_record()["target"], "id_number": " 914403001922038216 ",
                           "kind": " 法人或其他组织 "})
    assert rule_ids(validate(api, record)) == []
    lower_check_char = fresh(target={**valid_record()["target"], "id_number": "91440300708461136t"})
    assert rule_ids(validate(api, lower_check_char)) == []


def test_validate_late_entry_asks_for_the_reason(api):
    report = validate(api, fresh(days_ago=40))
    finding, = report["findings"]
    assert report["outcome"] == "review"
    assert (finding["rule"], finding["field"]) == ("effective.late-entry", "guided_at")
    assert "40日" in finding["message"] and "补录" in finding["message"]
    assert rule_ids(validate(api, fresh(days_ago=30))) == []


def test_validate_close_phase_trims_and_skips_submit_formats(api):
    close = {"result": " 已采纳 ", "effect": "  当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。  "}
    assert validate(api, close, phase="close")["outcome"] == "clean"
    bad_formats = fresh(contact_phone="6180000", result="adopted", effect=close["effect"],
                        target={**valid_record()["target"], "id_number": "123", "phone": "1"})
    assert {"input.phone", "input.org-id-format"} <= set(rule_ids(validate(api, bad_formats)))
    assert validate(api, bad_formats, phase="close")["findings"] == []


# --- history from the database ---------------------------------------------------------------

def _earlier_admonition(app, name: str, id_number: str | None) -> None:
    """A submitted admonition of this target 60 days ago (counted whether filed or under review)."""
    with app.app_context():
        staff = user("staff")
        record = svc.create_draft(staff, fresh(days_ago=60, target=org_target(name, id_number)))
        svc.submit_record(staff, record.id)
        assert db.session.get(GuidanceRecord, record.id).status in ("filed", "pending_review")


@pytest.mark.parametrize("stored, sent", [
    ("淄博某建材有限公司", " 淄博某建材 有限公司\u3000"),       # spaces anywhere
    ("abc建材(淄博)有限公司", "ＡＢＣ建材（淄博）有限公司"),  # full width, brackets, case
    ("ＡＢＣ建材（淄博）有限公司", "abc建材(淄博)有限公司"),  # stored full width: the target_name_key column
    ("淄博某建材（集团） 有限公司", "淄博某建材(集团)有限公司"),
])
def test_validate_same_target_by_name_variant(app, api, stored, sent):
    _earlier_admonition(app, stored, None)
    report = validate(api, fresh(target=org_target(sent)))
    assert rule_ids(report) == ["lawful.repeat-admonition"]
    assert rule_ids(validate(api, fresh(target=org_target("淄博另一家公司")))) == []


def test_validate_same_target_by_lower_case_id_number(app, api):
    _earlier_admonition(app, "淄博某建材有限公司", "91440300708461136T")
    report = validate(api, fresh(target=org_target("改名后的公司", " 91440300708461136t ")))
    assert rule_ids(report) == ["lawful.repeat-admonition"]
