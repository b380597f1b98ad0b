"""Who may do what, see which record and read which field: one table, used by every view,
the API, the PDFs and the exports.

Frappe-style: each action names the roles allowed, the states it applies to, and whether the
actor must belong to the record's unit or must not be its creator. Visibility and field masking
are data too. Refusals are domain errors (NotAllowed → 403, NotFound → 404), for HTML and JSON.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from webapp.extensions import db
from webapp.models import GuidanceRecord
from webapp.services import NotAllowed, NotFound

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database; larger ones cannot exist
PUBLIC_STATUSES = frozenset({"filed", "closed", "voided"})
# 放弃草稿: a draft that never had a number, out of every list and count; only admins open it (to restore).
DISCARDED = "discarded"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    statuses: frozenset[str] | None = None  # None: any state
    own_unit: bool = False  # staff act only on their unit's records
    not_creator: bool = False  # nobody approves what they created
    reason: str = ""
    creator_only: bool = False  # only the record's creator (撤回 their own submission)


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
    "mark_good_practice": Rule(frozenset({"reviewer", "admin"}), frozenset({"filed", "closed"}),
                               reason="只有审核员可以标记典型经验，且只能标记已备案或已办结的记录"),
    # 附件: added by the record's unit until it is voided (after filing as 补充材料), removed only from drafts.
    "attach": Rule(frozenset({"staff"}), frozenset({"draft", "pending_review", "filed", "closed"}), own_unit=True,
                   reason="只有本单位经办人可以添加附件"),
    "remove_attachment": Rule(frozenset({"staff"}), frozenset({"draft"}), own_unit=True,
                              reason="只有本单位经办人可以删除草稿的附件"),
    "withdraw": Rule(frozenset({"staff"}), frozenset({"pending_review"}), own_unit=True, creator_only=True,
                     reason="只有提交人本人可以在审查前撤回记录"),
    "discard": Rule(frozenset({"staff"}), frozenset({"draft"}), own_unit=True,
                    reason="只有本单位经办人可以放弃草稿"),
}

APP_ACTIONS: dict[str, frozenset[str]] = {
    "create_record": frozenset({"staff"}),
    "review_queue": frozenset({"reviewer", "admin"}),
    "manage_catalog": frozenset({"reviewer", "admin"}),
    "manage_users": frozenset({"admin"}),
    "view_register": frozenset({"staff", "reviewer", "admin", "viewer"}),
    "archive": frozenset({"reviewer", "admin"}),  # 归档: the year's archive package
    "restore_discarded": frozenset({"admin"}),  # 恢复已放弃的草稿
    "spot_check": frozenset({"reviewer", "admin"}),  # 抽查: the queue and its conclusions
    "manage_rule_params": frozenset({"admin"}),  # 规则参数草稿与公布
    "view_impact": frozenset({"reviewer", "admin"}),  # 变更影响分析
}

# Which records a role sees: every record, or the public ones plus (for staff) their unit's.
SEES_ALL = frozenset({"reviewer", "admin"})
SEES_OWN_UNIT = frozenset({"staff"})

# Field masking per role: role → {field path: how it is masked}. Masking applies wherever the
# field is shown: record page, audit trail, API, PDFs and exports.
MASKED_FIELDS: dict[str, dict[str, str]] = {
    "viewer": {"target.id_number": "person_id"},
}


def can_view(user, record) -> bool:
    if record.status == DISCARDED:
        return False  # admins see it on /admin/discarded only, so lists and this check agree
    if record.status in PUBLIC_STATUSES or user.role in SEES_ALL:
        return True
    return user.role in SEES_OWN_UNIT and record.owner_unit_id == user.unit_id


def visible_condition(user):
    """can_view as a WHERE clause for lists and counts; the API test checks they agree.
    Discarded drafts are in no list, an admin's included: they open only from /admin/discarded."""
    listed = GuidanceRecord.status != DISCARDED
    if user.role in SEES_ALL:
        return listed
    if user.role in SEES_OWN_UNIT:
        return and_(listed, or_(GuidanceRecord.status.in_(PUBLIC_STATUSES),
                                GuidanceRecord.owner_unit_id == user.unit_id))
    return GuidanceRecord.status.in_(PUBLIC_STATUSES)


def denial(user, action: str, record) -> str | None:
    """None if allowed, else the reason in Chinese. Assumes the record is visible."""
    rule = RECORD_ACTIONS[action]
    if user.role not in rule.roles:
        return rule.reason
    if rule.own_unit and record.owner_unit_id != user.unit_id:
        return rule.reason
    if rule.not_creator and record.created_by_id == user.id:
        return "不能审查本人创建的记录：请由其他审核员审查"
    if rule.creator_only and record.created_by_id != user.id:
        return rule.reason
    return None  # a wrong state is a conflict (409), decided by the service, not a permission


def can(user, action: str, record=None) -> bool:
    if action in APP_ACTIONS:
        return user.is_authenticated and user.role in APP_ACTIONS[action]
    if record is None or not can_view(user, record):
        return False
    rule = RECORD_ACTIONS[action]
    in_state = rule.statuses is None or record.status in rule.statuses
    return in_state and denial(user, action, record) is None


def require_view(user, record):
    """NotFound for records the user may not see, so ids of other units' drafts reveal nothing."""
    if record is None or not can_view(user, record):
        raise NotFound("记录不存在或您无权查看")
    return record


def require(user, action: str, record=None):
    if action in APP_ACTIONS:
        if not can(user, action):
            raise NotAllowed("您的角色无权执行此操作")
        return record
    require_view(user, record)
    reason = denial(user, action, record)
    if reason:
        raise NotAllowed(reason)
    return record


def visible_record(user, record_id: int, *, lock: bool = False) -> GuidanceRecord:
    """The one lookup of a record by id for a user: NotFound if absent or not visible."""
    record = None
    if isinstance(record_id, int) and 0 < record_id <= MAX_ID:
        if lock:
            # FOR UPDATE: on PostgreSQL a second session waits here and then sees the new state
            # (SQLite needs no row lock: BEGIN IMMEDIATE already admits one writer at a time).
            record = db.session.scalar(select(GuidanceRecord).where(GuidanceRecord.id == record_id)
                                       .with_for_update().execution_options(populate_existing=True))
        else:
            record = db.session.get(GuidanceRecord, record_id)
    return require_view(user, record)


# --- masking -----------------------------------------------------------------------------------


def mask_id_number(value: str | None) -> str | None:
    """Viewers see 370306********123X: region and check part only."""
    if not value or len(value) < 10:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def masked_fields(user) -> dict[str, str]:
    return MASKED_FIELDS.get(getattr(user, "role", None), {})


def mask_value(user, field: str, value: Any, *, person: bool) -> Any:
    """One value as `user` may read it; `person`: the target is or ever was a natural person."""
    how = masked_fields(user).get(field)
    if how == "person_id" and person and isinstance(value, str):
        return mask_id_number(value)
    return value


def ever_a_person(kind: str | None, audit_changes: Iterable[dict]) -> bool:
    """The audit keeps earlier values: a target that was once a person stays masked there."""
    if kind == "person":
        return True
    for changes in audit_changes:
        for key, change in (changes or {}).items():
            for value in (change.get("before"), change.get("after")):
                if key == "target.kind" and value == "person":
                    return True
                if key == "target" and isinstance(value, dict) and value.get("kind") == "person":
                    return True
    return False


def mask_record_data(user, data: dict, *, person: bool) -> dict:
    """A §3 record dict (copy) with the fields `user` may not read masked."""
    if not masked_fields(user):
        return data
    data = dict(data)
    target = data.get("target")
    if isinstance(target, dict):
        target = dict(target)
        target["id_number"] = mask_value(user, "target.id_number", target.get("id_number"), person=person)
        data["target"] = target
    return data


def mask_changes(user, changes: dict, *, person: bool) -> dict:
    """An audit event's {field: {before, after}} (copy) as `user` may read it."""
    if not masked_fields(user):
        return changes
    masked = {}
    for key, change in changes.items():
        change = dict(change)
        for side in ("before", "after"):
            value = change.get(side)
            if key == "target" and isinstance(value, dict):
                change[side] = mask_record_data(user, {"target": value}, person=person)["target"]
            else:
                change[side] = mask_value(user, key, value, person=person)
        masked[key] = change
    return masked
