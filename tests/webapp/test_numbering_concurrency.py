"""Gapless document numbers under concurrency (SPEC §5, NOTES "Databases").

Separate OS processes (multiprocessing "spawn"), each with its own app and engine, file records
against the same database at once: SQLite serialises them with BEGIN IMMEDIATE, PostgreSQL with
SELECT … FOR UPDATE on the year's counter row. Runs on whichever database the suite uses.
"""
from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
import traceback
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

import rules.engine
from tests.conftest import fixed_rules_clock, make_app
from tests.webapp.records_data import org_target, user, valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord, NumberCounter, ReviewDecision
from webapp.models.record import SHANGHAI
from webapp.services import Conflict
from webapp.services import records as svc
from webapp.services.records import StaleVersion

PROCESSES = 4
FILINGS_PER_PROCESS = 10
JOIN_TIMEOUT_S = 60


def this_year() -> int:
    return datetime.now(SHANGHAI).year


# ---------------------------------------------------------------- worker processes (top level: spawn pickles them by name)


def _file_many(database_url: str, instance_path: str, worker: int, count: int, barrier, results) -> None:
    """Create and submit `count` clean records (distinct targets, so no history warnings)."""
    try:
        rules.engine.clock = fixed_rules_clock  # a fresh process: pin the day as the fixture does
        app = make_app(database_url, Path(instance_path))
        with app.app_context():
            staff = user("staff")
            barrier.wait(timeout=JOIN_TIMEOUT_S)
            outcomes = []
            for i in range(count):
                target = org_target(f"淄博并发测试{worker}号{i}号有限公司")
                record = svc.create_draft(staff, valid_record(target=target))
                result = svc.submit_record(staff, record.id, record.version)
                outcomes.append((record.id, result.record.status, result.record.number_seq))
            db.session.remove()
            db.engine.dispose()
        results.put((worker, outcomes, None))
    except BaseException:  # report to the parent instead of dying silently
        results.put((worker, None, traceback.format_exc()))


def _act_once(database_url: str, instance_path: str, worker: int, action: str, record_id: int,
              barrier, results) -> None:
    """One session's submit / approve / edit of a record, slowed inside the transaction (after
    the record is loaded, before it is written) so that two workers' transactions overlap for sure."""
    try:
        rules.engine.clock = fixed_rules_clock  # a fresh process: pin the day as the fixture does
        app = make_app(database_url, Path(instance_path))
        slowed = "diff" if action == "update" else "evaluate_stored"
        real = getattr(svc, slowed)

        def slow(*args, **kwargs):
            value = real(*args, **kwargs)
            time.sleep(0.5)
            return value

        setattr(svc, slowed, slow)
        with app.app_context():
            actor = user(("reviewer", "reviewer2")[worker] if action == "approve" else "staff")
            barrier.wait(timeout=JOIN_TIMEOUT_S)
            try:
                if action == "submit":
                    outcome = ("filed", svc.submit_record(actor, record_id).record.number_seq)
                elif action == "approve":
                    outcome = ("filed", svc.approve_record(actor, record_id).record.number_seq)
                else:
                    subject = f"第{worker}人修改的主题"
                    svc.update_draft(actor, record_id, {"subject": subject}, 1)
                    outcome = ("saved", subject)
            except StaleVersion as exc:
                outcome = ("stale", exc.message)
            except Conflict as exc:
                outcome = ("conflict", exc.message)
            db.session.remove()
            db.engine.dispose()
        results.put((worker, outcome, None))
    except BaseException:
        results.put((worker, None, traceback.format_exc()))


def _run(target, tmp_path: Path, database_url: str, worker_args: list[tuple]) -> list:
    """One spawned process per entry of worker_args, all released together by a barrier:
    target(database_url, instance_path, worker, *args, barrier, results). Returns the sorted
    (worker, outcome, None) results; fails the test with the workers' tracebacks on errors."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(worker_args))
    results = ctx.Queue()
    processes = []
    for worker, args in enumerate(worker_args):
        instance = str(tmp_path / f"instance-{worker}")
        processes.append(ctx.Process(target=target, daemon=True,
                                     args=(database_url, instance, worker, *args, barrier, results)))
    for process in processes:
        process.start()
    collected = []
    try:
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        for _ in processes:
            collected.append(results.get(timeout=max(1.0, deadline - time.monotonic())))
    except queue_module.Empty:
        pytest.fail(f"workers did not finish within {JOIN_TIMEOUT_S} s")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
    errors = [error for _, _, error in collected if error]
    assert not errors, "\n".join(errors)
    return sorted(collected)


# ---------------------------------------------------------------- tests


@pytest.mark.slow
def test_concurrent_filings_get_gapless_unique_numbers(app, database_url, tmp_path):
    collected = _run(_file_many, tmp_path, database_url, [(FILINGS_PER_PROCESS,)] * PROCESSES)
    total = PROCESSES * FILINGS_PER_PROCESS

    outcomes = [outcome for _, per_worker, _ in collected for outcome in per_worker]
    assert len(outcomes) == total
    assert {status for _, status, _ in outcomes} == {"filed"}
    assert sorted(seq for _, _, seq in outcomes) == list(range(1, total + 1))

    year = this_year()
    with app.app_context():
        rows = db.session.execute(
            select(GuidanceRecord.number_seq, GuidanceRecord.number, GuidanceRecord.number_year,
                   GuidanceRecord.status)).all()
        assert len(rows) == total
        assert sorted(row.number_seq for row in rows) == list(range(1, total + 1))
        assert {row.number_year for row in rows} == {year}
        assert {row.status for row in rows} == {"filed"}
        assert sorted(row.number for row in rows) == sorted(f"指导书〔{year}〕{n}号" for n in range(1, total + 1))
        assert db.session.get(NumberCounter, year).last_seq == total
        file_events = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "file"))
        assert file_events == total
    # writers in separate processes append to one audit chain, each record sealed as it stands
    # (the files are in each worker's own instance folder: verify's file check does not apply here)
    from webapp.services.verify import Report
    from webapp.services.verify_trail import verify_chain, verify_numbers, verify_records

    with app.app_context():
        report = Report()
        walk = verify_chain(report)
        verify_records(walk, report)
        verify_numbers(walk, report)
        assert report.problems == [] and walk.head[1] == report.checked["events"] > 3 * total


def test_double_submit_files_once(app):
    with app.app_context():
        staff = user("staff")
        record = svc.create_draft(staff, valid_record())
        first = svc.submit_record(staff, record.id)
        assert first.record.number_seq == 1

        with pytest.raises(Conflict):
            svc.submit_record(staff, record.id)

        db.session.rollback()
        assert db.session.get(NumberCounter, this_year()).last_seq == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "file")) == 1
        saved = db.session.get(GuidanceRecord, record.id)
        assert (saved.status, saved.number_seq) == ("filed", 1)


@pytest.mark.slow
def test_concurrent_double_submit_files_once(app, database_url, tmp_path):
    """Two sessions submit the same draft at the same moment: one files, the other gets a conflict."""
    with app.app_context():
        record_id = svc.create_draft(user("staff"), valid_record()).id

    collected = _run(_act_once, tmp_path, database_url, [("submit", record_id)] * 2)

    outcomes = sorted(outcome for _, outcome, _ in collected)
    assert [kind for kind, _ in outcomes] == ["conflict", "filed"], outcomes
    _assert_filed_once(app, record_id)


@pytest.mark.slow
def test_concurrent_double_approval_files_once(app, database_url, tmp_path):
    """Two reviewers approve the same pending record at the same moment: it is filed once."""
    with app.app_context():
        draft = svc.create_draft(user("staff"), valid_record(content="当事人必须完成复垦。"))
        assert svc.submit_record(user("staff"), draft.id).record.status == "pending_review"
        record_id = draft.id

    collected = _run(_act_once, tmp_path, database_url, [("approve", record_id)] * 2)

    outcomes = sorted(outcome for _, outcome, _ in collected)
    assert [kind for kind, _ in outcomes] == ["conflict", "filed"], outcomes
    _assert_filed_once(app, record_id)
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewDecision.id))) == 1


@pytest.mark.slow
def test_concurrent_edits_of_the_same_version_are_never_silently_overwritten(app, database_url, tmp_path):
    with app.app_context():
        record_id = svc.create_draft(user("staff"), valid_record()).id

    collected = _run(_act_once, tmp_path, database_url, [("update", record_id)] * 2)

    outcomes = sorted(outcome for _, outcome, _ in collected)
    assert [kind for kind, _ in outcomes] == ["saved", "stale"], outcomes
    with app.app_context():
        saved = db.session.get(GuidanceRecord, record_id)
        assert (saved.subject, saved.version) == (outcomes[0][1], 2)
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "update")) == 1


def _assert_filed_once(app, record_id: int) -> None:
    with app.app_context():
        year = this_year()
        assert db.session.get(NumberCounter, year).last_seq == 1
        saved = db.session.get(GuidanceRecord, record_id)
        assert (saved.status, saved.number) == ("filed", f"指导书〔{year}〕1号")
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "file")) == 1
