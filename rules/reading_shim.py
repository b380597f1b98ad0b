"""TEMPORARY until the codec lands (helper A): the Reading interface over parse_record."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

from .model import RECORD_KEYS, GuidanceRecord, ParseIssue, parse_record

STRUCTURAL = ("input.not-object", "input.unknown-key", "input.type")


@dataclass(frozen=True)
class Reading:
    record: GuidanceRecord
    issues: tuple[ParseIssue, ...] = ()
    bad_fields: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()
    structural: tuple = ()

    @classmethod
    def of(cls, record: GuidanceRecord) -> "Reading":
        return cls(record, present=frozenset(RECORD_KEYS))

    def values(self, keys: Iterable[str] | None = None, *, mode: str = "python") -> dict:
        data = self.record.model_dump(mode=mode)
        keys = self.present if keys is None else keys
        values = {k: data.get(k) for k in keys}
        if values.get("officers") is not None:
            values["officers"] = [n.strip() for n in values["officers"]]
        target = values.get("target")
        if target and target.get("id_number"):
            target["id_number"] = target["id_number"].strip().upper()
        return values


def _clean(value):
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def read_record(raw: Any, *, ruleset=None) -> Reading:
    from .engine import evaluate

    raw = _clean(raw)
    if isinstance(raw, dict) and isinstance(raw.get("officers"), list):
        raw["officers"] = list(dict.fromkeys(o for o in raw["officers"] if o)) if all(isinstance(o, (str, type(None))) for o in raw["officers"]) else raw["officers"]
    if isinstance(raw, dict) and isinstance(raw.get("catalog_code"), str):
        raw["catalog_code"] = raw["catalog_code"].upper()

    parsed = parse_record(raw)
    present = frozenset(k for k in raw if k in RECORD_KEYS) if isinstance(raw, dict) else frozenset()
    structural = ()
    if parsed.issues:
        structural = tuple(f for f in evaluate(raw, phase="close").findings if f.rule in STRUCTURAL)
    return Reading(parsed.record, tuple(parsed.issues), parsed.bad_fields, present, structural)


def target_key(name: str | None) -> str | None:
    if not name:
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).casefold())
    return key or None
