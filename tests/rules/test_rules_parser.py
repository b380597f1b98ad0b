"""The record model: aliases, time zones, unknown keys, and a parser that never raises."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import evaluate, parse_record
from rules.model import RECORD_KEYS

from .rules_testdata import NOW, record


def _findings(raw, **kw):
    return [(f.rule, f.field) for f in evaluate(raw, now=NOW, **kw).findings]


def test_chinese_labels_are_accepted_for_every_enum():
    parsed = parse_record(record({
        "method": "劝导警示", "stage": "事中", "form": "书面", "initiated_by": "依职权",
        "target.kind": "法人或其他组织", "result": "已采纳", "oral_confirmation": "拒绝确认",
        "case": {"kind": "重大行政处罚案件"}, "project": {"kind": "重大工程建设项目"},
    }))
    rec = parsed.record
    assert parsed.issues == []
    assert (rec.method, rec.stage, rec.form, rec.initiated_by, rec.target.kind, rec.result,
            rec.oral_confirmation, rec.case.kind, rec.project.kind) == (
        "admonition", "during", "written", "ex_officio", "organization", "adopted",
        "refused_to_confirm", "major_penalty", "construction")


def test_datetime_without_offset_is_asia_shanghai():
    rec = parse_record({"guided_at": "2026-11-20T10:00:00"}).record
    assert rec.guided_at.utcoffset() == timedelta(hours=8)


def test_numbers_are_not_datetimes_and_strings_not_booleans():
    assert _findings(record({"guided_at": 1700000000}))[-1:] == [("input.type", "guided_at")]
    fields = {f for r, f in _findings(record({"informed_of_voluntariness": "true"})) if r == "input.type"}
    assert fields == {"informed_of_voluntariness"}


def test_unknown_keys_rejected_at_every_level_with_dotted_paths():
    raw = record({"status": "filed", "target.fax": "1", "legal_basis.0.note": "x",
                  "case": {"extra": 1}})
    unknown = [f for r, f in _findings(raw) if r == "input.unknown-key"]
    assert sorted(unknown) == ["case.extra", "legal_basis.0.note", "status", "target.fax"]


def test_bad_field_does_not_hide_findings_about_others():
    raw = record({"target.kind": "公司", "officers": ["张明", 7], "legal_basis": [{"law": 5}],
                  "informed_of_voluntariness": False})
    found = _findings(raw)
    assert ("input.type", "target.kind") in found
    assert ("input.type", "officers.1") in found
    assert ("input.type", "legal_basis.0.law") in found
    assert ("voluntary.informed", "informed_of_voluntariness") in found
    assert ("lawful.single-officer", "officers") in found  # the good officer was kept
    # a wrong value is reported once, not again as missing
    assert ("input.required", "target.kind") not in found


def test_input_type_message_names_field_and_allowed_labels():
    finding = next(f for f in evaluate(record({"form": "传真"}), now=NOW).findings
                   if f.rule == "input.type")
    assert "指导形式" in finding.message and "书面、口头" in finding.message


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([None, 0, 1.5, "text", [], [1, "a"], True]))
def test_non_objects_give_one_input_finding(raw):
    report = evaluate(raw, now=NOW)
    assert report.outcome == "blocked"
    assert [f.rule for f in report.findings] == ["input.not-object"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_raises(raw):
    report = evaluate(raw, now=NOW)
    assert report.outcome in {"blocked", "review", "clean"}
    for phase in ("submit", "close"):
        assert evaluate(raw, phase=phase, now=NOW).to_dict()["phase"] == phase


target_dicts = st.dictionaries(
    st.sampled_from(["name", "kind", "id_number", "contact", "phone", "other"]), json_values,
    max_size=6)
real_key_records = st.dictionaries(
    st.sampled_from(sorted(RECORD_KEYS)),
    json_values | target_dicts | st.lists(st.text(max_size=5)) | st.sampled_from(
        ["admonition", "劝导警示", "written", "口头", "2026-11-20T10:00:00", "2026-11-20",
         "ZD-TD-03", "14705330000"]),
    max_size=len(RECORD_KEYS),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(real_key_records)
def test_arbitrary_dicts_with_real_keys_never_raise(raw):
    report = evaluate(raw, now=NOW)
    assert report.outcome in {"blocked", "review", "clean"}
    assert all(f.message for f in report.findings)


def test_field_paths_with_unicode_digits_never_raise():
    """"¹".isdigit() is true but int("¹") fails: found by hypothesis on a fresh machine."""
    from rules import evaluate
    from rules.vocabulary import field_label

    assert field_label("officers.¹") == "“officers.¹”"
    report = evaluate({"officers": {"¹": "张明"}, "target": {"²": 1}})
    assert report.outcome == "blocked"
