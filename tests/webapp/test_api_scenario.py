"""End to end through the API alone, with tokens issued by the CLI as an operator would."""
from __future__ import annotations

from tests.webapp.records_data import VALID_CLOSE, valid_record
from tests.webapp.test_api_support import Api


def cli_token(runner, name: str) -> str:
    result = runner.invoke(args=["users", "token", name])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_api_scenario_create_submit_approve_close_void(app, runner):
    staff = Api(app.test_client(), cli_token(runner, "staff"))
    reviewer = Api(app.test_client(), cli_token(runner, "reviewer"))

    # A flagged record: coercive wording → review by 政策法规科.
    created = staff.post("/api/v1/records", valid_record(content="必须在一个月内完成复垦。"))
    assert created.status_code == 201
    rid, version = created.get_json()["id"], created.get_json()["version"]
    assert created.get_json()["report"]["outcome"] == "review"

    submitted = staff.post(f"/api/v1/records/{rid}/submit", {"version": version}).get_json()
    assert submitted["status"] == "pending_review" and submitted["number"] is None
    assert any(f["severity"] == "warning" for f in submitted["report"]["findings"])

    queue = reviewer.get("/api/v1/records?status=pending_review").get_json()
    assert [item["id"] for item in queue["items"]] == [rid]

    approved = reviewer.post(f"/api/v1/records/{rid}/approve",
                             {"comment": "措辞已核，同意备案", "version": submitted["version"]}).get_json()
    assert approved["status"] == "filed" and approved["number"].startswith("指导书〔")
    number = approved["number"]

    closed = staff.post(f"/api/v1/records/{rid}/close", {**VALID_CLOSE, "version": approved["version"]})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["status"] == "closed" and closed.get_json()["number"] == number

    voided = reviewer.post(f"/api/v1/records/{rid}/void", {"reason": "与第 1 号重复登记"}).get_json()
    assert voided["status"] == "voided" and voided["number"] == number

    final = staff.get(f"/api/v1/records/{rid}").get_json()
    # Each state issues its documents, stored once, each an audit event with its hash (issue 11):
    # filing the 文书 and the 意见书, closing a 文书, voiding both with the 作废 mark.
    assert [e["action"] for e in final["audit"]] == ["create", "submit", "approve", "file", "document", "document",
                                                     "close", "document", "void", "document", "document"]
    assert [(d["kind"], d["state"]) for d in final["documents"]] == [
        ("guidance", "filed"), ("opinion", "filed"), ("guidance", "closed"), ("guidance", "voided"),
        ("opinion", "voided")]
    assert [e["by"] for e in final["audit"]][-1] == "reviewer"


def test_api_scenario_blocked_submit_then_fix(app, runner):
    staff = Api(app.test_client(), cli_token(runner, "staff"))
    rid = staff.post("/api/v1/records", valid_record(informed_of_voluntariness=None)).get_json()["id"]

    blocked = staff.post(f"/api/v1/records/{rid}/submit")
    assert blocked.status_code == 422
    body = blocked.get_json()
    assert body["error"] and any(f["field"] == "informed_of_voluntariness" for f in body["findings"])
    assert staff.get(f"/api/v1/records/{rid}").get_json()["status"] == "draft"

    fixed = staff.patch(f"/api/v1/records/{rid}", {"version": 1, "informed_of_voluntariness": True})
    assert fixed.status_code == 200 and fixed.get_json()["report"]["outcome"] == "clean"
    filed = staff.post(f"/api/v1/records/{rid}/submit", {"version": fixed.get_json()["version"]}).get_json()
    assert filed["status"] == "filed" and filed["number"]


def test_api_scenario_reissued_token_replaces_the_old_one(app, runner):
    old = cli_token(runner, "staff")
    new = cli_token(runner, "staff")
    assert old != new
    assert Api(app.test_client(), old).get("/api/v1/records").status_code == 401
    assert Api(app.test_client(), new).get("/api/v1/records").status_code == 200
