"""Meta-tests of the rule set: well-formed, complete against SPEC §4, validated at load."""

from __future__ import annotations

import hashlib
import re

import pytest

from rules import PRINCIPLES, RULESET, RuleSetError, load_ruleset, parse_ruleset
from rules.ruleset import RULESET_FILE

# SPEC §4 table, row by row: (principle, severity, phase) → the rule ids implementing it.
# input.length runs in both phases on purpose: §4 Details say close runs the input rules.
SPEC_ROWS = [
    ("input", "error", "submit", ["input.required"]),
    ("input", "error", "submit", ["input.opinion-sections"]),
    ("input", "error", "submit", ["input.org-id-format", ("input.org-id-check-char", "warning")]),
    ("input", "error", "submit", ["input.person-id"]),
    ("input", "error", "submit", ["input.phone", ("input.length", "error", "both")]),
    ("catalog", "error", "submit", ["catalog.item-exists", "catalog.item-active"]),
    ("catalog", "warning", "submit", ["catalog.method", "catalog.stage", "catalog.unit"]),
    ("fair_open", "error", "submit", ["fair_open.item-published"]),
    ("fair_open", "error", "submit", ["fair_open.written-contact"]),
    ("fair_open", "error", "submit", ["fair_open.oral-record"]),
    ("lawful", "error", "submit", ["lawful.legal-basis"]),
    ("lawful", "error", "submit", ["lawful.admonition-conditions"]),
    ("lawful", "error", "submit", ["lawful.case-revisit"]),
    ("lawful", "error", "submit", ["lawful.guided-at-range"]),
    ("lawful", "warning", "submit", ["lawful.single-officer"]),
    ("lawful", "warning", "submit", ["lawful.repeat-admonition"]),
    ("voluntary", "error", "submit", ["voluntary.informed"]),
    ("voluntary", "warning", "submit", ["voluntary.coercive-wording"]),
    ("reasonable", "warning", "submit", ["reasonable.burden"]),
    ("reasonable", "warning", "submit", ["reasonable.project-kind"]),
    ("reasonable", "warning", "submit", ["reasonable.follow-up-too-soon"]),
    ("convenient", "error", "submit", ["convenient.written-requested"]),
    ("convenient", "warning", "submit",
     ["convenient.application-timeliness", ("convenient.applied-at-missing", "error")]),
    ("convenient", "warning", "submit", ["convenient.target-phone"]),
    ("effective", "warning", "submit", ["effective.follow-up-due"]),
    ("effective", "error", "close", ["effective.result"]),
    ("effective", "error", "close", ["effective.effect"]),
    ("input", "error", "both", ["input.unknown-key", "input.type", "input.not-object"]),
]


# Rules added by SPEC §4 Details (2026-11-30) and issue 14 (补录), outside the table.
SPEC_DETAIL_ROWS = [
    ("convenient", "error", "submit", ["convenient.applied-after-guided"]),
    ("effective", "warning", "submit", ["effective.late-entry"]),
]
ALL_ROWS = SPEC_ROWS + SPEC_DETAIL_ROWS


def test_spec_table_has_28_rows():
    assert len(SPEC_ROWS) == 28


@pytest.mark.parametrize("row", range(len(ALL_ROWS)))
def test_spec_row_is_covered_with_its_principle_severity_phase(row):
    principle, severity, phase, rule_ids = ALL_ROWS[row]
    for entry in rule_ids:
        rule_id, *override = (entry,) if isinstance(entry, str) else entry
        expected_severity = override[0] if override else severity
        expected_phase = override[1] if len(override) > 1 else phase
        rule = RULESET.by_id[rule_id]
        assert (rule.principle, rule.severity, rule.phase) == (
            principle, expected_severity, expected_phase)


def test_every_rule_belongs_to_a_spec_row():
    mapped = {e if isinstance(e, str) else e[0] for *_, ids in ALL_ROWS for e in ids}
    assert mapped == set(RULESET.by_id)


def test_rule_ids_unique_and_well_formed():
    ids = [r.id for r in RULESET.rules]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"[a-z_]+\.[a-z0-9]+(-[a-z0-9]+)*", rule_id)
        assert rule_id.split(".")[0] in PRINCIPLES


def test_every_rule_has_chinese_message_principle_and_source():
    for rule in RULESET.rules:
        assert re.search(r"[\u4e00-\u9fff]", rule.message), rule.id
        assert rule.principle in PRINCIPLES
        assert rule.source.strip(), rule.id


def test_late_entry_defaults_to_30_days():
    assert RULESET.by_id["effective.late-entry"].params == {"days": 30}


def test_ruleset_version_is_hash_of_file():
    assert RULESET.version == hashlib.sha256(RULESET_FILE.read_bytes()).hexdigest()[:12]
    assert load_ruleset().version == RULESET.version


GOOD = '''
[[rule]]
id = "lawful.single-officer"
principle = "lawful"
severity = "warning"
phase = "submit"
field = "officers"
check = "single_officer"
message = "{label}只有一人。"
source = "某法第一条"
'''


def test_minimal_rule_file_loads():
    assert [r.id for r in parse_ruleset(GOOD).rules] == ["lawful.single-officer"]


@pytest.mark.parametrize("change, complaint", [
    (('principle = "lawful"', 'principle = "kindness"'), "principle"),
    (('message = "{label}只有一人。"\n', ""), "message"),
    (('check = "single_officer"', 'check = "no_such_check"'), "no_such_check"),
    (('message = "{label}只有一人。"', 'message = "{who}只有一人。"'), "placeholder"),
    (('source = "某法第一条"', 'source = ""'), "source"),
    (('phase = "submit"', 'phase = "sometimes"'), "phase"),
])
def test_malformed_rule_fails_at_load_naming_the_rule(change, complaint):
    with pytest.raises(RuleSetError) as raised:
        parse_ruleset(GOOD.replace(*change))
    assert "lawful.single-officer" in str(raised.value)
    assert complaint in str(raised.value)


def test_duplicate_rule_id_fails_at_load():
    with pytest.raises(RuleSetError, match="lawful.single-officer.*duplicate"):
        parse_ruleset(GOOD + GOOD)


def test_bad_params_fail_at_load_naming_the_rule():
    text = GOOD.replace('check = "single_officer"', 'check = "coercive_wording"')
    text = text.replace('id = "lawful.single-officer"', 'id = "lawful.words"')
    with pytest.raises(RuleSetError, match="lawful.words"):
        parse_ruleset(text)
