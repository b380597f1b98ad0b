"""One 目录清单 item in catalog.json's shape: checking what an editor or a sheet gives, and the
field-by-field difference between two catalogs. No database here."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules import vocabulary as vocab

L = vocab.CATALOG_FIELDS
FIELDS = tuple(L)  # the item's keys in catalog.json order (code … provenance)
TEXT_LIMITS = {"code": 30, "name": 200, "field": 50, "responsible_unit": 100, "target_scope": 2000,
               "notes": 2000, "source": 2000, "provenance": 20}
REQUIRED_TEXT = ("code", "name", "field", "responsible_unit")
OPTIONAL_TEXT = ("target_scope", "notes", "source", "provenance")
CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_NUM = "零〇一二三四五六七八九十百千"
ARTICLE = re.compile(rf"^第[{_NUM}]+条(之[{_NUM}]+)?(第[{_NUM}]+款)?(第[{_NUM}]+项)?$")
ARTICLE_EXAMPLE = "第三十条、第十二条第二款"


class ItemProblems(Exception):
    """Not an item: {field: message}, each message a full sentence."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _text(raw: Mapping, key: str, errors: dict[str, str]) -> str:
    value = raw.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if value is None:
        errors[key] = f"{L[key]}应为文字"
        return ""
    value = value.strip()
    if len(value) > TEXT_LIMITS[key]:
        errors[key] = f"{L[key]}不能超过 {TEXT_LIMITS[key]} 个字"
    return value


def _labels(raw: Any, key: str, vocabulary: dict[str, str], errors: dict[str, str]) -> list[str]:
    values = raw if isinstance(raw, list) else []
    if not isinstance(raw, list | type(None)):
        errors[key] = f"{L[key]}应为列表"
        return []
    labels, unknown = [], []
    for value in values:
        found = vocab.key_for_label(vocabulary, value.strip()) if isinstance(value, str) else None
        if found is None:
            unknown.append(str(value))
        elif vocabulary[found] not in labels:
            labels.append(vocabulary[found])
    if unknown:
        errors[key] = (f"{L[key]}“{'、'.join(unknown)}”不在可选范围内，应为"
                       f"{'、'.join(vocabulary.values())}之一")
    elif not labels:
        errors[key] = f"请至少选择一项{L[key]}"
    return labels  # the order given: the catalog lists the main method first


def _legal_basis(raw: Any, errors: dict[str, str]) -> list[dict]:
    if not isinstance(raw, list | type(None)):
        errors["legal_basis"] = f"{L['legal_basis']}应为列表"
        return []
    bases, problems = [], []
    for n, entry in enumerate(raw or [], start=1):
        entry = entry if isinstance(entry, Mapping) else {}
        law = entry.get("law").strip() if isinstance(entry.get("law"), str) else ""
        articles = entry.get("articles")
        articles = [a.strip() for a in articles if isinstance(a, str) and a.strip()] \
            if isinstance(articles, list) else []
        if not law and not articles:
            continue
        if not law:
            problems.append(f"第{n}项缺少法律名称")
            continue
        law = law.removeprefix("《").removesuffix("》")
        if not articles:
            problems.append(f"《{law}》缺少条款")
        bad = [a for a in articles if not ARTICLE.match(a)]
        if bad:
            problems.append(f"《{law}》的条款“{'、'.join(bad)}”格式有误，应写作如“{ARTICLE_EXAMPLE}”")
        bases.append({"law": law, "articles": articles})
    if problems:
        errors["legal_basis"] = f"{L['legal_basis']}：" + "；".join(problems)
    elif not bases:
        errors["legal_basis"] = f"请填写{L['legal_basis']}：至少一部法律及其条款"
    return bases


def _flag(raw: Mapping, key: str, errors: dict[str, str]) -> bool:
    value = raw.get(key, True)
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    errors[key] = f"{L[key]}应为“是”或“否”"
    return True


def check_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The item in catalog.json's shape (labels in vocabulary order), or ItemProblems."""
    errors: dict[str, str] = {}
    item: dict[str, Any] = {}
    for key in REQUIRED_TEXT:
        item[key] = _text(raw, key, errors)
        if not item[key] and key not in errors:
            errors[key] = f"请填写{L[key]}"
    item["code"] = item["code"].upper()
    if item["code"] and "code" not in errors and not CODE.match(item["code"]):
        errors["code"] = f"{L['code']}应由大写字母、数字和连字符组成，如 ZD-TD-01"
    item["methods"] = _labels(raw.get("methods"), "methods", vocab.METHOD, errors)
    item["stages"] = _labels(raw.get("stages"), "stages", vocab.STAGE, errors)
    item["legal_basis"] = _legal_basis(raw.get("legal_basis"), errors)
    item["target_scope"] = _text(raw, "target_scope", errors)
    for key in ("published", "active"):
        item[key] = _flag(raw, key, errors)
    for key in ("notes", "source", "provenance"):
        value = _text(raw, key, errors)
        if value:
            item[key] = value
    if errors:
        raise ItemProblems({key: errors[key] for key in FIELDS if key in errors})
    return item


def item_changes(before: Mapping | None, after: Mapping | None) -> dict[str, dict[str, Any]]:
    """{field: {"before", "after"}} for every field that differs (absent optional text is "")."""
    before, after = before or {}, after or {}
    changes = {}
    for key in FIELDS:
        old, new = before.get(key), after.get(key)
        if key in OPTIONAL_TEXT:
            old, new = old or "", new or ""
        if old != new:
            changes[key] = {"before": old, "after": new}
    return changes


@dataclass
class CatalogDiff:
    """What `new` changes in `old`: codes added, fields changed per code, codes retired."""

    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.retired)

    def marker(self, code: str) -> str | None:
        """The draft list's marker key (vocabulary.CATALOG_CHANGES) for one code."""
        if code in self.added:
            return "added"
        if code in self.retired:
            return "retired"
        return "changed" if code in self.changed else None

    def audit_changes(self, old: Iterable[Mapping], new: Iterable[Mapping]) -> dict[str, dict[str, Any]]:
        """The audit event's {"CODE.field": {before, after}}; an added item is one entry."""
        old_by, new_by = {i["code"]: i for i in old}, {i["code"]: i for i in new}
        result = {code: {"before": None, "after": new_by[code]} for code in self.added}
        for code, fields in self.changed.items():
            for key, change in fields.items():
                result[f"{code}.{key}"] = change
        for code in self.retired:
            if code not in new_by:
                result[f"{code}.active"] = {"before": old_by[code].get("active", True), "after": False}
        return result

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "retired": self.retired}


def diff(old: Iterable[Mapping], new: Iterable[Mapping]) -> CatalogDiff:
    """Field-by-field; an item missing from `new` counts as retired (items are never deleted)."""
    old_by = {i["code"]: i for i in old}
    new_by = {i["code"]: i for i in new}
    result = CatalogDiff()
    for code, item in new_by.items():
        previous = old_by.get(code)
        if previous is None:
            result.added.append(code)
            continue
        changes = item_changes(previous, item)
        if changes:
            result.changed[code] = changes
        if previous.get("active", True) and not item.get("active", True):
            result.retired.append(code)
    result.retired += [code for code, item in old_by.items() if code not in new_by and item.get("active", True)]
    return result


def retired_in_full(old: Iterable[Mapping], new: list[dict]) -> list[dict]:
    """`new` plus every item of `old` it leaves out, kept as retired (never deleted)."""
    codes = {i["code"] for i in new}
    return new + [dict(i, active=False) for i in old if i["code"] not in codes]
