"""A stored record is evaluated from its columns exactly as its §3 form would be evaluated."""
from __future__ import annotations

from datetime import datetime

import pytest
import rules
from rules.model import SHANGHAI

from tests.webapp.records_data import user, valid_record
from webapp.extensions import db
from webapp.models import GuidanceRecord
from webapp.services import records as svc
from webapp.services.rules_bridge import rules_catalog, stored_reading

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
PERSON = {"name": "王某", "kind": "person", "id_number": "11010519491231002x", "contact": None,
          "phone": "0533-6180000"}


@pytest.mark.parametrize("overrides", [
    {},
    {"method": "case_revisit", "case": {"decision_number": "周自然资罚决〔2026〕5号", "kind": "major_penalty",
                                        "closed_on": "2026-09-01"}},
    {"method": "case_revisit", "case": {"decision_number": None, "kind": None, "closed_on": "2026-12-01"}},
    {"method": "policy_guidance", "project": {"name": "某物流园", "kind": None}},
    {"target": PERSON, "officers": ["张明"], "follow_up_due": "2026-11-21"},
    {"form": "oral", "oral_confirmation": None, "place": None, "legal_basis": []},
    {"initiated_by": "application", "applied_at": "2026-11-01T09:00:00+08:00"},
    {"admonition_conditions": {"minor": True, "no_intent": None, "corrected": False, "no_harm": True}},
    {"legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}], "content": "必须整改"},
])
def test_stored_reading_evaluates_like_the_interchange_form(app, overrides):
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record(**overrides))
        stored = db.session.get(GuidanceRecord, record.id)
        from_columns = rules.evaluate(stored_reading(stored), catalog=rules_catalog(), now=NOW)
        from_interchange = rules.evaluate(stored.to_interchange(), catalog=rules_catalog(), now=NOW)
        assert from_columns == from_interchange
        assert from_columns.findings or not overrides  # the variants do find something
