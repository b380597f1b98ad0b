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
from tests.rules.rules_testdata import BASE_RECORD

GUIDED_AT = "2026-11-20T10:00:00+08:00"

# The validator's base example (tests/rules), as an officer first files it: no result yet.
VALID_RECORD: dict[str, Any] = {**BASE_RECORD, "result": "pending", "effect": None}

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
