"""The one table of input limits (SPEC §4 Details, README "输入限制"): every text field, every list,
the whole record and its nesting. The rule input.length reports them; a record over any limit is
never stored (rules.read_record puts those findings among the structural ones).
"""
from __future__ import annotations

import json
import re
from typing import Any

# Characters per text field: the paper forms' boxes and the database columns (catalog_code is String(30)).
TEXT_LIMITS: dict[str, int] = {
    "catalog_code": 30,
    "unit": 100,
    "place": 200,
    "target.name": 200,
    "target.id_number": 30,
    "target.contact": 200,
    "target.phone": 30,
    "subject": 200,
    "content": 5000,
    "problem": 5000,
    "opinion": 5000,
    "contact_person": 200,
    "contact_phone": 30,
    "case.decision_number": 100,
    "project.name": 200,
    "effect": 5000,
    "legal_basis.law": 100,
    "legal_basis.articles": 20,   # each article (第一百二十三条之一 fits)
    "officers": 50,               # each name
}
# Items per list.
LIST_LIMITS: dict[str, int] = {"officers": 10, "legal_basis": 10, "legal_basis.articles": 10}
# Paragraphs (non-blank lines) of the long texts: each is a paragraph of the 文书 and 意见书, and a
# document of thousands of one-character paragraphs takes minutes to lay out.
LINE_LIMITS: dict[str, int] = {"content": 60, "problem": 60, "opinion": 60, "effect": 60}
# The whole record as compact JSON (UTF-8, no escapes), in characters; every field at its limit stays below.


def paragraph_count(text: str) -> int:
    """Non-blank lines: what the documents print as paragraphs (webapp.pdf.formatting.paragraphs)."""
    return sum(1 for line in text.splitlines() if line.strip())


RECORD_MAX_CHARS = 64 * 1024
# Objects and lists inside one another: a §3 record needs 3 (record → legal_basis → item → articles).
MAX_DEPTH = 8
# A request body of the JSON API, in bytes: room for a largest record written with \\u escapes.
API_BODY_MAX_BYTES = 256 * 1024

# NUL and lone UTF-16 surrogates: no database column, PDF or log line can hold them.
FORBIDDEN_CHARS = re.compile("[\x00\ud800-\udfff]")
FORBIDDEN_MESSAGE = "含有不允许的字符（NUL 空字符或不成对的代理字符 \\ud800–\\udfff），请删除后重新提交。"


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if lists/dicts nest deeper than `limit`; iterative, so any depth is safe to ask about."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def forbidden_text(value: Any) -> bool:
    """True if any string (key or value) anywhere in a JSON-like value has NUL or a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if FORBIDDEN_CHARS.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def record_chars(raw: Any) -> int:
    """The size that RECORD_MAX_CHARS bounds: compact JSON without escapes (dates etc. as text)."""
    return len(json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str))
