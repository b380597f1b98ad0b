"""Template globals and filters: navigation by role, Chinese dates, labels."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, url_for
from flask_login import current_user
from rules import vocabulary
from rules.model import SHANGHAI

from webapp.models.user import ROLES
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
)


def cn_date(value: date | datetime | None) -> str:
    """GB/T 9704 style: 2026年11月27日, no zero padding."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(SHANGHAI)
    return f"{cn_date(local)} {local:%H:%M}"


def diff_value(value, field: str = "") -> str:
    """An audit value as a reader wants it: enum labels, lists joined, empty shown as —."""
    labels = vocabulary.FIELD_VOCABULARY.get(field) or (vocabulary.STATUS if field == "status" else None)
    if labels and isinstance(value, str):
        return labels.get(value, value)
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


def init_app(app: Flask) -> None:
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(cn_datetime, "cn_datetime")
    app.add_template_filter(diff_value, "diff_value")
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
