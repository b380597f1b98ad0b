"""Evaluation: outcomes, ordering, phases, dates, history, catalog, and import hygiene."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import rules
from rules import Catalog, ListHistory, RULESET, evaluate, load_catalog
from rules.checks_principles import working_days
from rules.model import SHANGHAI
from rules.vocabulary import FIELD_LABELS, PRINCIPLES, key_for_label, METHOD

from .rules_testdata import NOW, SPEC_EXAMPLE, TEST_CATALOG, record

PROJECT_ROOT = Path(rules.__file__).resolve().parents[1]


def _rules(raw, **kw):
    kw.setdefault("now", NOW)
    return [f.rule for f in evaluate(raw, **kw).findings]


def test_spec_example_is_clean_after_its_guided_at():
    report = evaluate(SPEC_EXAMPLE, now=datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI))
    assert report.to_dict() == {"outcome": "clean", "phase": "submit",
                                "ruleset": RULESET.version, "findings": []}


def test_spec_example_before_its_guided_at_is_blocked():
    report = evaluate(SPEC_EXAMPLE, now=datetime(2026, 11, 19, tzinfo=SHANGHAI))
    assert [f.rule for f in report.findings] == ["lawful.guided-at-range"]


def test_spec_example_cannot_be_closed_while_pending():
    report = evaluate(SPEC_EXAMPLE, phase="close", now=NOW)
    assert report.outcome == "blocked"
    assert [f.rule for f in report.findings] == ["effective.result", "effective.effect"]


def test_report_shape_and_outcomes():
    report = evaluate(record({"officers": ["张明"]}), now=NOW).to_dict()
    assert list(report) == ["outcome", "phase", "ruleset", "findings"]
    assert report["outcome"] == "review"
    assert list(report["findings"][0]) == ["rule", "principle", "severity", "field", "message"]
    assert evaluate(record({"unit": ""}), now=NOW).outcome == "blocked"


def test_findings_sorted_by_principle_then_rule_then_field():
    raw = record({"informed_of_voluntariness": False, "officers": ["张明"], "subject": "",
                  "content": "", "form": "书面", "status": "x", "unit": "测绘地理信息科"})
    findings = evaluate(raw, now=NOW).findings
    order = list(PRINCIPLES)
    keys = [order.index(f.principle) for f in findings]
    assert keys == sorted(keys)
    assert [f.field for f in findings if f.rule == "input.required"] == ["subject", "content"]


def test_one_fault_fires_under_several_principles():
    raw = record({"form": "oral", "officers": [], "written_requested": True})
    rules = _rules(raw)
    assert {"input.required", "fair_open.oral-record", "convenient.written-requested"} <= set(rules)


def test_close_phase_checks_partial_payload_without_required_rules():
    assert _rules({"result": "adopted", "effect": "当事人已完成整改并提交复垦验收申请。"},
                  phase="close") == []
    rules = _rules({"result": "采纳", "effect": "字" * 5001, "comment": "x"}, phase="close")
    assert rules == ["effective.result", "input.unknown-key", "input.type", "input.length"]


def test_effect_placeholders():
    for effect in ("见附件：整改报告一份及现场照片十张", "无。无。无。无。无。无。无。无。无。无。",
                   "已完成，已完成，已完成，已完成", "  良好  "):
        assert "effective.effect" in _rules(record({"effect": effect}), phase="close")


def test_dates_compare_as_shanghai_calendar_dates():
    # 17:00 UTC on the 20th is 01:00 on the 21st in Shanghai: 2 days to the 23rd, not 3.
    raw = record({"guided_at": "2026-11-20T17:00:00Z", "follow_up_due": "2026-11-23"})
    assert "reasonable.follow-up-too-soon" in _rules(raw)
    raw = record({"method": "case_revisit", "guided_at": "2026-11-20T17:00:00Z",
                  "case": {"decision_number": "周自然资罚决〔2026〕5号", "kind": "social_impact",
                           "closed_on": "2026-11-21"}})
    assert "lawful.case-revisit" not in _rules(raw)


def test_working_days_monday_to_friday_over_half_open_interval():
    friday = date(2026, 11, 20)
    assert working_days(date(2026, 11, 13), friday) == 5
    assert working_days(date(2026, 11, 14), friday) == 5  # Saturday start
    assert working_days(date(2026, 11, 12), friday) == 6
    assert working_days(friday, friday) == 0
    assert working_days(date(2026, 11, 21), date(2026, 11, 23)) == 1
    assert working_days(date(2025, 11, 20), friday) == 261


def test_town_unit_matches_every_office_ending_in_zirenziyuansuo():
    base = {"catalog_code": "ZD-TD-04", "method": "reminder", "stage": "before"}
    assert "catalog.unit" not in _rules(record({**base, "unit": "南郊镇自然资源所"}))
    assert "catalog.unit" in _rules(record({**base, "unit": "自然资源开发利用科"}))


def test_catalog_accepts_items_as_dicts_with_defaults():
    catalog = Catalog([{"code": "X-1", "responsible_unit": "自然资源开发利用科",
                        "methods": ["劝导警示"], "stages": ["事中"], "legal_basis": []}])
    item = catalog.get("X-1")
    assert item.published and item.active and item.methods == {"admonition"}
    assert _rules(record({"catalog_code": "X-1"}), catalog=catalog) == []
    assert len(load_catalog()) == 39 and load_catalog() is load_catalog()


def _earlier(days_ago_guided: str, **changes):
    base = {"catalog_code": "ZD-TD-03", "method": "admonition", "guided_at": days_ago_guided,
            "target": {"name": "淄博某建材有限公司", "id_number": "914403001922038216"}}
    base.update(changes)
    return base


def test_history_window_status_and_same_target():
    repeat = "lawful.repeat-admonition"
    def fires(*entries):
        return repeat in _rules(record(), history=ListHistory(list(entries)), catalog=TEST_CATALOG)
    assert fires(_earlier("2025-11-20T10:00:00+08:00"))  # exactly 365 days before
    assert not fires(_earlier("2025-11-20T09:59:59+08:00"))
    assert not fires(_earlier("2026-11-20T10:00:00+08:00"))  # not strictly before
    assert not fires(_earlier("2026-06-01T10:00:00", status="draft"))
    assert not fires(_earlier("2026-06-01T10:00:00", status="voided"))
    assert fires(_earlier("2026-06-01T10:00:00", status="pending_review"))
    assert not fires(_earlier("2026-06-01T10:00:00", catalog_code="ZD-TD-08"))
    assert not fires(_earlier("2026-06-01T10:00:00", method="reminder"))
    assert fires(_earlier("2026-06-01T10:00:00", method="劝导警示"))
    # same id_number, other name: same target; both ids but different: not the same
    assert fires(_earlier("2026-06-01T10:00:00", target={"name": "改名后的公司",
                                                          "id_number": "914403001922038216"}))
    assert not fires(_earlier("2026-06-01T10:00:00", target={"name": "淄博某建材有限公司",
                                                              "id_number": "91440300708461136T"}))
    assert fires(_earlier("2026-06-01T10:00:00", target={"name": "淄博某建材有限公司"}))


class _SloppySource:
    """A HistorySource that returns too much: the engine must still filter."""

    def __init__(self, entries):
        self.entries = entries
        self.calls = []

    def earlier_records(self, *, target_name, target_id_number, start, end):
        self.calls.append((target_name, target_id_number, start, end))
        return self.entries


def test_engine_filters_whatever_the_history_source_returns():
    other = {"name": "别的公司", "id_number": "91440300708461136T"}
    entries = [_earlier(datetime(2026, 11, d, tzinfo=SHANGHAI), target=other) for d in (1, 2, 3)]
    entries += [_earlier("2027-01-01T00:00:00+08:00")] * 3  # after guided_at
    source = _SloppySource(entries)
    assert _rules(record(), history=source) == []
    (name, id_number, start, end), = source.calls
    assert name == "淄博某建材有限公司" and id_number == "914403001922038216"
    assert (end - start).days == 365


def test_vocabulary_exports():
    assert key_for_label(METHOD, "劝导警示") == "admonition"
    assert key_for_label(METHOD, "admonition") == "admonition"
    assert key_for_label(METHOD, "罚款") is None
    assert FIELD_LABELS["target.name"] == "指导对象名称"
    assert list(PRINCIPLES)[-2:] == ["catalog", "input"]
    rule = RULESET.by_id["lawful.admonition-conditions"]
    assert rule.params and rule.source and rule.field


def test_rules_imports_neither_flask_nor_webapp():
    code = ("import rules, rules.cli, sys; "
            "assert not any(m.startswith(('flask', 'webapp')) for m in sys.modules), "
            "[m for m in sys.modules if m.startswith(('flask', 'webapp'))]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_missing_parts_of_a_group_are_one_finding_listing_them():
    conditions = {"minor": True, "no_intent": False, "corrected": True, "no_harm": False}
    found = [f for f in evaluate(record({"admonition_conditions": conditions}), now=NOW, catalog=TEST_CATALOG).findings
             if f.rule == "lawful.admonition-conditions"]
    assert len(found) == 1 and found[0].field == "admonition_conditions"
    assert "尚未确认：无主观故意、未造成危害后果）" in found[0].message
    both = record({"problem": None, "opinion": None, "contact_person": None, "contact_phone": None})
    report = evaluate(both, now=NOW, catalog=TEST_CATALOG)
    opinion = [f for f in report.findings if f.rule == "input.opinion-sections"]
    assert [(f.field, f.message.endswith("请填写存在问题、指导意见。")) for f in opinion] == [("problem", True)]
    contact = [f for f in report.findings if f.rule == "fair_open.written-contact"]
    assert [f.field for f in contact] == ["contact_person"] and "指导联系人、联系电话" in contact[0].message
    case = evaluate(record({"method": "case_revisit", "case": None}), now=NOW, catalog=TEST_CATALOG)
    revisit = [f for f in case.findings if f.rule == "lawful.case-revisit"]
    assert [f.field for f in revisit] == ["case"]
    assert "行政处罚决定书文号、回访案件类型、案件办结日期" in revisit[0].message


def test_catalog_resolves_a_code_a_code_with_name_or_a_unique_name():
    catalog = load_catalog()
    assert catalog.resolve("zd-td-03") == ("ZD-TD-03", ())
    assert catalog.resolve("ZD-TD-03 临时用地使用及期满复垦归还提示") == ("ZD-TD-03", ())
    assert catalog.resolve("临时用地使用及期满复垦归还提示") == ("ZD-TD-03", ())
    assert catalog.resolve("临时用地") == ("ZD-TD-03", ())  # part of one name only
    code, candidates = catalog.resolve("政策指引")
    assert code is None and len(candidates) > 1 and all("政策指引" in i.name for i in candidates)
    assert catalog.resolve("没有这个事项") == (None, ())
    twins = Catalog([{"code": "A-1", "name": "同名事项"}, {"code": "A-2", "name": "同名事项"}])
    assert [i.code for i in twins.resolve("同名事项")[1]] == ["A-1", "A-2"]
