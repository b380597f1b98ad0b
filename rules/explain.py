"""The rule set in an officer's words: each rule as one sentence with example values filled in.

Used by the /rules page and its training handout; the engine never calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .registry import CHECKS
from .engine import RULESET
from .ruleset import Rule, RuleSet
from .vocabulary import PRINCIPLE_SUMMARIES, PRINCIPLES, RULE_GROUP_SUMMARIES, field_label

# How each severity reads to an officer (the work plan's words, not the engine's).
SEVERITY_WORDS = {"error": "必须改正", "warning": "需说明理由并经法制审核", "info": "提示"}
PHASE_WORDS = {"submit": "提交时", "close": "办结时", "both": "提交和办结时"}

# Example values for the message placeholders a check adds beyond its rule's params.
# A check registering a new extra must add its example here (tests/rules/test_rules_explain.py).
_EXTRA_EXAMPLES = {
    ("value_types", "detail"): lambda params: "应为日期和时间，如 2026-11-30 10:00",
    ("text_lengths", "detail"): lambda params: f"最多{params.get('limits', {}).get('subject', 200)}字，现有236字",
    ("coercive_wording", "words"): lambda params: "“" + "”“".join(params.get("words", ["责令"])[:1]) + "”",
    ("application_timeliness", "count"): lambda params: int(params.get("working_days", 5)) + 2,
    ("late_entry", "count"): lambda params: int(params.get("days", 30)) + 5,
    ("opinion_sections", "items"): lambda params: _labels(params.get("fields", ())),
    ("written_contact", "items"): lambda params: _labels(params.get("fields", ())),
    ("admonition_conditions", "items"): lambda params: _labels(
        f"admonition_conditions.{name}" for name in params.get("conditions", ())),
    ("case_revisit", "items"): lambda params: _labels(("case.decision_number", "case.closed_on")),
}


def _labels(paths) -> str:
    return "、".join(field_label(path) for path in paths)
# Rules about any field: the example names one (for an unknown key, one an officer might invent).
_LABEL_EXAMPLES = {"unknown_keys": "“备注2”", "value_types": field_label("guided_at"),
                   "text_lengths": field_label("subject")}


@dataclass(frozen=True, slots=True)
class PlainRule:
    id: str
    principle: str
    sentence: str
    severity: str
    severity_words: str
    phase_words: str
    source: str

    def matches(self, words: str) -> bool:
        """Every word of the search occurs in the sentence, the source, the id or the labels."""
        haystack = " ".join((self.sentence, self.source, self.id, self.severity_words,
                             self.phase_words, PRINCIPLES[self.principle])).casefold()
        return all(word in haystack for word in words.casefold().split())


def _label(rule: Rule) -> str:
    if rule.check in _LABEL_EXAMPLES:
        return _LABEL_EXAMPLES[rule.check]
    path = rule.field or next(iter(rule.params.get("fields", ())), "")
    return field_label(path) if path else "记录"


def example_values(rule: Rule) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in rule.params.items() if isinstance(v, (str, int, float))}
    values["label"] = _label(rule)
    for extra in CHECKS[rule.check].extras:
        values[extra] = _EXTRA_EXAMPLES[(rule.check, extra)](rule.params)
    return values


def plain_rule(rule: Rule) -> PlainRule:
    return PlainRule(id=rule.id, principle=rule.principle,
                     sentence=rule.message.format_map(example_values(rule)),
                     severity=rule.severity, severity_words=SEVERITY_WORDS[rule.severity],
                     phase_words=PHASE_WORDS[rule.phase], source=rule.source)


@dataclass(frozen=True, slots=True)
class PrincipleGroup:
    key: str
    label: str
    summary: str
    rules: tuple[PlainRule, ...]


def plain_rules(ruleset: RuleSet = RULESET, search: str = "") -> list[PrincipleGroup]:
    """The rules grouped by principle in the work plan's order; empty groups left out."""
    plain = [plain_rule(r) for r in ruleset.rules]
    if search.strip():
        plain = [p for p in plain if p.matches(search)]
    groups = []
    for key, label in PRINCIPLES.items():
        members = tuple(p for p in plain if p.principle == key)
        if members:
            groups.append(PrincipleGroup(key, label, PRINCIPLE_SUMMARIES.get(key) or RULE_GROUP_SUMMARIES.get(key, ""), members))
    return groups


def edition_words(ruleset: RuleSet = RULESET) -> str:
    """2026年第1版（2026年11月20日起施行） — how the page and the handout name the rule set."""
    if ruleset.effective is None:
        return ruleset.edition or "现行版"
    day = ruleset.effective
    return f"{ruleset.edition or '现行版'}（{day.year}年{day.month}月{day.day}日起施行）"
