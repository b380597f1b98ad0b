"""The rules page's sentences: every rule readable, with no placeholder left and no developer words."""
import re

from rules import RULESET
from rules.explain import SEVERITY_WORDS, edition_words, plain_rules
from rules.registry import CHECKS
from rules.ruleset import parse_ruleset, RULESET_FILE


def test_every_rule_is_one_sentence_with_examples_filled_in():
    plain = [r for g in plain_rules() for r in g.rules]
    assert len(plain) == len(RULESET.rules)
    for rule in plain:
        assert "{" not in rule.sentence and "}" not in rule.sentence, rule.id
        assert "SPEC" not in rule.sentence + rule.source, rule.id
        assert re.search(r"[\u4e00-\u9fff]", rule.sentence)


def test_groups_follow_the_work_plan_order_and_name_severity_in_words():
    groups = plain_rules()
    assert [g.label for g in groups][:6] == ["自愿", "合法", "合理", "公正公开", "便民利民", "效能"]
    assert all(g.summary for g in groups)
    words = {r.severity_words for g in groups for r in g.rules}
    assert words <= set(SEVERITY_WORDS.values()) and "必须改正" in words and "需说明理由并经法制审核" in words


def test_example_words_come_from_the_rule_parameters():
    sentences = {r.id: r.sentence for g in plain_rules() for r in g.rules}
    assert "365日内" in sentences["lawful.repeat-admonition"]
    assert "超过5个工作日" in sentences["convenient.application-timeliness"]
    assert "“责令”" in sentences["voluntary.coercive-wording"]
    changed = parse_ruleset(RULESET_FILE.read_text("utf-8").replace("params.days = 365", "params.days = 180"))
    again = {r.id: r.sentence for g in plain_rules(changed) for r in g.rules}
    assert "180日内" in again["lawful.repeat-admonition"]


def test_every_check_extra_has_an_example():
    from rules.explain import _EXTRA_EXAMPLES

    used = {(rule.check, extra) for rule in RULESET.rules for extra in CHECKS[rule.check].extras}
    assert used <= set(_EXTRA_EXAMPLES)


def test_search_finds_rules_by_words_and_keeps_their_group():
    found = plain_rules(search="回访")
    ids = {r.id for g in found for r in g.rules}
    assert "effective.follow-up-due" in ids and "lawful.case-revisit" in ids
    assert "voluntary.informed" not in ids
    assert plain_rules(search="不存在的词语") == []
    assert {r.id for g in plain_rules(search="劝导警示 查处") for r in g.rules} >= {"lawful.admonition-conditions"}


def test_the_rule_set_is_named_by_edition_and_date_not_hash():
    assert RULESET.edition and RULESET.effective
    words = edition_words()
    assert RULESET.version not in words
    assert f"{RULESET.effective.year}年{RULESET.effective.month}月{RULESET.effective.day}日" in words
