"""Every rule has a failing and a passing example (keyed by rule id)."""

from __future__ import annotations

import pytest

from rules import RULESET, ListHistory, evaluate

from .rules_testdata import DELETE, NOW, TEST_CATALOG, record

_SAME_TARGET = {"name": "淄博某建材有限公司", "kind": "organization", "id_number": "914403001922038216"}

REPEAT_HISTORY = ListHistory([
    {"catalog_code": "ZD-TD-03", "method": "admonition", "guided_at": "2026-03-01T10:00:00+08:00",
     "target": _SAME_TARGET, "status": "closed"},
])
BURDEN_HISTORY = ListHistory([
    {"catalog_code": "ZD-TD-01", "method": "reminder", "guided_at": f"2026-11-{day}T09:00:00+08:00",
     "target": _SAME_TARGET}
    for day in ("02", "10", "19")
])
_OTHER_TARGET = {"target.name": "周村某置业有限公司", "target.id_number": "91440300708461136T"}

# rule id → (failing record, passing record)
EXAMPLES: dict[str, tuple[object, dict]] = {
    "input.not-object": ([record()], record()),
    "input.unknown-key": (record({"target.fax": "0533-1234567"}), record()),
    "input.type": (record({"form": "传真"}), record({"form": "书面"})),
    "input.required": (record({"subject": "  "}), record()),
    "input.opinion-sections": (record({"opinion": DELETE}), record()),
    "input.org-id-format": (record({"target.id_number": "91440300192203821"}), record()),
    "input.org-id-check-char": (record({"target.id_number": "91350100M0001TGQXM"}),
                                record({"target.id_number": "91440300708461136T"})),
    "input.person-id": (record({"target.kind": "person", "target.id_number": "110105194912310021"}),
                        record({"target.kind": "自然人", "target.id_number": "11010519491231002x"})),
    "input.phone": (record({"contact_phone": "6180000"}), record({"contact_phone": "(0533)6180000"})),
    "input.length": (record({"subject": "字" * 201}), record({"subject": "字" * 200})),
    "catalog.item-exists": (record({"catalog_code": "ZD-XX-99"}), record()),
    "catalog.item-active": (record({"catalog_code": "ZD-TEST-INACTIVE"}), record()),
    "catalog.method": (record({"method": "commendation"}), record({"method": "reminder"})),
    "catalog.stage": (record({"stage": "before"}), record({"stage": "事后"})),
    "catalog.unit": (record({"unit": "执法监督科"}),
                     record({"catalog_code": "ZD-TD-04", "unit": "王村镇自然资源所"})),
    "fair_open.item-published": (record({"catalog_code": "ZD-TEST-UNPUBLISHED"}), record()),
    "fair_open.written-contact": (record({"contact_person": ""}), record()),
    "fair_open.oral-record": (record({"form": "oral"}),
                              record({"form": "口头", "oral_confirmation": "已确认"})),
    "lawful.legal-basis": (record({"catalog_code": "ZD-TEST-NOBASIS", "legal_basis": []}),
                           record({"legal_basis": []})),
    "lawful.admonition-conditions": (record({"admonition_conditions.no_intent": False}), record()),
    "lawful.case-revisit": (
        record({"method": "case_revisit", "case": {"decision_number": "周自然资罚决〔2026〕5号",
                                                   "kind": "major_penalty", "closed_on": "2026-11-21"}}),
        record({"method": "案件回访", "case": {"decision_number": "周自然资罚决〔2026〕5号",
                                               "kind": "重大行政处罚案件", "closed_on": "2026-11-20"}})),
    "lawful.guided-at-range": (record({"guided_at": "2026-11-27T10:00:00+08:00"}),
                               record({"guided_at": "2026-11-27T08:59:00+08:00"})),
    "lawful.single-officer": (record({"officers": ["张明", " "]}), record()),
    "lawful.repeat-admonition": (record(), record({"method": "reminder"})),
    "voluntary.informed": (record({"informed_of_voluntariness": DELETE}), record()),
    "voluntary.coercive-wording": (record({"opinion": "责令你单位限期改正，否则依法处罚。"}), record()),
    "reasonable.burden": (record(), record(_OTHER_TARGET)),
    "reasonable.project-kind": (record({"method": "policy_guidance", "project": {"name": "某项目"}}),
                                record({"method": "policy_guidance",
                                        "project": {"name": "某项目", "kind": "重大工程建设项目"}})),
    "reasonable.follow-up-too-soon": (record({"follow_up_due": "2026-11-22"}),
                                      record({"follow_up_due": "2026-11-23"})),
    "convenient.written-requested": (record({"written_requested": True, "form": "oral"}),
                                     record({"written_requested": True})),
    "convenient.application-timeliness": (
        record({"initiated_by": "application", "applied_at": "2026-11-12T09:00:00+08:00"}),
        record({"initiated_by": "依申请", "applied_at": "2026-11-13T09:00:00"})),
    "convenient.applied-at-missing": (record({"initiated_by": "application"}),
                                      record({"initiated_by": "application",
                                              "applied_at": "2026-11-18T09:00:00+08:00"})),
    # guided_at 10:00: an application made half an hour later cannot be what was answered
    "convenient.applied-after-guided": (
        record({"initiated_by": "application", "applied_at": "2026-11-20T10:30:00+08:00"}),
        record({"initiated_by": "application", "applied_at": "2026-11-20T09:30:00+08:00"})),
    "convenient.target-phone": (record({"target.phone": "12345"}), record()),
    "effective.follow-up-due": (record({"follow_up_due": None}), record()),
    # NOW is 2026-11-27 (Shanghai): 31 calendar days after 10-27, 30 after 10-28
    "effective.late-entry": (record({"guided_at": "2026-10-27T23:30:00+08:00"}),
                             record({"guided_at": "2026-10-28T00:30:00+08:00"})),
    "effective.result": (record({"result": "pending"}), record({"result": "部分采纳"})),
    "effective.effect": (record({"effect": "良好，良好，良好，良好，良好。"}), record()),
}

# Extra evaluation arguments some rules need (applied to both examples).
CONTEXT = {
    "lawful.repeat-admonition": {"history": REPEAT_HISTORY},
    "reasonable.burden": {"history": BURDEN_HISTORY},
    "effective.result": {"phase": "close"},
    "effective.effect": {"phase": "close"},
}


def _rule_ids(example, rule_id) -> list[str]:
    report = evaluate(example, catalog=TEST_CATALOG, now=NOW, **CONTEXT.get(rule_id, {}))
    return [f.rule for f in report.findings]


def test_every_rule_has_examples():
    assert sorted(EXAMPLES) == sorted(r.id for r in RULESET.rules)


@pytest.mark.parametrize("rule_id", list(EXAMPLES))
def test_rule_fires_on_failing_example(rule_id):
    failing, _ = EXAMPLES[rule_id]
    assert rule_id in _rule_ids(failing, rule_id)


@pytest.mark.parametrize("rule_id", list(EXAMPLES))
def test_rule_quiet_on_passing_example(rule_id):
    _, passing = EXAMPLES[rule_id]
    assert rule_id not in _rule_ids(passing, rule_id)


def test_base_record_is_clean_in_both_phases():
    for phase in ("submit", "close"):
        report = evaluate(record(), phase=phase, catalog=TEST_CATALOG, now=NOW)
        assert report.findings == (), report.to_dict()
        assert report.outcome == "clean"
