"""Background jobs: a table as the queue, `flask --app webapp worker` as the runner.

A worker claims the oldest queued job (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so several
workers never take the same one; SQLite: BEGIN IMMEDIATE admits one claimer at a time), runs
it outside any transaction and reports progress in short transactions of its own.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from webapp.db_setup import is_sqlite, write_transaction
from webapp.extensions import db
from webapp.models import Job, User
from webapp.models.types import utcnow
from webapp.services import DomainError, NotFound, queries
from webapp.services.policy import require

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
# kind → function(job params, progress, user or None) → result path (relative to FILES_FOLDER)
HANDLERS: dict[str, Callable[[dict, Progress, User | None], str]] = {}
DONE_MESSAGES: dict[str, str] = {"impact": "影响分析已完成"}  # kind → message when done (default: the archive's)


def handler(kind: str):
    def register(function):
        HANDLERS[kind] = function
        return function
    return register


def enqueue_job(user: User | None, kind: str, params: dict[str, Any]) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    with write_transaction():
        job = Job(kind=kind, params=params, status="queued", progress=0, message="排队等待后台程序处理",
                  created_by_id=user.id if user else None)
        db.session.add(job)
    return job


def job_for(user: User, job_id: int, action: str) -> Job:
    require(user, action)
    job = queries.job(job_id)
    if job is None:
        raise NotFound("任务不存在")
    return job


STALE_AFTER = timedelta(hours=2)  # a running job this old lost its worker (killed, machine restarted)


def claim_job() -> Job | None:
    """Take the oldest queued job and mark it running (one worker per job)."""
    with write_transaction():
        db.session.execute(update(Job).where(Job.status == "running", Job.started_at < utcnow() - STALE_AFTER)
                           .values(status="failed", finished_at=utcnow(), message="生成失败",
                                   error="后台程序在生成时中断（进程被终止或服务器重启），请重新生成。"))
        query = select(Job).where(Job.status == "queued").order_by(Job.id).limit(1)
        if not is_sqlite():
            query = query.with_for_update(skip_locked=True)
        job = db.session.scalar(query)
        if job is None:
            return None
        job.status, job.started_at, job.message = "running", utcnow(), "开始处理"
    return job


def report_progress(job_id: int, percent: int, message: str) -> None:
    """On a connection of its own: the job's own reads stay as they are."""
    with db.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id)
                     .values(progress=max(0, min(100, int(percent))), message=message[:200]))


def run_once() -> bool:
    """Claim and run one job; False when there was none."""
    job = claim_job()
    if job is None:
        return False
    job_id, kind, params, user_id = job.id, job.kind, dict(job.params or {}), job.created_by_id
    user = db.session.get(User, user_id) if user_id else None
    try:
        result = HANDLERS[kind](params, lambda percent, message: report_progress(job_id, percent, message), user)
    except Exception as exc:  # the job fails, the worker goes on with the next one
        db.session.rollback()
        message = exc.message if isinstance(exc, DomainError) else f"内部错误：{type(exc).__name__}"
        if not isinstance(exc, DomainError):
            log.exception("job %s (%s) failed", job_id, kind)
        _finish(job_id, "failed", error=message, message="生成失败")
        return True
    _finish(job_id, "done", result_path=result or None, message=DONE_MESSAGES.get(kind, "档案包已生成，可以下载"))
    return True


def _finish(job_id: int, status: str, **values) -> None:
    with write_transaction():
        job = db.session.get(Job, job_id, populate_existing=True)
        job.status, job.finished_at = status, utcnow()
        if status == "done":
            job.progress = 100
        for name, value in values.items():
            setattr(job, name, value)


def work(*, poll_seconds: float, stop: Callable[[], bool], once: bool = False) -> int:
    """The worker loop: run jobs until `stop()` (or the queue is empty, with once)."""
    done = 0
    while not stop():
        if run_once():
            done += 1
            continue
        db.session.remove()  # idle: hold no connection or snapshot while waiting
        if once:
            break
        time.sleep(poll_seconds)
    return done
