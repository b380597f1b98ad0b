"""read_record: one parse of a raw record, reused by evaluate and by the web app."""

from __future__ import annotations

from datetime import date, datetime

import pytest

import rules.engine
from rules import RULESET, Finding, Reading, evaluate, parse_record, read_record
from rules.model import SHANGHAI

from .rules_testdata import NOW, TEST_CATALOG, record





def test_reading_carries_record_present_keys_and_structural_findings():
    raw = record({"form": "传真", "target.fax": "1", "catalog_code": "zd-td-03", "officers": ["张明"]})
    reading = read_record(raw)
    assert isinstance(reading, Reading)
    assert reading.present == frozenset(raw)
    assert reading.bad_fields == {"form", "target.fax"}
    assert [(f.rule, f.field) for f in reading.structural] == [
        ("input.unknown-key", "target.fax"), ("input.type", "form")]
    assert all(isinstance(f, Finding) for f in reading.structural)
    full = evaluate(reading, now=NOW, catalog=TEST_CATALOG).findings
    structural_rules = {"input.not-object", "input.unknown-key", "input.type"}
    assert list(reading.structural) == [f for f in full if f.rule in structural_rules]


def test_reading_of_a_non_object():
    reading = read_record(["not", "a", "record"])
    assert reading.present == frozenset()
    assert [f.rule for f in reading.structural] == ["input.not-object"]
    assert read_record(record()).structural == ()


def test_reading_values_python_and_json():
    reading = read_record({"guided_at": "2026-11-20T10:00:00", "catalog_code": " zd-td-03",
                           "case": {"closed_on": "2026-09-01", "kind": "重大行政处罚案件"},
                           "officers": ["张明", "张明"], "subject": " "})
    python = reading.values()
    assert python == {
        "catalog_code": "ZD-TD-03", "officers": ["张明"], "subject": None,
        "guided_at": datetime(2026, 11, 20, 10, tzinfo=SHANGHAI),
        "case": {"decision_number": None, "kind": "major_penalty", "closed_on": date(2026, 9, 1)}}
    assert python["guided_at"].utcoffset().total_seconds() == 8 * 3600
    assert reading.values(["case", "guided_at"], mode="json") == {
        "case": {"decision_number": None, "kind": "major_penalty", "closed_on": "2026-09-01"},
        "guided_at": "2026-11-20T10:00:00+08:00"}
    assert reading.values(["effect", "nonsense"]) == {"effect": None}
    with pytest.raises(ValueError):
        reading.values(mode="yaml")


def test_evaluate_does_not_parse_a_reading_again(monkeypatch):
    reading = read_record(record())
    calls = []
    monkeypatch.setattr(rules.engine, "parse_record", lambda raw: calls.append(raw))
    assert evaluate(reading, now=NOW, catalog=TEST_CATALOG).outcome == "clean"
    assert read_record(reading) is reading
    assert calls == []


def test_parse_record_still_works_and_agrees_with_read_record():
    raw = record({"officers": ["张明", "张明"], "catalog_code": " zd-td-03 "})
    assert parse_record(raw).record == read_record(raw).record
    assert parse_record(raw).issues == []


def test_structural_messages_come_from_the_rule_set():
    finding = read_record({"form": "传真"}).structural[0]
    template = RULESET.by_id["input.type"].message
    assert finding.message.startswith("指导形式填写有误") and template.startswith("{label}填写有误")
