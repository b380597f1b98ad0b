"""Loading and validating the declarative rule set (rules/ruleset.toml)."""

from __future__ import annotations

import hashlib
import string
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import checks_input, checks_principles  # noqa: F401 — registers the check functions
from .checks_input import BOUND_CHECKS, STRUCTURAL_CHECKS
from .registry import CHECKS, CheckFn
from .vocabulary import FIELD_LABELS, PRINCIPLES, field_label

RULESET_FILE = Path(__file__).with_name("ruleset.toml")

Principle = Literal[tuple(PRINCIPLES)]


class RuleSetError(ValueError):
    """The rule file is malformed; the message names the rule id."""


class Rule(BaseModel):
    """One rule as a legal reviewer reads it in ruleset.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z_]+\.[a-z0-9]+(-[a-z0-9]+)*$")
    principle: Principle
    severity: Literal["error", "warning", "info"]
    phase: Literal["submit", "close", "both"]
    field: str
    check: str
    message: str = Field(min_length=1)
    source: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.id.split(".", 1)[0] != self.principle:
            raise ValueError(f"id must start with its principle {self.principle!r}")
        if self.check not in CHECKS:
            raise ValueError(f"unknown check {self.check!r}")
        if self.field and self.field.split(".")[0] not in {p.split(".")[0] for p in FIELD_LABELS}:
            raise ValueError(f"unknown field {self.field!r}")
        if not any("\u4e00" <= ch <= "\u9fff" for ch in self.message):
            raise ValueError("message must be in Chinese")
        allowed = {"label"} | set(self.params) | CHECKS[self.check].extras
        for _, name, _, _ in string.Formatter().parse(self.message):
            if name is not None and name not in allowed:
                raise ValueError(f"message uses unknown placeholder {{{name}}}")
        return self


@dataclass(frozen=True, slots=True)
class BoundRule:
    """A rule joined to its check function and prepared (compiled) parameters."""

    rule: Rule
    fn: CheckFn
    prepared: Any
    sort_key: tuple[int, int]
    scalars: dict[str, Any]
    # Findings are immutable: the same (field, extra values) gives the same one (bounded cache).
    findings: dict[tuple, Any] = field(default_factory=dict, compare=False, repr=False)

    def message(self, path: str, extra: dict[str, Any] | None) -> str:
        values = dict(self.scalars)
        values["label"] = field_label(path) if path else "记录"
        if extra:
            values.update(extra)
        return self.rule.message.format_map(values)


class RuleSet:
    """The validated rules; version = first 12 hex digits of the TOML file's SHA-256."""

    def __init__(self, rules: list[Rule], version: str, *, title: str = "", edition: str = "",
                 effective: date | None = None):
        self.version = version
        # How officers name the rule set: a short name and the date it took effect; the hash
        # (`version`) stays the exact identity the API and stored records carry.
        self.title = title
        self.edition = edition
        self.effective = effective
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.by_id = {r.id: r for r in self.rules}
        order = list(PRINCIPLES)
        bound = []
        for index, rule in enumerate(self.rules):
            spec = CHECKS[rule.check]
            try:
                prepared = spec.prepare(rule.params) if spec.prepare else rule.params
            except Exception as exc:  # noqa: BLE001 — report any bad parameter by rule id
                raise RuleSetError(f"规则 {rule.id}: 参数错误 bad params: {exc!r}") from exc
            scalars = {k: v for k, v in rule.params.items() if isinstance(v, (str, int, float))}
            bound.append(BoundRule(rule, spec.fn, prepared, (order.index(rule.principle), index),
                                   scalars))
        self.bound: tuple[BoundRule, ...] = tuple(bound)
        self.phases = {
            phase: tuple(b for b in bound if b.rule.phase in (phase, "both"))
            for phase in ("submit", "close")
        }
        # (check function, prepared params, rule) triples: the engine's hot loop
        self.plans = {phase: tuple((b.fn, b.prepared, b) for b in rules)
                      for phase, rules in self.phases.items()}
        self.structural = tuple((b.fn, b.prepared, b) for b in bound
                                if b.rule.check in STRUCTURAL_CHECKS)
        self.bounds = tuple((b.fn, b.prepared, b) for b in bound if b.rule.check in BOUND_CHECKS)
        self.history_days = max(
            (int(r.params.get("days", 0)) for r in self.rules if CHECKS[r.check].history),
            default=0)

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def parse_ruleset(text: str) -> RuleSet:
    """Validate rule-set TOML text; raises RuleSetError naming the offending rule id."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"规则文件不是有效的 TOML (invalid TOML): {exc}") from exc
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleSetError("规则文件没有 [[rule]] 条目 (no [[rule]] tables)")
    unknown = set(data) - {"rule", "title", "edition", "effective"}
    if unknown:
        raise RuleSetError(f"规则文件含未知的键 (unknown top-level keys): {sorted(unknown)}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_rules, start=1):
        rule_id = raw.get("id", f"#{n}") if isinstance(raw, dict) else f"#{n}"
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'rule'}: {e['msg']}" for e in exc.errors())
            raise RuleSetError(f"规则 {rule_id}: {problems}") from None
        if rule.id in seen:
            raise RuleSetError(f"规则 {rule.id}: 编号重复 (duplicate id)")
        seen.add(rule.id)
        rules.append(rule)
    edition, effective = data.get("edition", ""), data.get("effective")
    if not isinstance(edition, str) or (effective is not None and type(effective) is not date):
        raise RuleSetError("edition 应为文字，effective 应为日期 (edition: string, effective: date)")
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return RuleSet(rules, version, title=str(data.get("title", "")), edition=edition, effective=effective)


def load_ruleset(path: str | Path | None = None) -> RuleSet:
    """The rule set from a TOML file (default: the bundled rules/ruleset.toml)."""
    # Bytes, not read_text: the version must hash the file exactly as stored.
    return parse_ruleset(Path(path or RULESET_FILE).read_bytes().decode("utf-8"))
