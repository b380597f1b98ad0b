"""Shared test data for the rules tests: a clean base record, a fixed clock, a test catalog."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from rules import Catalog, load_catalog
from rules.model import SHANGHAI

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)

BASE_RECORD: dict[str, Any] = {
    "catalog_code": "ZD-TD-03",
    "method": "admonition",
    "stage": "during",
    "form": "written",
    "initiated_by": "ex_officio",
    "applied_at": None,
    "unit": "自然资源开发利用科",
    "officers": ["张明", "李华"],
    "guided_at": "2026-11-20T10:00:00+08:00",
    "place": "周村区王村镇某村临时用地现场",
    "target": {"name": "淄博某建材有限公司", "kind": "organization",
               "id_number": "914403001922038216", "contact": "王经理", "phone": "13905330000"},
    "subject": "临时用地期满未复垦归还",
    "content": "临时用地使用期满，建议尽快按复垦方案恢复种植条件后归还。",
    "problem": "临时用地于2026年10月期满，尚未完成复垦。",
    "opinion": "建议在一个月内完成复垦并申请验收，如有困难可与我科联系。",
    "legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}],
    "informed_of_voluntariness": True,
    "written_requested": False,
    "oral_confirmation": None,
    "contact_person": "李华",
    "contact_phone": "0533-6180000",
    "admonition_conditions": {"minor": True, "no_intent": True, "corrected": True, "no_harm": True},
    "case": None,
    "project": None,
    "follow_up_due": "2026-12-20",
    "result": "adopted",
    "effect": "当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。",
}

# SPEC §3's example, verbatim.
SPEC_EXAMPLE = json.loads("""{
  "catalog_code": "ZD-TD-03", "method": "admonition", "stage": "during", "form": "written",
  "initiated_by": "ex_officio", "applied_at": null, "unit": "自然资源开发利用科",
  "officers": ["张明", "李华"], "guided_at": "2026-11-20T10:00:00+08:00",
  "place": "周村区王村镇某村临时用地现场",
  "target": {"name": "淄博某建材有限公司", "kind": "organization",
             "id_number": "914403001922038216", "contact": "王经理", "phone": "13905330000"},
  "subject": "临时用地期满未复垦归还",
  "content": "…", "problem": "…", "opinion": "…",
  "legal_basis": [{"law": "中华人民共和国土地管理法", "articles": ["第五十七条"]}],
  "informed_of_voluntariness": true, "written_requested": false, "oral_confirmation": null,
  "contact_person": "李华", "contact_phone": "0533-6180000",
  "admonition_conditions": {"minor": true, "no_intent": true, "corrected": true, "no_harm": true},
  "case": null, "project": null, "follow_up_due": "2026-12-20", "result": "pending", "effect": null
}""")

_DELETE = object()
DELETE = _DELETE


def record(changes: dict[str, Any] | None = None, base: dict[str, Any] | None = None) -> dict:
    """A deep copy of the base record with dotted-path changes (value DELETE removes the key)."""
    result = copy.deepcopy(BASE_RECORD if base is None else base)
    for path, value in (changes or {}).items():
        *parents, last = path.split(".")
        node = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if value is _DELETE:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    return result


def _test_catalog() -> Catalog:
    items = [item.model_dump() for item in load_catalog().items]
    template = next(i for i in items if i["code"] == "ZD-TD-03")
    extra = [
        dict(template, code="ZD-TEST-INACTIVE", active=False),
        dict(template, code="ZD-TEST-UNPUBLISHED", published=False),
        dict(template, code="ZD-TEST-NOBASIS", legal_basis=[]),
    ]
    return Catalog(items + extra)


TEST_CATALOG = _test_catalog()

