"""变更影响分析: re-check the records of chosen years against a draft catalog and/or draft rule
params and say which would get another submit outcome. Changes nothing: filed records keep the
catalog and rule-set versions they were filed under. Flask-free (the CLI runs it in process).

    fingerprint(items, params) -> str
    compute(items, params, years, *, progress=None, workers=None) -> ImpactResult
    start(user, *, items, params, years, label) -> Job          (a background job: flask worker)
    looked_at(fp) -> Job | None
items None = the current catalog; params None = the current (published) rule params; a params
dict is a whole overlay {rule id: {param: value}} on rules/ruleset.toml.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import rules
from pydantic import ValidationError
from rules.overlay import apply_overlay, overlay_problems
from rules.vocabulary import PRINCIPLES
from sqlalchemy import select

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import ImpactRun, Job, Unit, User
from webapp.models.types import utcnow
from webapp.services import DomainError, NotFound, impact_engine as engine
from webapp.services import jobs
from webapp.services.policy import require
from webapp.services.rule_params import current_ruleset
from webapp.services.rules_bridge import rules_catalog

OUTCOMES = ("clean", "review", "blocked")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


@dataclass
class ImpactResult:
    """What would differ; JSON-ready through to_dict (stored on the impact run)."""

    years: tuple[int, int]
    checked: int  # records read and evaluated (a record the draft cannot affect is not read)
    changed: int  # records whose submit outcome would differ
    transitions: dict[str, int]  # "clean→review": n
    by_rule: dict[str, int]  # rule id: changed records whose findings gain or lose it
    by_principle: dict[str, int]
    by_unit: dict[str, int]
    filed_changed: int  # of `changed`, filed or closed: they keep their versions
    findings_only: int  # findings differ, outcome the same
    changes: list[dict[str, Any]] = field(default_factory=list)  # first CHANGES_KEPT by id
    changed_codes: list[str] = field(default_factory=list)
    changed_rules: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["years"] = list(self.years)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImpactResult:
        return cls(**{**data, "years": tuple(data["years"])})

    @property
    def records_per_second(self) -> float:
        return self.checked / self.seconds if self.seconds else 0.0


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(items: list[dict] | None, params: dict | None) -> str:
    """The draft's identity: the same draft always gives the same hex string."""
    return hashlib.sha256(_canonical({"items": items, "params": params}).encode("utf-8")).hexdigest()


def read_years(value: str | tuple[int, int]) -> tuple[int, int]:
    """"2025-2026", "2026" or a pair → (first, last), checked; DomainError (400) otherwise."""
    if isinstance(value, str):
        parts = value.strip().split("-")
        if not 1 <= len(parts) <= 2 or not all(p.strip().isdigit() for p in parts):
            raise DomainError("年份范围格式应为“2025-2026”或“2026”。")
        value = (int(parts[0]), int(parts[-1]))
    first, last = value
    if not (EARLIEST_YEAR <= first <= last <= LATEST_YEAR):
        raise DomainError(f"年份范围应在 {EARLIEST_YEAR}–{LATEST_YEAR} 之间，且起始年份不晚于结束年份。")
    return first, last


def draft_catalog(items: list[dict] | None) -> rules.Catalog:
    if items is None:
        return rules_catalog()
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DomainError("目录清单草稿应为事项列表。")
    try:
        return rules.Catalog(items)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise DomainError(f"目录清单草稿有误：{'.'.join(map(str, error['loc']))} {error['msg']}") from None


def draft_rules(params: dict | None) -> rules.RuleSet:
    if params is None:
        return current_ruleset()
    problems = overlay_problems(rules.RULESET, params)
    if problems:
        raise DomainError("规则参数草稿有误：" + "；".join(f"{k} {v}" for k, v in problems.items()))
    return apply_overlay(rules.RULESET, params)


def compute(items: list[dict] | None, params: dict | None, years: tuple[int, int], *,
            progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> ImpactResult:
    """Check every non-voided record guided in `years` (Asia/Shanghai) under the current and the
    draft catalog/params: each at the moment it was submitted (a draft: now). Reads committed data."""
    started = time.perf_counter()
    years = read_years(years)
    current_rules, new_rules = current_ruleset(), draft_rules(params)
    workers = engine.default_workers(workers)
    plan = engine.make_plan(engine.database_url(db.engine), rules_catalog(), draft_catalog(items),
                            current_rules, new_rules, years)
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    db.session.commit()  # no read transaction held while the pool reads
    with db.engine.connect() as conn:
        tally = engine.run(conn, plan, max(current_rules.history_days, new_rules.history_days),
                           workers=workers, progress=progress)
    principle_of = {r.id: r.principle for r in new_rules.rules}
    by_principle: dict[str, int] = {}
    for rule_id, n in tally.by_rule.items():
        key = PRINCIPLES.get(principle_of.get(rule_id, ""), principle_of.get(rule_id, ""))
        by_principle[key] = by_principle.get(key, 0) + n
    changed_rules = sorted(plan.params_delta.ids if plan.params_delta else ())
    return ImpactResult(
        years=years, checked=tally.checked, changed=tally.changed,
        transitions=dict(sorted(tally.transitions.items(), key=lambda kv: -kv[1])),
        by_rule=dict(tally.by_rule.most_common()), by_principle=by_principle,
        by_unit={units.get(u, str(u)): n for u, n in tally.by_unit.most_common()},
        filed_changed=tally.filed, findings_only=tally.findings_only,
        changes=engine.as_dict_rows(tally, units), changed_codes=sorted(plan.changed_codes),
        changed_rules=changed_rules, seconds=round(time.perf_counter() - started, 3), workers=workers)


# --- the background job -----------------------------------------------------------------------------


def start(user: User, *, items: list[dict] | None, params: dict | None, years: tuple[int, int],
          label: str) -> Job:
    """Queue an impact run (checked now, so bad input is a 4xx and never a failed job)."""
    require(user, "view_impact")
    years = read_years(years)
    draft_catalog(items) if items is not None else None
    draft_rules(params) if params is not None else None
    with write_transaction():  # job and run in one transaction: a worker never sees one without the other
        job = jobs.enqueue_job(user, "impact", {"years": list(years), "label": label[:200]})
        db.session.flush()
        job.params = {**job.params, "job_id": job.id}
        db.session.add(ImpactRun(job_id=job.id, fingerprint=fingerprint(items, params), label=label[:200],
                                 year_from=years[0], year_to=years[1], items=items, params=params))
    return job


@jobs.handler("impact")
def _run_job(params: dict, progress: jobs.Progress, user: User | None) -> str:
    job_id = params["job_id"]
    run = db.session.get(ImpactRun, job_id)
    if run is None:
        raise DomainError("影响分析任务的草稿已不存在。")
    items, overlay, years = run.items, run.params, (run.year_from, run.year_to)
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:  # a progress write at most twice a second
            last[0] = now
            progress(int(done * 100 / total) if total else 100, f"已检查 {done:,} / {total:,} 条记录")

    result = compute(items, overlay, years, progress=report)
    with write_transaction():
        db.session.get(ImpactRun, job_id, populate_existing=True).result = result.to_dict()
    return ""


def run_for(user: User, job_id: int) -> tuple[Job, ImpactRun]:
    """The job and its run for the report page; opening a finished report counts as looking at it."""
    job = jobs.job_for(user, job_id, "view_impact")
    run = db.session.get(ImpactRun, job_id)
    if job.kind != "impact" or run is None:
        raise NotFound("影响分析任务不存在")
    if job.status == "done" and run.result is not None and run.looked_at is None:
        with write_transaction():
            run = db.session.get(ImpactRun, job_id, populate_existing=True)
            run.looked_at, run.looked_at_by_id = utcnow(), user.id
    return job, run


def looked_at(fp: str) -> Job | None:
    """The newest finished impact job for this draft that a reviewer or admin has opened."""
    return db.session.scalar(
        select(Job).join(ImpactRun, ImpactRun.job_id == Job.id)
        .where(ImpactRun.fingerprint == fp, ImpactRun.looked_at.is_not(None), Job.status == "done")
        .order_by(Job.id.desc()).limit(1))


def latest_run(fp: str) -> ImpactRun | None:
    return db.session.scalar(select(ImpactRun).where(ImpactRun.fingerprint == fp)
                             .order_by(ImpactRun.job_id.desc()).limit(1))


def summary_lines(result: ImpactResult) -> list[str]:
    """The summary the CLI prints and the report page heads with (plain Chinese)."""
    from rules.vocabulary import OUTCOME

    def name(key: str) -> str:
        return "→".join(OUTCOME.get(part, part) for part in key.split("→"))

    lines = [f"检查范围：{result.years[0]}–{result.years[1]} 年指导的记录（不含已作废），共检查 {result.checked:,} 条",
             f"结果将改变的记录：{result.changed:,} 条（其中已备案或已办结 {result.filed_changed:,} 条，"
             "保持原版本不变）"]
    lines += [f"  {name(k)}：{n:,}" for k, n in result.transitions.items()]
    if result.by_principle:
        lines.append("按原则：" + "，".join(f"{k} {n:,}" for k, n in result.by_principle.items()))
    if result.by_rule:
        lines.append("按规则：" + "，".join(f"{k} {n:,}" for k, n in result.by_rule.items()))
    if result.by_unit:
        lines.append("按单位：" + "，".join(f"{k} {n:,}" for k, n in result.by_unit.items()))
    lines.append(f"用时 {result.seconds:.1f} 秒，{result.workers} 个进程")
    return lines
