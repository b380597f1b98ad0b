"""规则参数 (rule params) as an admin-edited overlay on rules/ruleset.toml: a draft, published versions.

The engine never reads the database: `current_ruleset()` builds the RuleSet with the newest
published overlay and callers pass it in (rules.evaluate(..., ruleset=...)).
"""
from __future__ import annotations

from datetime import date
from threading import Lock
from typing import Any

import rules
from rules.overlay import apply_overlay, overlay_problems
from rules.vocabulary import PARAM_LABELS
from sqlalchemy import func, select

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import RulesetDraft, RulesetVersion, User
from webapp.models.types import utcnow
from webapp.services import Conflict, DomainError
from webapp.services.audit import diff, record_event
from webapp.services.policy import require

_cache: dict[tuple, rules.RuleSet] = {}
_lock = Lock()


class InvalidParams(DomainError):
    """The overlay does not fit the rules' params: 422 with every problem by "rule.param"."""

    status = 422

    def __init__(self, problems: dict[str, str]):
        super().__init__("规则参数有误，未保存：" + "；".join(f"{k} {v}" for k, v in list(problems.items())[:3]))
        self.problems = problems


def latest_version() -> RulesetVersion | None:
    return db.session.scalar(select(RulesetVersion).order_by(RulesetVersion.number.desc()).limit(1))


def versions() -> list[RulesetVersion]:
    return list(db.session.scalars(select(RulesetVersion).order_by(RulesetVersion.number.desc())))


def published_overlay() -> dict[str, dict[str, Any]]:
    version = latest_version()
    return dict(version.params) if version is not None else {}


def current_ruleset() -> rules.RuleSet:
    """The bundled rules with the newest published params (cached per version and database)."""
    number = db.session.scalar(select(func.max(RulesetVersion.number)))
    key = (str(db.engine.url), number)
    cached = _cache.get(key)
    if cached is None:
        cached = apply_overlay(rules.RULESET, published_overlay() if number is not None else {})
        with _lock:
            _cache.clear()
            _cache[key] = cached
    return cached


def draft() -> RulesetDraft:
    """The draft overlay (starts as the published one; not stored until first saved)."""
    found = db.session.get(RulesetDraft, 1)
    return found if found is not None else RulesetDraft(id=1, params=published_overlay(), version=0)


def editable_params() -> list[tuple[rules.Rule, list[str]]]:
    """(rule, names of the params an admin may change) for every rule that has any."""
    found = [(rule, [name for name in rule.params if name in PARAM_LABELS]) for rule in rules.RULESET.rules]
    return [(rule, names) for rule, names in found if names]


def read_overlay(form: dict[str, str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Form fields named "rule_id.param" → overlay (only values differing from the bundled ones), problems.

    Lists are one entry per line; numbers are whole numbers."""
    overlay: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for rule, names in editable_params():
        for name in names:
            base, key = rule.params[name], f"{rule.id}.{name}"
            if key not in form:
                continue
            text = form[key].strip()
            if isinstance(base, list):
                value: Any = [line.strip() for line in text.splitlines() if line.strip()]
            elif isinstance(base, int) and not isinstance(base, bool):
                try:
                    value = int(text)
                except ValueError:
                    problems[key] = "请填写整数"
                    continue
            else:
                value = text
            if value != base:
                overlay.setdefault(rule.id, {})[name] = value
    return overlay, {**overlay_problems(rules.RULESET, overlay), **problems}


def save_draft(user: User, overlay: dict[str, dict[str, Any]], *, expected_version: int) -> RulesetDraft:
    require(user, "manage_rule_params")
    problems = overlay_problems(rules.RULESET, overlay)
    if problems:
        raise InvalidParams(problems)
    with write_transaction():
        current = db.session.get(RulesetDraft, 1, with_for_update=True, populate_existing=True)
        if current is None:
            current = RulesetDraft(id=1, params=published_overlay(), version=0)
            db.session.add(current)
        if current.version != expected_version:
            who = current.updated_by.display_name if current.updated_by else "他人"
            raise Conflict(f"参数草稿已被 {who} 修改（当前版本 {current.version}），您的修改未保存。请查看最新内容后重新修改。")
        before = current.params or {}
        current.params, current.version = overlay, current.version + 1
        current.updated_by_id, current.updated_at = user.id, utcnow()
        record_event(entity="ruleset_draft", entity_id=1, action="update", user_id=user.id,
                     changes=diff(_flat(before), _flat(overlay)))
    return current


def publish(user: User, *, published_on: date) -> RulesetVersion:
    """The draft becomes the next version; refused until its impact report has been looked at."""
    from webapp.services import impact

    require(user, "manage_rule_params")
    overlay = draft().params or {}
    run = impact.looked_at(impact.fingerprint(None, overlay))
    if run is None:
        raise Conflict("请先运行本草稿的影响分析并查看报告，再公布新版本。")
    with write_transaction():
        number = (db.session.scalar(select(func.max(RulesetVersion.number))) or 0) + 1
        version = RulesetVersion(number=number, published_on=published_on, params=overlay,
                                 ruleset=apply_overlay(rules.RULESET, overlay).version,
                                 published_by_id=user.id, published_at=utcnow(), impact_job_id=run.id)
        db.session.add(version)
        db.session.flush()
        record_event(entity="ruleset_version", entity_id=version.id, action="publish", user_id=user.id,
                     changes=diff({}, {"number": number, "published_on": published_on.isoformat(),
                                              "impact_job_id": run.id, **_flat(overlay)}))
    return version


def _flat(overlay: dict) -> dict[str, Any]:
    return {f"{rule_id}.{name}": value for rule_id, params in overlay.items() for name, value in params.items()}
