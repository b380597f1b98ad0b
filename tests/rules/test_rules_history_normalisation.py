"""History entries are read with the records' own normalisation (SPEC §4 Details, 2026-11-30)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import ListHistory, evaluate, read_record, target_key
from rules.history import normalize_id, read_earlier
from rules.model import METHOD_KEYS, WHITE_SPACE, read_moment, to_key, upper_code
from rules.vocabulary import METHOD

from .rules_testdata import DELETE, NOW, TEST_CATALOG, record


def _found(raw, **kw) -> list[tuple[str, str]]:
    kw.setdefault("now", NOW)
    kw.setdefault("catalog", TEST_CATALOG)
    return [(f.rule, f.field) for f in evaluate(raw, **kw).findings]


def _rules(raw, **kw) -> list[str]:
    return [rule for rule, _ in _found(raw, **kw)]

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
