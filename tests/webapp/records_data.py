"""Shared test data for the record workflow: a clean §3 record and user look-up.

    from tests.webapp.records_data import valid_record, user
    rec = valid_record(subject="…", target=org_target("淄博某公司"))

`valid_record()` evaluates `clean` (phase submit) against the bundled catalog: a written
劝导警示 under ZD-TD-03 by 自然资源开发利用科 (the `staff` fixture user's unit), guided on a
fixed past date.
"""
from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from rules.idcodes import uscc_check_char

GUIDED_AT = "2026-11-20T10:00:00+08:00"

VALID_RECORD: dict[str, Any] = {
    "catalog_code": "ZD-TD-03",
    "method": "admonition",
    "stage": "during",
    "form": "written",
    "initiated_by": "ex_officio",
    "applied_at": None,
    "unit": "自然资源开发利用科",
    "officers": ["张明", "李华"],
    "guided_at": GUIDED_AT,
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
    "result": "pending",
    "effect": None,
}

# A close that passes rules(close).
VALID_CLOSE = {"result": "adopted", "effect": "当事人已按指导意见完成复垦并归还土地，经现场核查符合要求。"}


def valid_record(**overrides: Any) -> dict[str, Any]:
    """A deep copy of the clean record; each keyword replaces that top-level key whole."""
    record = copy.deepcopy(VALID_RECORD)
    for key, value in overrides.items():
        record[key] = copy.deepcopy(value)
    return record


def uscc(n: int) -> str:
    """A distinct, valid 18-character unified social credit code for the n-th test company."""
    body = f"9137030{n:010d}"
    return body + uscc_check_char(body)


def org_target(name: str, id_number: str | None = None) -> dict[str, Any]:
    """A complete organization target (name, optional id number, contact and mobile phone)."""
    return {"name": name, "kind": "organization", "id_number": id_number,
            "contact": "王经理", "phone": "13905330000"}


def user(name: str):
    """The User with this username (call inside an app context)."""
    from webapp.extensions import db
    from webapp.models import User

    found = db.session.scalar(select(User).where(User.username == name))
    assert found is not None, f"no user {name!r}"
    return found
