"""A parameter overlay on the rule set: {rule id: {param: value}} edited by an admin, checked
against the types of the bundled params, applied by building a new RuleSet (nothing global changes)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError

from .ruleset import Rule, RuleSet, RuleSetError
from .vocabulary import PARAM_LABELS

Overlay = dict[str, dict[str, Any]]


def _same_type(base: Any, value: Any) -> str | None:
    """None when `value` has the type of the base parameter, else the problem in Chinese."""
    if isinstance(base, bool):
        return None if isinstance(value, bool) else "应为是或否"
    if isinstance(base, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return "应为整数"
        return None if value >= 0 else "不能为负数"
    if isinstance(base, float):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "应为数字"
    if isinstance(base, str):
        return None if isinstance(value, str) and value.strip() else "应为非空文字"
    if isinstance(base, list):
        if not isinstance(value, list) or not value:
            return "应为至少一项的列表"
        if not all(isinstance(x, str) and x.strip() for x in value):
            return "列表中每一项都应为非空文字"
        return None
    return "该参数不能修改"


def overlay_problems(ruleset: RuleSet, overlay: Any) -> dict[str, str]:
    """Every problem of an overlay, keyed "rule_id.param" ("" for the overlay itself); {} if fine."""
    if not isinstance(overlay, dict):
        return {"": "参数草稿应为“规则编号 → 参数”的对象"}
    problems: dict[str, str] = {}
    for rule_id, params in overlay.items():
        rule = ruleset.by_id.get(rule_id)
        if rule is None:
            problems[str(rule_id)] = "没有这条规则"
            continue
        if not isinstance(params, dict):
            problems[rule_id] = "参数应为对象"
            continue
        for name, value in params.items():
            key = f"{rule_id}.{name}"
            if name not in rule.params:
                problems[key] = "该规则没有这个参数"
            elif name not in PARAM_LABELS:
                problems[key] = "该参数决定规则检查什么，不能在此修改"
            elif (problem := _same_type(rule.params[name], value)) is not None:
                problems[key] = problem
    if not problems:
        for rule_id, params in overlay.items():
            try:
                apply_overlay(ruleset, {rule_id: params})
            except RuleSetError as exc:
                problems[f"{rule_id}.{next(iter(params))}"] = f"取值无效，请检查格式（{exc}）"
    return problems


def overlay_digest(overlay: Overlay | None) -> str:
    """A stable short hash of an overlay (key order does not matter)."""
    text = json.dumps(overlay or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def apply_overlay(ruleset: RuleSet, overlay: Overlay | None) -> RuleSet:
    """The rule set with the overlay's params; version "<base>+<digest>" (the base when empty)."""
    overlay = {rule_id: params for rule_id, params in (overlay or {}).items() if params}
    if not overlay:
        return ruleset
    rules = []
    for rule in ruleset.rules:
        changed = overlay.get(rule.id)
        if changed:
            try:
                rule = Rule.model_validate({**rule.model_dump(), "params": {**rule.params, **changed}})
            except ValidationError as exc:
                raise RuleSetError(f"规则 {rule.id}: {exc.errors()[0]['msg']}") from None
        rules.append(rule)
    base = ruleset.version.split("+", 1)[0]
    return RuleSet(rules, f"{base}+{overlay_digest(overlay)}")


def changed_rules(ruleset: RuleSet, overlay: Overlay | None) -> frozenset[str]:
    """Ids of the rules whose params the overlay really changes (equal values change nothing)."""
    return frozenset(rule_id for rule_id, params in (overlay or {}).items()
                     if rule_id in ruleset.by_id
                     and any(ruleset.by_id[rule_id].params.get(k) != v for k, v in params.items()))
