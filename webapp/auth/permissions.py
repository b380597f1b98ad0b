"""Who may do what to which record: one table, used by every view and the API.

Frappe-style: each action names the roles allowed, the states it applies to, and whether the
actor must belong to the record's unit or must not be its creator.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from werkzeug.exceptions import Forbidden, NotFound

from webapp.models import GuidanceRecord

PUBLIC_STATUSES = frozenset({"filed", "closed", "voided"})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    statuses: frozenset[str] | None = None  # None: any state
    own_unit: bool = False  # staff act only on their unit's records
    not_creator: bool = False  # nobody approves what they created
    reason: str = ""


RECORD_ACTIONS: dict[str, Rule] = {
    "edit": Rule(frozenset({"staff"}), frozenset({"draft"}), own_unit=True,
                 reason="只有本单位经办人可以修改草稿"),
    "submit": Rule(frozenset({"staff"}), frozenset({"draft"}), own_unit=True,
                   reason="只有本单位经办人可以提交草稿"),
    "approve": Rule(frozenset({"reviewer", "admin"}), frozenset({"pending_review"}), not_creator=True,
                    reason="只有审核员可以审查待审查记录，且不得审查本人创建的记录"),
    "return": Rule(frozenset({"reviewer", "admin"}), frozenset({"pending_review"}), not_creator=True,
                   reason="只有审核员可以退回待审查记录，且不得审查本人创建的记录"),
    "close": Rule(frozenset({"staff"}), frozenset({"filed"}), own_unit=True,
                  reason="只有本单位经办人可以办结已备案记录"),
    "void": Rule(frozenset({"reviewer", "admin"}), frozenset({"filed", "closed"}),
                 reason="只有审核员或管理员可以作废已备案或已办结的记录"),
}

APP_ACTIONS: dict[str, frozenset[str]] = {
    "create_record": frozenset({"staff"}),
    "review_queue": frozenset({"reviewer", "admin"}),
    "manage_catalog": frozenset({"reviewer", "admin"}),
    "manage_users": frozenset({"admin"}),
    "view_register": frozenset({"staff", "reviewer", "admin", "viewer"}),
}


def can_view(user, record) -> bool:
    if record.status in PUBLIC_STATUSES:
        return True
    if user.role in ("reviewer", "admin"):
        return True
    return user.role == "staff" and record.owner_unit_id == user.unit_id


def visible_records(user):
    """can_view as a query, for lists (a test checks the two agree for every role)."""
    query = select(GuidanceRecord)
    if user.role in ("reviewer", "admin"):
        return query
    if user.role == "staff":
        return query.where(or_(GuidanceRecord.status.in_(PUBLIC_STATUSES),
                               GuidanceRecord.owner_unit_id == user.unit_id))
    return query.where(GuidanceRecord.status.in_(PUBLIC_STATUSES))


def denial(user, action: str, record) -> str | None:
    """None if allowed, else the reason in Chinese. Assumes the record is visible."""
    rule = RECORD_ACTIONS[action]
    if user.role not in rule.roles:
        return rule.reason
    if rule.own_unit and record.owner_unit_id != user.unit_id:
        return rule.reason
    if rule.not_creator and record.created_by_id == user.id:
        return "不能审查本人创建的记录：请由其他审核员审查"
    if rule.statuses is not None and record.status not in rule.statuses:
        return None  # a wrong state is a conflict (409), decided by the service, not a permission
    return None


def can(user, action: str, record=None) -> bool:
    if action in APP_ACTIONS:
        return user.is_authenticated and user.role in APP_ACTIONS[action]
    if record is None or not can_view(user, record):
        return False
    rule = RECORD_ACTIONS[action]
    in_state = rule.statuses is None or record.status in rule.statuses
    return in_state and denial(user, action, record) is None


def require_view(user, record):
    """404 for records the user may not see, so ids of other units' drafts reveal nothing."""
    if record is None or not can_view(user, record):
        raise NotFound("记录不存在或您无权查看")
    return record


def require(user, action: str, record=None):
    if action in APP_ACTIONS:
        if not can(user, action):
            raise Forbidden("您的角色无权执行此操作")
        return record
    require_view(user, record)
    reason = denial(user, action, record)
    if reason:
        raise Forbidden(reason)
    return record


def masks_personal_ids(user) -> bool:
    return user.role == "viewer"


def mask_id_number(value: str | None) -> str | None:
    """Viewers see 370306********123X: region and check part only."""
    if not value or len(value) < 10:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
