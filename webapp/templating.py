"""Template globals and filters: navigation by role, Chinese dates, labels."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask, g, url_for
from flask_login import current_user
from rules import RULESET, vocabulary
from rules.explain import edition_words
from rules.model import SHANGHAI

from webapp.models.user import ROLES
from webapp.services import queries
from webapp.services.policy import can

# (endpoint, label, permission or None for everyone logged in). Items whose endpoint is not
# registered are left out, so the menu never links to a page that does not exist.
NAVIGATION = (
    ("main.home", "首页", None),
    ("records.mine", "我的记录", "create_record"),
    ("records.new", "新建记录", "create_record"),
    ("review.queue", vocabulary.STATUS["pending_review"], "review_queue"),
    ("register.index", "台账", "view_register"),
    ("stats.index", "统计", "view_register"),
    ("archive.index", vocabulary.AUDIT_ACTIONS["archive"], "archive"),
    ("catalog.public", "指导目录", None),
    ("rules_page.index", "规则说明", None),
    ("impact.params", "规则参数", "manage_rule_params"),
    ("auth.account", "账户安全", None),
    ("auth.security", "登录安全", "manage_users"),
    ("auth.users", "用户管理", "manage_users"),
)


def cn_date(value: date | datetime | str | None) -> str:
    """GB/T 9704 style: 2026年11月27日, no zero padding."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # an ISO date kept in a JSON column (case.closed_on)
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | str | None) -> str:
    """A moment on screen: 2026-11-30 10:00 in Shanghai time (dates alone read 2026年11月30日)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return f"{value.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


HASH_IN_NOTE = re.compile(r"[（(]?\s*SHA-256\s+[0-9a-f]{64}\s*[）)]?")


def without_hash(note: str | None) -> str:
    """An audit note as officers read it: the file hash it carries is shown in 技术信息 only."""
    return HASH_IN_NOTE.sub("", note or "").strip()


def catalog_item_name(code: str | None) -> str:
    """A catalog code as officers read it, "ZD-TD-03 临时用地…" (names read once per request)."""
    if not code:
        return ""
    names = g.get("catalog_names")
    if names is None:
        names = g.catalog_names = queries.catalog_names()
    name = names.get(code)
    return f"{code} {name}" if name else code


MOMENT_FIELDS = frozenset({"guided_at", "applied_at"})
DATE_FIELDS = frozenset({"follow_up_due", "case.closed_on"})


def diff_value(value, field: str = "") -> str:
    """An audit value as a reader wants it: enum labels, lists joined, empty shown as —."""
    labels = vocabulary.FIELD_VOCABULARY.get(field) or (vocabulary.RECORD_STATES if field == "status" else None)
    if labels and isinstance(value, str):
        return labels.get(value, value)
    if field in MOMENT_FIELDS and value:
        return cn_datetime(value)
    if field in DATE_FIELDS and value:
        return cn_date(value)
    if field == "catalog_code" and value:
        return catalog_item_name(value)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(diff_value(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {diff_value(v)}" for k, v in value.items())
    return str(value)


def label_of(path: str) -> str:
    """The on-screen label of a field path: the validator's own (one vocabulary)."""
    return vocabulary.RECORD_LABELS.get(path) or vocabulary.field_label(path)


def ruleset_name(version: str | None) -> str:
    """A rule-set version as officers name it (edition and date); the hash stays in 技术信息 and the API."""
    if not version:
        return ""
    base, _, overlay = version.partition("+")
    if base != RULESET.version:
        return f"此前的规则版本（{base[:8]}）"
    return edition_words() + ("，含已公布的参数调整" if overlay else "")


def init_app(app: Flask) -> None:
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(cn_datetime, "cn_datetime")
    app.add_template_filter(diff_value, "diff_value")
    app.add_template_filter(catalog_item_name, "catalog_item_name")
    app.add_template_filter(without_hash, "without_hash")
    app.add_template_filter(ruleset_name, "ruleset_name")
    app.add_template_filter(label_of, "field_label")
    app.add_template_global(label_of, "field_label")
    app.add_template_global(vocabulary, "vocab")

    @app.context_processor
    def navigation():
        items = []
        if current_user.is_authenticated:
            for endpoint, label, permission in NAVIGATION:
                if endpoint in app.view_functions and (permission is None or can(current_user, permission)):
                    items.append({"endpoint": endpoint, "label": label, "url": url_for(endpoint)})
        return {"nav_items": items, "ROLES": ROLES, "STATUSES": vocabulary.STATUS,
                "BUREAU_NAME": app.config["BUREAU_NAME"]}
