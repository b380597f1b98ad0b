"""行政指导记录校验 — the validator for guidance records (SPEC §4).

Imports nothing from flask or webapp. Main entry points::

    from rules import evaluate, load_catalog, ListHistory, RULESET, PRINCIPLES
    report = evaluate(record_dict, phase="submit", catalog=load_catalog(), history=None)
    report.outcome, report.to_dict()
"""

from .catalog import Catalog, CatalogItem, load_catalog
from .engine import RULESET, Finding, Report, evaluate
from .history import HistorySource, ListHistory
from .model import GuidanceRecord, parse_record
from .reading_shim import Reading, read_record, target_key
from .ruleset import Rule, RuleSet, RuleSetError, load_ruleset, parse_ruleset
from .vocabulary import FIELD_LABELS, PRINCIPLES, field_label, key_for_label

__all__ = [
    "Catalog", "CatalogItem", "FIELD_LABELS", "Finding", "GuidanceRecord", "HistorySource",
    "ListHistory", "PRINCIPLES", "RULESET", "Report", "Rule", "RuleSet", "RuleSetError",
    "evaluate", "field_label", "key_for_label", "load_catalog", "load_ruleset", "parse_record",
    "parse_ruleset",
]
