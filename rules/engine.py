"""Evaluating a record against the rule set: all findings, an outcome, the rule-set version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .catalog import Catalog, load_catalog
from .history import HistorySource
from .model import SHANGHAI, parse_record
from .ruleset import RuleSet, load_ruleset
from .vocabulary import field_rank

Phase = Literal["submit", "close"]
RULESET: RuleSet = load_ruleset()


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    principle: str
    severity: str
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "principle": self.principle, "severity": self.severity,
                "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class Report:
    outcome: str
    phase: str
    ruleset: str
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "phase": self.phase, "ruleset": self.ruleset,
                "findings": [f.to_dict() for f in self.findings]}


def outcome_of(findings) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "blocked"
    return "review" if "warning" in severities else "clean"


def evaluate(record: Any, *, phase: Phase = "submit", catalog: Catalog | None = None,
             history: HistorySource | None = None, now: datetime | None = None,
             ruleset: RuleSet | None = None) -> Report:
    """Check a raw (JSON-like) record; never raises for bad input, returns every finding."""
    from .registry import Context  # local: registry imports model/catalog only

    rules = ruleset or RULESET
    if phase not in rules.plans:
        raise ValueError(f"phase must be 'submit' or 'close', not {phase!r}")
    if now is None:
        now = datetime.now(SHANGHAI)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=SHANGHAI)
    from .reading_shim import Reading
    if isinstance(record, Reading):
        from .model import ParsedRecord
        parsed = ParsedRecord(record.record, list(record.issues), record.bad_fields)
    else:
        parsed = parse_record(record)
    ctx = Context(parsed, catalog if catalog is not None else load_catalog(),
                  history, now, rules.history_days)
    plan = rules.plans[phase]
    if parsed.issues and parsed.issues[0].kind == "not_object":
        # Not a record at all: findings about its fields would only be noise.
        plan = [p for p in plan if p[2].rule.check == "record_is_object"]
    hits = []
    for fn, prepared, bound in plan:
        for hit in fn(ctx, prepared):
            if hit.__class__ is str:
                hits.append((bound.sort_key, field_rank(hit), hit, bound, None))
            else:
                hits.append((bound.sort_key, field_rank(hit[0]), hit[0], bound, hit[1]))
    if not hits:
        return Report("clean", phase, rules.version, ())
    hits.sort(key=lambda h: h[:3])
    findings = tuple(
        Finding(b.rule.id, b.rule.principle, b.rule.severity, path, b.message(path, extra))
        for _, _, path, b, extra in hits)
    return Report(outcome_of(findings), phase, rules.version, findings)
