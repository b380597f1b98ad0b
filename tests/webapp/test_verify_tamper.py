"""`flask verify` catches what an insider with SQL or file access can still do (issue 15).

Each case tampers the way a person at the database would (past the triggers where needed, on
whichever engine the suite runs) and expects verify to exit 1 naming the record or event.
"""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, text

from tests.webapp.records_data import user, valid_record
from webapp.extensions import db
from webapp.models import AuditEvent, DocumentVersion, GuidanceRecord, ReviewDecision
from webapp.services import records as svc
from webapp.services.audit import chain_head
from webapp.services.chain import event_hash
from webapp.services.files import file_store


@pytest.fixture
def trail(app):
    """A record filed directly, one filed after review (a decision), and a draft."""
    with app.app_context():
        staff, reviewer = user("staff"), user("reviewer")
        direct = svc.create_draft(staff, valid_record(subject="直接备案的"))
        svc.submit_record(staff, direct.id)
        reviewed = svc.create_draft(staff, valid_record(subject="审查后备案的", content="必须在一个月内完成复垦。"))
        svc.submit_record(staff, reviewed.id)
        svc.approve_record(reviewer, reviewed.id, "措辞已核，同意备案")
        draft = svc.create_draft(staff, valid_record(subject="草稿"))
        return {"direct": direct.id, "reviewed": reviewed.id, "draft": draft.id}


def verify(runner, *args):
    return runner.invoke(args=["verify", *args])


def sql(app, statement: str, **params) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(statement), params)


def engine_name(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def past_audit_guard(app, statement: str, **params) -> None:
    """The guard switched off, the statement run, the guard back on (covering one's tracks)."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            body = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'audit_event_no_update'").scalar()
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            conn.execute(text(statement), params)
            conn.exec_driver_sql(body)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
            conn.execute(text(statement), params)
            conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")


def last_event(app, record_id: int, action: str) -> AuditEvent:
    with app.app_context():
        return db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == record_id,
                                                          AuditEvent.action == action).order_by(AuditEvent.id.desc()))


def test_verify_clean_trail_passes_and_prints_the_head(app, runner, trail):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    with app.app_context():
        digest, count = chain_head()
    assert count > 0 and f"审计链头：{digest}:{count}" in result.output
    assert "审计事件" in result.output


@pytest.mark.sqlite_only
def test_verify_catches_an_event_rewritten_by_insert_or_replace(app, runner, trail):
    event = last_event(app, trail["direct"], "file")
    with app.app_context():
        path = db.engine.url.database
    plain = sqlite3.connect(path)  # a connection without recursive_triggers: REPLACE slips past the guard
    with plain:
        plain.execute("INSERT OR REPLACE INTO audit_event (id, at, user_id, entity, entity_id, action, changes, note, "
                      "seq, prev_hash, hash, record_sha256) SELECT id, at, user_id, entity, entity_id, action, "
                      "'{}', '改写的说明', seq, prev_hash, hash, record_sha256 FROM audit_event WHERE id = ?", (event.id,))
    plain.close()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"审计事件 #{event.id}" in result.output and "事件已被改写" in result.output


def test_verify_catches_an_update_after_the_guard_was_dropped(app, runner, trail):
    event = last_event(app, trail["reviewed"], "approve")
    past_audit_guard(app, "UPDATE audit_event SET note = '同意' WHERE id = :i", i=event.id)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"审计事件 #{event.id}（record #{trail['reviewed']}，approve）" in result.output


def test_verify_catches_a_filed_records_subject_changed_by_sql(app, runner, trail):
    sql(app, "UPDATE guidance_record SET subject = '另一个事项' WHERE id = :i", i=trail["direct"])
    result = verify(runner)
    assert result.exit_code == 1
    assert f"记录 #{trail['direct']}（" in result.output and "被直接修改" in result.output
    assert f"记录 #{trail['reviewed']}（" not in result.output  # only the changed one


def test_verify_catches_a_number_changed_by_sql(app, runner, trail):
    sql(app, "UPDATE guidance_record SET number = replace(number, '〕1号', '〕7号') WHERE id = :i", i=trail["direct"])
    result = verify(runner)
    assert result.exit_code == 1 and f"记录 #{trail['direct']}（" in result.output


def test_verify_catches_a_review_decision_changed(app, runner, trail):
    with app.app_context():
        decision = db.session.scalar(select(ReviewDecision).where(ReviewDecision.record_id == trail["reviewed"]))
    sql(app, "UPDATE review_decision SET comment = '不同意' WHERE id = :i", i=decision.id)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"记录 #{trail['reviewed']}（" in result.output and "审查意见" in result.output


def test_verify_catches_the_counter_moved_back(app, runner, trail):
    sql(app, "UPDATE number_counter SET last_seq = last_seq - 1")
    result = verify(runner)
    assert result.exit_code == 1 and "计数器被回拨" in result.output


def test_verify_catches_a_number_gap_unless_it_is_recorded_as_skipped(app, runner, trail):
    from webapp.db_setup import write_transaction
    from webapp.services.audit import record_numbers_skipped

    sql(app, "UPDATE number_counter SET last_seq = last_seq + 3")
    result = verify(runner)
    assert result.exit_code == 1 and "文号缺第 3–5 号" in result.output
    with app.app_context():
        year = db.session.scalar(select(GuidanceRecord.number_year).where(GuidanceRecord.id == trail["direct"]))
        with write_transaction():
            record_numbers_skipped(year, 3, 5, note="恢复备份后跳过")
    result = verify(runner)
    assert result.exit_code == 0, result.output


def test_verify_catches_a_stored_file_altered(app, runner, trail):
    with app.app_context():
        version = db.session.scalar(select(DocumentVersion).where(DocumentVersion.record_id == trail["direct"]))
        path = file_store().path(version.sha256)
    path.write_bytes(path.read_bytes().replace(b"%PDF", b"%PDX", 1))
    result = verify(runner)
    assert result.exit_code == 1 and f"记录 #{trail['direct']}" in result.output and "文件已变更" in result.output


def test_verify_catches_the_last_events_deleted(app, runner, trail):
    with app.app_context(), db.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_event")).scalar()
        if conn.dialect.name == "sqlite":
            body = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'audit_event_no_delete'").scalar()
            conn.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
            conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": last})
            conn.exec_driver_sql(body)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
            conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": last})
            conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
    result = verify(runner)
    assert result.exit_code == 1 and "审计链头" in result.output and "末尾的事件被删除" in result.output


def test_verify_since_head_catches_a_whole_chain_rewritten(app, runner, trail):
    """An insider who rewrites an event and recomputes every hash after it (and the head row) fools
    the walk; the head kept in a backup or archive does not match any more."""
    with app.app_context():
        kept_hash, kept_count = chain_head()
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        target = next(e for e in events if e.action == "approve")
        rows, prev = [], None
        for e in events:
            note = "同意" if e.id == target.id else e.note
            prev_hash = e.prev_hash if prev is None else prev
            digest = event_hash(seq=e.seq, prev_hash=prev_hash, at=e.at, user_id=e.user_id, entity=e.entity,
                                entity_id=e.entity_id, action=e.action, changes=e.changes, note=note,
                                record_sha256=e.record_sha256)
            rows.append({"i": e.id, "n": note, "p": prev_hash, "h": digest})
            prev = digest
    for row in rows:
        past_audit_guard(app, "UPDATE audit_event SET note = :n, prev_hash = :p, hash = :h WHERE id = :i", **row)
    sql(app, "UPDATE audit_chain_head SET hash = :h", h=prev)
    assert verify(runner).exit_code == 0  # the walk alone cannot tell
    still = verify(runner, "--since-head", f"{prev}:{kept_count}")
    assert still.exit_code == 0 and "仍在审计链" in still.output
    caught = verify(runner, "--since-head", f"{kept_hash}:{kept_count}")
    assert caught.exit_code == 1 and kept_hash in caught.output and "已被改写" in caught.output
