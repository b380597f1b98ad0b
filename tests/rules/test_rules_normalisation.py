"""SPEC §4 Details (2026-11-30): one reading of a record, normalised the same for records and history."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rules.engine
from rules import (
    RULESET, Finding, ListHistory, Reading, evaluate, parse_record, read_record, target_key,
)
from rules.history import normalize_id, read_earlier
from rules.model import METHOD_KEYS, SHANGHAI, WHITE_SPACE, read_moment, to_key, upper_code
from rules.vocabulary import METHOD

from .rules_testdata import DELETE, NOW, TEST_CATALOG, record


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


# --- history entries read like records --------------------------------------------------------

_ID = "914403001922038216"


def _entry(**changes):
    entry = {"catalog_code": "ZD-TD-03", "method": "admonition",
             "guided_at": "2026-06-01T10:00:00+08:00",
             "target": {"name": "淄博某建材有限公司", "id_number": _ID}}
    entry.update(changes)
    return entry


def _repeat(*entries, **changes) -> bool:
    raw = record(changes)
    return "lawful.repeat-admonition" in _rules(raw, history=ListHistory(list(entries)))


@pytest.mark.parametrize("status, counted", [
    ("已备案", True), ("待审查", True), ("已办结", True), (" filed ", True), ("", True),
    (None, True), ("已作废", False), ("草稿", False), ("voided", False), ("归档", False),
])
def test_history_status_labels_count_like_keys(status, counted):
    assert _repeat(_entry(status=status)) is counted


def test_history_entry_without_status_counts_as_filed():
    assert _repeat(_entry())


def test_history_entry_fields_are_normalised():
    assert _repeat(_entry(method=" 劝导警示 ", catalog_code=" zd-td-03 "))
    assert _repeat(_entry(guided_at=" 2026-06-01T10:00:00 "))
    assert _repeat(_entry(target={"name": "别的名字", "id_number": _ID.lower() + " "}))
    assert not _repeat(_entry(method="意见建议"))


@pytest.mark.parametrize("earlier_name, name", [
    ("ＡＢＣ建材（淄博）有限公司", "abc建材(淄博)有限公司"),
    ("淄博某建材 有限公司", " 淄博某建材有限公司"),
    ("淄博某建材\u3000有限公司", "淄博某建材有限公司"),
    ("Zibo Building Materials Co.", "ZIBO BUILDING MATERIALS CO."),
])
def test_same_target_by_name_ignores_width_case_and_spaces(earlier_name, name):
    entry = _entry(target={"name": earlier_name})
    assert _repeat(entry, **{"target.name": name, "target.id_number": None})


def test_different_names_are_different_targets():
    entry = _entry(target={"name": "淄博某建材有限公司二厂"})
    assert not _repeat(entry, **{"target.id_number": None})


def test_burden_counts_normalised_history():
    entries = [_entry(method="提示提醒", catalog_code="ZD-TD-01", status="已备案",
                      guided_at=f"2026-11-{day}T09:00:00+08:00",
                      target={"name": "淄博某建材（有限）公司"})
               for day in ("02", "10", "19")]
    raw = record({"target.name": "淄博某建材(有限)公司", "target.id_number": DELETE})
    assert ("reasonable.burden", "target.name") in _found(raw, history=ListHistory(entries))


class _RecordingSource:
    """A HistorySource that returns everything it has and remembers what it was asked."""

    def __init__(self, entries):
        self.entries = entries
        self.calls = []

    def earlier_records(self, *, target_name, target_id_number, start, end):
        self.calls.append((target_name, target_id_number))
        return self.entries


def test_history_source_is_asked_by_target_key_and_upper_id_and_results_are_normalised():
    source = _RecordingSource([_entry(status="已备案", method="劝导警示",
                                      target={"name": "ＡＢＣ 公司", "id_number": None})])
    found = _rules(record({"target.name": " abc公司 ", "target.id_number": " 91440300708461136t"}),
                   history=source)
    assert source.calls == [("abc公司", "91440300708461136T")]
    assert "lawful.repeat-admonition" in found


def test_read_earlier_matches_the_record_model():
    entry = _entry(status="已办结", guided_at="2026-06-01T10:00:00",
                   target={"name": " ＡＢＣ 公司 ", "id_number": " 91440300708461136t "},
                   catalog_code="zd-td-03 ", method="劝导警示")
    earlier = read_earlier(entry)
    rec = read_record({k: v for k, v in entry.items() if k != "status"}).record
    assert earlier.guided_at == rec.guided_at
    assert earlier.id_number == rec.target.id_number
    assert earlier.catalog_code == rec.catalog_code
    assert earlier.method == rec.method
    assert earlier.name_key == target_key(rec.target.name) == "abc公司"
    assert read_earlier(_entry(guided_at="不是时间")) is None
    assert read_earlier(_entry(guided_at=1700000000)) is None  # no Unix timestamps, as records


_padding = st.text(alphabet=WHITE_SPACE + "\x1c\u200b", max_size=3)
_words = st.sampled_from(["zd-td-03", "ＺＤ-ｔｄ", "91440300708461136t", "劝导警示", "admonition",
                          "罚款", "", "2026-06-01T10:00:00", "2026-06-01 10:00+08:00", "2026-13-01",
                          "20260601T100000"]) | st.text(max_size=6)


@settings(max_examples=300, deadline=None)
@given(_padding, _words, _padding)
def test_history_normalisers_agree_with_the_record_model(left, word, right):
    """History entries are read field by field (they are many), with the model's own rules."""
    text = left + word + right
    rec = read_record({"catalog_code": text, "method": text, "guided_at": text,
                       "target": {"id_number": text}}).record
    assert upper_code(text) == rec.catalog_code
    assert normalize_id(text) == rec.target.id_number
    method = to_key(METHOD_KEYS, text)
    assert rec.method == (method if method in METHOD else None)  # a bad value is dropped
    assert read_moment(text) == rec.guided_at


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
_entries = st.lists(st.fixed_dictionaries({}, optional={
    "status": _json | st.sampled_from(["已备案", " filed "]),
    "guided_at": _json | st.just("2026-06-01T10:00:00"),
    "method": _json | st.just("劝导警示"),
    "catalog_code": _json | st.just("zd-td-03"),
    "target": _json | st.fixed_dictionaries({}, optional={"name": _json, "id_number": _json}),
}), max_size=4)


@settings(max_examples=200, deadline=None)
@given(_entries)
def test_any_history_entries_never_raise(entries):
    source = _RecordingSource(entries)
    assert evaluate(record(), now=NOW, catalog=TEST_CATALOG, history=source).outcome in {
        "clean", "review"}
    ListHistory(entries)


# --- target_key ------------------------------------------------------------------------------


def test_target_key():
    assert target_key("ＡＢＣ") == target_key("abc") == "abc"
    assert target_key("（淄博）") == "(淄博)"
    assert target_key(" 淄博 某\t公司\u3000") == "淄博某公司"
    assert target_key("Straße") == target_key("STRASSE")
    assert target_key("") is None and target_key(" \u3000 ") is None and target_key(None) is None


# --- Reading ---------------------------------------------------------------------------------


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
