"""The audit hash chain (issue 15): every event linked to the one before, every record state sealed
with its content hash, long texts stored once, REPLACE refused on SQLite, existing events chained
by migration 0012."""
from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from tests.conftest import make_app
from tests.webapp.records_data import user, valid_record
from tests.webapp.test_api_scenario import cli_token
from tests.webapp.test_api_support import Api
from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import AuditEvent, GuidanceRecord
from webapp.models.audit import AuditChainHead, AuditText
from webapp.services import records as svc
from webapp.services.audit import chain_head, record_event
from webapp.services.chain import GENESIS, event_hash, record_hashes


def filed(app, **overrides) -> int:
    with app.app_context():
        record = svc.create_draft(user("staff"), valid_record(**overrides))
        svc.submit_record(user("staff"), record.id)
        return record.id


def events(app) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return found


def test_audit_chain_links_every_event_to_the_one_before(app):
    filed(app)
    filed(app, subject="第二件")
    chain = events(app)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    prev = GENESIS
    for e in chain:
        assert e.prev_hash == prev
        assert e.hash == event_hash(seq=e.seq, prev_hash=e.prev_hash, at=e.at, user_id=e.user_id, entity=e.entity,
                                    entity_id=e.entity_id, action=e.action, changes=e.changes, note=e.note,
                                    record_sha256=e.record_sha256)
        prev = e.hash
    with app.app_context():
        assert chain_head() == (prev, len(chain))
        head = db.session.get(AuditChainHead, 1)
        assert (head.hash, head.seq) == (prev, len(chain))


def test_audit_chain_each_record_event_carries_the_records_content_hash_after_it(app):
    record_id = filed(app)
    trail = [e for e in events(app) if e.entity == "record" and e.entity_id == record_id]
    assert [e.action for e in trail] == ["create", "submit", "file", "document", "document"]
    assert all(e.record_sha256 for e in trail)
    with app.app_context():
        (_, now), = record_hashes(db.session.connection(), [record_id])
    assert trail[-1].record_sha256 == now
    assert trail[0].record_sha256 != now  # the draft's content is not the filed record's


def test_audit_chain_a_rolled_back_transaction_leaves_no_event(app):
    before = len(events(app))
    with app.app_context():
        with pytest.raises(RuntimeError):
            with write_transaction():
                record_event(entity="user", entity_id=1, action="change_role", user_id=None)
                raise RuntimeError("changed my mind")
        with write_transaction():
            record_event(entity="user", entity_id=1, action="enable", user_id=None)
    after = events(app)
    assert len(after) == before + 1 and after[-1].action == "enable"


@pytest.mark.sqlite_only
def test_audit_chain_recursive_triggers_make_replace_fire_the_delete_guard(app):
    record_id = filed(app)
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 1
        event_id = conn.execute(text("SELECT max(id) FROM audit_event WHERE entity_id = :r"), {"r": record_id}).scalar()
        with pytest.raises(DatabaseError, match="append-only"):
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO audit_event (id, at, user_id, entity, entity_id, action, changes, note, seq, "
                "prev_hash, hash, record_sha256) SELECT id, at, user_id, entity, entity_id, action, changes, '改写', "
                "seq, prev_hash, hash, record_sha256 FROM audit_event WHERE id = ?", (event_id,))
        conn.rollback()
        assert conn.execute(text("SELECT note FROM audit_event WHERE id = :i"), {"i": event_id}).scalar() != "改写"


def test_audit_chain_long_texts_are_stored_once_and_shown_whole(app, runner):
    long_a, long_b = "甲" * 3000, "乙" * 3000  # 9 KB each in UTF-8
    with app.app_context():
        staff = user("staff")
        record = svc.create_draft(staff, valid_record(content=long_a))
        for i in range(10):
            record = svc.update_draft(staff, record.id, {"content": (long_b, long_a)[i % 2]}, record.version)
        record_id = record.id
        assert db.session.scalar(select(func.count()).select_from(AuditText)) == 2
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == record_id)):
            assert len(json.dumps(event.changes, ensure_ascii=False).encode()) < 4096  # a reference, not the text
    api = Api(app.test_client(), cli_token(runner, "staff"))
    audit = api.get(f"/api/v1/records/{record_id}").get_json()["audit"]
    updates = [line for line in audit if line["action"] == "update"]
    assert len(updates) == 10
    assert updates[0]["changes"]["content"] == {"before": long_a, "after": long_b}
    assert runner.invoke(args=["verify"]).exit_code == 0


def test_audit_chain_head_is_written_into_the_archives_bag_info(app, runner, tmp_path):
    record_id = filed(app)
    with app.app_context():
        year = db.session.get(GuidanceRecord, record_id).number_year
        digest, count = chain_head()
    package = tmp_path / "a.zip"
    assert runner.invoke(args=["archive", str(year), str(package)]).exit_code == 0
    with zipfile.ZipFile(package) as archive:
        info = next(archive.read(n).decode() for n in archive.namelist() if n.endswith("bag-info.txt"))
    assert f"Audit-Chain-Head: {digest}:{count}" in info
    assert runner.invoke(args=["verify", "--archive", str(package)]).exit_code == 0


@pytest.mark.sqlite_only
def test_audit_chain_migration_chains_existing_events_and_seals_records(tmp_path):
    """Events written before 0012 (no chain columns) are chained by the upgrade; verify then passes."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import seed_fixture_data

    app = make_app("sqlite:///" + str(tmp_path / "old.sqlite"), tmp_path / "instance")
    with app.app_context():
        upgrade()
        seed_fixture_data()
    record_id = filed(app)
    with app.app_context():
        downgrade(revision="0011_warning_reasons")  # the events now look as before the chain existed
        db.session.remove()
        upgrade()
    chain = events(app)
    assert chain and all(e.hash for e in chain)
    result = app.test_cli_runner().invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    sealed = [e for e in chain if e.entity_id == record_id and e.entity == "record"]
    assert sealed[-1].record_sha256 and all(e.record_sha256 is None for e in sealed[:-1])
    with app.app_context():
        db.engine.dispose()
