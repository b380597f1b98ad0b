"""行政指导记录校验 — the validator for guidance records (SPEC §4).

Imports nothing from flask or webapp. Main entry points::

    from rules import read_record, evaluate, load_catalog, ListHistory, RULESET, PRINCIPLES
    reading = read_record(raw)            # parse + normalise once; never raises
    reading.structural, reading.values()  # not-object/unknown-key/type findings; §3 values
    report = evaluate(reading, phase="submit", catalog=load_catalog(), history=None)
    report.outcome, report.to_dict()
"""

from .catalog import Catalog, CatalogItem, load_catalog
from .engine import RULESET, Finding, Reading, Report, evaluate, read_record
from .history import HistorySource, ListHistory
from .model import GuidanceRecord, target_key
from .parsing import ParseIssue, parse_record
from .ruleset import Rule, RuleSet, RuleSetError, load_ruleset, parse_ruleset
from .vocabulary import FIELD_LABELS, PRINCIPLES, field_label, key_for_label

__all__ = [
    "Catalog", "CatalogItem", "FIELD_LABELS", "Finding", "GuidanceRecord", "HistorySource",
    "ListHistory", "PRINCIPLES", "ParseIssue", "RULESET", "Reading", "Report", "Rule", "RuleSet",
    "RuleSetError", "evaluate", "field_label", "key_for_label", "load_catalog", "load_ruleset",
    "parse_record", "parse_ruleset", "read_record", "target_key",
]
