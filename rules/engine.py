"""Reading a record once, and evaluating it against the rule set: all findings, an outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .catalog import Catalog, load_catalog
from .history import HistorySource
from .model import RECORD_KEYS, SHANGHAI, GuidanceRecord
from .parsing import ParseIssue, parse_record
from .registry import Context
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


_CACHED_FINDINGS = 512  # per rule; field paths and extras can come from the input: keep it bounded


def _finding(bound, path: str, extra: dict | None) -> Finding:
    key = (path,) if extra is None else (path, *extra.items())
    finding = bound.findings.get(key)
    if finding is None:
        rule = bound.rule
        finding = Finding(rule.id, rule.principle, rule.severity, path, bound.message(path, extra))
        if len(bound.findings) < _CACHED_FINDINGS:
            bound.findings[key] = finding
    return finding


def _run(plan, ctx) -> tuple[Finding, ...]:
    """Every hit of every rule in the plan, sorted by principle, rule, then field order."""
    hits = []
    for fn, prepared, bound in plan:
        for hit in fn(ctx, prepared):
            if hit.__class__ is str:
                hits.append((bound.sort_key, field_rank(hit), hit, bound, None))
            else:
                hits.append((bound.sort_key, field_rank(hit[0]), hit[0], bound, hit[1]))
    if not hits:
        return ()
    hits.sort(key=lambda h: h[:3])
    return tuple(_finding(b, path, extra) for _, _, path, b, extra in hits)


@dataclass(frozen=True, slots=True)
class Reading:
    """A raw §3 record read once: the normalised model, what was wrong with it, what was sent."""

    record: GuidanceRecord          # parsed + normalised (bad parts dropped)
    issues: tuple[ParseIssue, ...]
    bad_fields: frozenset[str]
    present: frozenset[str]         # §3 top-level keys present in the raw input
    structural: tuple[Finding, ...]  # input.not-object, input.unknown-key, input.type, input.length

    @classmethod
    def of(cls, record: GuidanceRecord) -> Reading:
        """A record already parsed and normalised (e.g. built from stored columns): nothing to report."""
        return cls(record, (), frozenset(), RECORD_KEYS, ())

    def values(self, keys: Iterable[str] | None = None, *, mode: str = "python") -> dict:
        """Normalised §3 values for `keys` (default: the keys present; keys outside §3 are left out).

        mode="python": aware datetimes and dates at the top level, nested models as dicts whose
        dates stay date objects; mode="json": ISO strings everywhere.
        """
        if mode not in ("python", "json"):
            raise ValueError(f"mode must be 'python' or 'json', not {mode!r}")
        wanted = [k for k in (self.present if keys is None else keys) if k in RECORD_KEYS]
        dumped = self.record.model_dump(mode=mode, include=set(wanted))
        if keys is None:
            return dumped  # model (§3) order
        return {k: dumped[k] for k in wanted}


class _IssuesOnly:
    """What the structural checks look at: the parse issues alone (and the record, for its bounds)."""

    __slots__ = ("parsed", "rec")

    def __init__(self, parsed):
        self.parsed = parsed
        self.rec = parsed.record


def read_record(raw: Any, *, ruleset: RuleSet | None = None) -> Reading:
    """Parse a raw §3 record ONCE; never raises."""
    if isinstance(raw, Reading):
        return raw
    parsed = parse_record(raw)
    rules = ruleset or RULESET
    only = _IssuesOnly(parsed)
    structural = _run(rules.structural, only) if parsed.issues else ()
    structural += _run(rules.bounds, only)  # over a limit: never stored (rules.limits)
    present = RECORD_KEYS.intersection(raw) if isinstance(raw, dict) else frozenset()
    return Reading(parsed.record, tuple(parsed.issues), parsed.bad_fields, present, structural)


def clock() -> datetime:
    """The evaluation time when the caller passes no `now` (one seam, so tests can pin the day)."""
    return datetime.now(SHANGHAI)


def evaluate(record: Any, *, phase: Phase = "submit", catalog: Catalog | None = None,
             history: HistorySource | None = None, now: datetime | None = None,
             ruleset: RuleSet | None = None) -> Report:
    """Check a Reading or a raw (JSON-like) record; never raises for bad input, returns every finding.

    A Reading is not parsed again; a raw value is read with read_record first.
    """
    rules = ruleset or RULESET
    if phase not in rules.plans:
        raise ValueError(f"phase must be 'submit' or 'close', not {phase!r}")
    if now is None:
        now = clock()
    elif now.tzinfo is None:
        now = now.replace(tzinfo=SHANGHAI)
    reading = read_record(record, ruleset=rules)
    ctx = Context(reading, catalog if catalog is not None else load_catalog(),
                  history, now, rules.history_days)
    plan = rules.plans[phase]
    if reading.issues and reading.issues[0].kind == "not_object":
        # Not a record at all: findings about its fields would only be noise.
        plan = [p for p in plan if p[2].rule.check == "record_is_object"]
    findings = _run(plan, ctx)
    if not findings:
        return Report("clean", phase, rules.version, ())
    return Report(outcome_of(findings), phase, rules.version, findings)
