"""Filing is one fact (issue 15): number, status, audit events and issued documents commit together.

A lock held past the timeout answers 503 (Retry-After, "nothing changed") and nothing changed; a
failure injected at any step of a filing leaves no trace of it, and `verify --repair` completes a
filing whose documents are missing (one filed by the earlier two-step code).
"""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select, text

from tests.conftest import make_app, seed_fixture_data
from tests.webapp.records_data import user, valid_record
from tests.webapp.test_api_scenario import cli_token
from tests.webapp.test_api_support import Api
from webapp.extensions import db
from webapp.models import AuditEvent, DocumentVersion, GuidanceRecord, NumberCounter
from webapp.services import Busy
from webapp.services import records as svc


def draft_id(app) -> int:
    with app.app_context():
        return svc.create_draft(user("staff"), valid_record()).id


def state(app, record_id: int) -> tuple:
    """What a filing changes: the record's status and number, the counters, events and versions."""
    with app.app_context():
        db.session.expire_all()
        record = db.session.get(GuidanceRecord, record_id)
        return (record.status, record.number, record.version, record.document_sha256,
                db.session.scalar(select(func.coalesce(func.sum(NumberCounter.last_seq), 0))),
                db.session.scalar(select(func.count(AuditEvent.id))),
                db.session.scalar(select(func.count(DocumentVersion.id))))


@pytest.fixture
def quick_lock_app(_schema, tmp_path):
    """The suite's app with a short busy / lock timeout, so a held lock runs out quickly."""
    app = make_app(_schema, tmp_path / "instance", SQLITE_BUSY_TIMEOUT_MS=300, PG_LOCK_TIMEOUT_MS=300)
    from tests.conftest import _empty_tables

    with app.app_context():
        _empty_tables()
        seed_fixture_data()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def hold_lock(app, record_id: int):
    """Another process's writer holding what a filing needs: SQLite's write lock (BEGIN IMMEDIATE),
    PostgreSQL's row lock on the record. Returns the function that lets go."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        holder = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        holder.execute("SELECT id FROM guidance_record WHERE id = %s FOR UPDATE", (record_id,))

    def release():
        holder.rollback()
        holder.close()
    return release


def test_filing_lock_timeout_answers_503_on_page_and_api_and_nothing_changed(quick_lock_app):
    from tests.conftest import AuthActions

    app = quick_lock_app
    runner = app.test_cli_runner()
    record_id = draft_id(app)
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("staff")
    token = auth.csrf_token()
    api = Api(app.test_client(), cli_token(runner, "staff"))
    before = state(app, record_id)
    release = hold_lock(app, record_id)
    try:
        page = client.post(f"/records/{record_id}/submit", data={"csrf_token": token, "version": before[2]})
        answer = api.post(f"/api/v1/records/{record_id}/submit", {"version": before[2]})
    finally:
        release()
    for response in (page, answer):
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
    assert "<html" in page.get_data(as_text=True) and "未生效" in page.get_data(as_text=True)
    assert "没有任何内容被更改" in answer.get_json()["error"]
    assert state(app, record_id) == before
    retried = api.post(f"/api/v1/records/{record_id}/submit", {"version": before[2]})  # the lock is gone
    assert retried.status_code == 200 and retried.get_json()["status"] == "filed"


def test_filing_lock_timeout_raises_busy_and_leaves_the_record_as_it_was(quick_lock_app):
    app = quick_lock_app
    record_id = draft_id(app)
    before = state(app, record_id)
    release = hold_lock(app, record_id)
    try:
        with app.app_context(), pytest.raises(Busy):
            svc.submit_record(user("staff"), record_id)
    finally:
        release()
    assert state(app, record_id) == before


# Each step of a filing, as a (module, name) to break: before the number, the number itself,
# the events, the drawing and storing of the documents, and the sealing inside COMMIT.
STEPS = [
    ("webapp.services.records", "evaluate_stored"),
    ("webapp.services.records", "allocate_number"),
    ("webapp.services.records", "record_event"),
    ("webapp.services.records", "store_issued_versions"),
    ("webapp.services.documents", "_render_document"),
    ("webapp.services.documents", "record_event"),
    ("webapp.services.files.FileStore", "put"),
    ("webapp.services.audit", "record_hashes"),
    ("webapp.services.audit", "event_hash"),
]


class Crash(Exception):
    pass


@pytest.mark.parametrize("where", STEPS, ids=[f"{m.rsplit('.', 1)[-1]}.{n}" for m, n in STEPS])
def test_filing_a_failure_at_any_step_leaves_no_filing_and_verify_repair_finds_nothing_to_do(
        app, runner, monkeypatch, where):
    import importlib

    module_name, name = where
    if module_name.endswith("FileStore"):
        target = importlib.import_module("webapp.services.files").FileStore
    else:
        target = importlib.import_module(module_name)

    def crash(*_args, **_kwargs):
        raise Crash(f"injected at {module_name}.{name}")

    record_id = draft_id(app)
    before = state(app, record_id)
    monkeypatch.setattr(target, name, crash)
    with app.app_context(), pytest.raises(Crash):
        svc.submit_record(user("staff"), record_id)
    monkeypatch.undo()
    assert state(app, record_id) == before  # none of it happened
    repaired = runner.invoke(args=["verify", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert state(app, record_id) == before
    with app.app_context():
        filed = svc.submit_record(user("staff"), record_id).record
        assert (filed.status, filed.number_seq) == ("filed", 1)  # the number the failed try did not use
    assert runner.invoke(args=["verify"]).exit_code == 0


def test_filing_documents_missing_are_reported_by_verify_and_completed_by_repair(app, runner, monkeypatch):
    # a filing by the earlier two-step code whose document step never ran (crash, restored backup)
    monkeypatch.setattr(svc, "store_issued_versions", lambda record, user_id, prerendered=None: [])
    record_id = draft_id(app)
    with app.app_context():
        svc.submit_record(user("staff"), record_id)
    monkeypatch.undo()
    found = runner.invoke(args=["verify"])
    assert found.exit_code == 1 and f"记录 #{record_id}" in found.output and "尚未保存备案版" in found.output
    repaired = runner.invoke(args=["verify", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "已补全" in repaired.output
    with app.app_context():
        kinds = db.session.scalars(select(DocumentVersion.kind).where(DocumentVersion.record_id == record_id)).all()
        assert sorted(kinds) == ["guidance", "opinion"]
        assert db.session.get(GuidanceRecord, record_id).document_sha256


def test_filing_under_concurrent_threads_keeps_the_chain_whole(app, runner):
    """Writers in threads (each its own session): the chain stays one line and verify passes."""
    ids = [draft_id(app) for _ in range(6)]
    errors = []

    def file_one(record_id):
        try:
            with app.app_context():
                svc.submit_record(user("staff"), record_id)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=file_one, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        seqs = db.session.scalars(select(GuidanceRecord.number_seq).where(GuidanceRecord.id.in_(ids))).all()
        assert sorted(seqs) == list(range(1, 7))
        assert db.session.execute(text("SELECT count(*) FROM audit_event WHERE seq IS NULL")).scalar() == 0


@pytest.mark.parametrize("guess", [1, 99], ids=["right-guess", "wrong-guess"])
def test_filing_documents_drawn_ahead_are_used_only_if_they_print_what_was_filed(app, monkeypatch, guess):
    from tests.webapp.test_documents_views import pdf_text
    from webapp.services import documents
    from webapp.services.files import file_store

    monkeypatch.setattr(documents, "likely_next_number", lambda year: guess)
    record_id = draft_id(app)
    with app.app_context():
        filed = svc.submit_record(user("staff"), record_id).record
        number, filed_at = filed.number, filed.filed_at
        version = db.session.scalar(select(DocumentVersion).where(DocumentVersion.record_id == record_id,
                                                                  DocumentVersion.kind == "guidance"))
        printed = "".join("".join(pdf_text(file_store().path(version.sha256).read_bytes())).split())
        assert filed.document_sha256 == version.sha256
    assert filed.number_seq == 1 and number in printed  # the number filed, whatever was guessed
    assert "99号" not in printed and filed_at is not None
