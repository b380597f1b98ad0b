"""SPEC §4 Details (2026-11-30): a record is normalised before any rule looks at it."""

from __future__ import annotations

from datetime import datetime

import pytest

from rules import evaluate, read_record, target_key
from rules.model import SHANGHAI

from .rules_testdata import NOW, TEST_CATALOG, record


def _found(raw, **kw) -> list[tuple[str, str]]:
    kw.setdefault("now", NOW)
    kw.setdefault("catalog", TEST_CATALOG)
    return [(f.rule, f.field) for f in evaluate(raw, **kw).findings]


def _rules(raw, **kw) -> list[str]:
    return [rule for rule, _ in _found(raw, **kw)]

# --- strings: trimmed, blank = missing -------------------------------------------------------


def test_strings_are_trimmed_at_every_level():
    rec = read_record(record({"subject": "  临时用地 ", "target.name": "\u3000淄博某建材有限公司\t",
                              "legal_basis": [{"law": " 中华人民共和国土地管理法 ",
                                               "articles": [" 第五十七条 ", " "]}]})).record
    assert rec.subject == "临时用地"
    assert rec.target.name == "淄博某建材有限公司"
    assert rec.legal_basis[0].law == "中华人民共和国土地管理法"
    assert rec.legal_basis[0].articles == ["第五十七条"]


def test_empty_applied_at_is_missing_not_a_type_error():
    found = _found(record({"initiated_by": "application", "applied_at": ""}))
    assert found == [("convenient.applied-at-missing", "applied_at")]


@pytest.mark.parametrize("path, rule", [
    ("form", "input.required"),                          # enum
    ("guided_at", "input.required"),                     # datetime
    ("follow_up_due", "effective.follow-up-due"),        # date
    ("informed_of_voluntariness", "voluntary.informed"),  # boolean
    ("target.name", "input.required"),                   # nested text
])
def test_blank_string_means_the_field_is_missing(path, rule):
    found = _found(record({path: "  "}))
    assert (rule, path) in found
    assert not [f for f in found if f[0] == "input.type"]


# --- labels, codes, id numbers ---------------------------------------------------------------


def test_labels_with_spaces_are_keys():
    rec = read_record(record({"method": " 劝导警示 ", "form": "书面\n", "target.kind": " 法人或其他组织"})).record
    assert (rec.method, rec.form, rec.target.kind) == ("admonition", "written", "organization")


def test_catalog_code_is_trimmed_and_upper_cased_to_a_known_item():
    assert read_record(record({"catalog_code": " zd-td-03 "})).record.catalog_code == "ZD-TD-03"
    assert _found(record({"catalog_code": " zd-td-03 "})) == []


def test_id_number_is_upper_cased_before_the_format_rules():
    reading = read_record(record({"target.id_number": " 91440300708461136t "}))
    assert reading.record.target.id_number == "91440300708461136T"
    assert _found(record({"target.id_number": "91440300708461136t"})) == []


# --- officers --------------------------------------------------------------------------------


def test_duplicate_officers_count_as_one():
    assert read_record(record({"officers": ["张明", " 张明 ", "", "李华", "李华"]})).record.officers == [
        "张明", "李华"]
    assert ("lawful.single-officer", "officers") in _found(record({"officers": ["张明", "张明"]}))
    assert "lawful.single-officer" not in _rules(record({"officers": ["张明", "李华 ", " 张明"]}))


def test_only_blank_officers_are_no_officers():
    assert ("input.required", "officers") in _found(record({"officers": ["", "  "]}))


def test_a_bad_officer_is_reported_at_its_own_position():
    found = _found(record({"officers": ["", "张明", 7]}))
    assert ("input.type", "officers.2") in found
    assert ("lawful.single-officer", "officers") in found


# --- applications ----------------------------------------------------------------------------


def test_application_answered_before_it_was_made_is_an_error():
    base = {"initiated_by": "application"}
    late = record({**base, "applied_at": "2026-11-20T10:00:01+08:00"})
    finding = next(f for f in evaluate(late, now=NOW, catalog=TEST_CATALOG).findings
                   if f.rule == "convenient.applied-after-guided")
    assert (finding.severity, finding.field) == ("error", "applied_at")
    assert "申请时间" in finding.message and "指导时间" in finding.message
    # the same moment, and a moment given in another zone, are fine
    assert "convenient.applied-after-guided" not in _rules(
        record({**base, "applied_at": "2026-11-20T10:00:00+08:00"}))
    assert "convenient.applied-after-guided" not in _rules(
        record({**base, "applied_at": "2026-11-20T01:59:00Z"}))
    assert "convenient.applied-after-guided" in _rules(
        record({**base, "applied_at": "2026-11-20T02:01:00Z"}))
    # ex officio guidance has no application to compare
    assert "convenient.applied-after-guided" not in _rules(
        record({"applied_at": "2026-11-21T10:00:00+08:00"}))


# --- late entry (补录) -------------------------------------------------------------------------


def test_late_entry_counts_shanghai_calendar_days_to_now():
    now = datetime(2026, 12, 21, 0, 30, tzinfo=SHANGHAI)  # 2026-12-20 16:30 UTC
    on_time = _found(record(), now=now)  # guided 2026-11-20: 31 days on the Shanghai calendar
    late = next(f for f in evaluate(record(), now=now, catalog=TEST_CATALOG).findings
                if f.rule == "effective.late-entry")
    assert ("effective.late-entry", "guided_at") in on_time
    assert late.severity == "warning" and "31日" in late.message and "补录" in late.message
    assert "effective.late-entry" not in _rules(record(), now=datetime(2026, 12, 20, 23, 59,
                                                                       tzinfo=SHANGHAI))


def test_late_entry_is_not_a_close_rule():
    assert _found(record(), phase="close", now=datetime(2027, 6, 1, tzinfo=SHANGHAI)) == []


# --- close phase -----------------------------------------------------------------------------


def test_close_does_not_rerun_submit_time_format_rules():
    raw = record({"contact_phone": "6180000", "target.phone": "12345",
                  "target.id_number": "91440300192203821", "officers": ["张明"]})
    assert {"input.phone", "input.org-id-format"} <= set(_rules(raw))
    assert _found(raw, phase="close") == []
    person = record({"target.kind": "person", "target.id_number": "110105194912310021"})
    assert "input.person-id" in _rules(person)
    assert _found(person, phase="close") == []

# --- target_key ------------------------------------------------------------------------------


def test_target_key():
    assert target_key("ＡＢＣ") == target_key("abc") == "abc"
    assert target_key("（淄博）") == "(淄博)"
    assert target_key(" 淄博 某\t公司\u3000") == "淄博某公司"
    assert target_key("Straße") == target_key("STRASSE")
    assert target_key("") is None and target_key(" \u3000 ") is None and target_key(None) is None
