"""Safe backup and restore (issue 15): numbers are never issued twice, a stale -wal cannot poison a
restore, a damaged database stops `flask check`, and the files are the owner's only.

Each SQLite test runs on its own database in its own instance folder (a restore replaces the file);
the PostgreSQL test restores into a new database beside the suite's.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.conftest import AuthActions, make_app, seed_fixture_data
from tests.webapp.records_data import org_target, user, valid_record
from webapp.extensions import db
from webapp.instance_lock import hold_serving_lock, release_serving_lock
from webapp.models import AuditEvent, GuidanceRecord, NumberCounter
from webapp.models.record import SHANGHAI
from webapp.restore import libpq_command
from webapp.services import records as svc
from webapp.services.number_journal import highest_numbers, read_journal
from webapp.startup import preflight

sqlite_only = pytest.mark.sqlite_only


def this_year() -> int:
    return datetime.now(SHANGHAI).year


@pytest.fixture
def own_app(tmp_path):
    """An app on its own SQLite file inside its own instance folder, migrated and seeded."""
    from flask_migrate import upgrade

    instance = tmp_path / "instance"
    app = make_app(f"sqlite:///{instance / 'guidance.sqlite'}", instance)
    with app.app_context():
        upgrade()
        seed_fixture_data()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def file_records(app, count: int, start: int = 0) -> list[int]:
    numbers = []
    with app.app_context():
        staff = user("staff")
        for i in range(start, start + count):
            draft = svc.create_draft(staff, valid_record(target=org_target(f"淄博恢复测试{i}号有限公司")))
            result = svc.submit_record(staff, draft.id)
            assert result.record.status == "filed"
            numbers.append(result.record.number_seq)
        db.session.remove()
    return numbers


def db_path(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def untouched(app) -> tuple[int, int]:
    """The database file's identity and its record count: the same after a refused restore."""
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(GuidanceRecord))
        db.session.remove()
    return db_path(app).stat().st_ino, count


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


# ---------------------------------------------------------------- numbers never issued twice


@sqlite_only
def test_restore_after_further_filings_continues_above_the_journal(own_app, tmp_path):
    year = this_year()
    assert file_records(own_app, 3) == [1, 2, 3]
    backup = tmp_path / "backups" / "guidance-1.sqlite"
    backup.parent.mkdir()
    result = invoke(own_app, "backup", str(backup))
    assert result.exit_code == 0, result.output
    assert file_records(own_app, 4, start=3) == [4, 5, 6, 7]  # printed on documents handed out
    journal = list(read_journal(Path(own_app.config["NUMBER_JOURNAL"])))
    assert [(line.year, line.number) for line in journal] == [(year, n) for n in range(1, 8)]
    with own_app.app_context():
        assert [line.record_id for line in journal] == list(db.session.scalars(
            select(GuidanceRecord.id).where(GuidanceRecord.number_seq.is_not(None)).order_by(GuidanceRecord.number_seq)))
        db.session.remove()
    sidecar = json.loads(Path(f"{backup}.json").read_text(encoding="utf-8"))
    assert sidecar["sha256"] == hashlib.sha256(backup.read_bytes()).hexdigest()
    assert sidecar["migrations"] and "chain_head" in sidecar

    result = invoke(own_app, "restore", str(backup))

    assert result.exit_code == 0, result.output
    assert f"{year} 年第 4–7 号已跳过" in result.output
    aside = list(db_path(own_app).parent.glob("guidance-before-restore-*.sqlite"))
    assert len(aside) == 1  # the replaced database is kept, never deleted
    with sqlite3.connect(aside[0]) as old:
        assert old.execute("SELECT count(*) FROM guidance_record WHERE status = 'filed'").fetchone() == (7,)
    with own_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GuidanceRecord)) == 3
        assert db.session.get(NumberCounter, year).last_seq == 7
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "numbers_skipped")).all()
        assert [(e.entity_id, e.changes) for e in events] == [(year, {"year": {"before": None, "after": year}, "from": {"before": None, "after": 4}, "to": {"before": None, "after": 7}})]
        db.session.remove()
    assert file_records(own_app, 1, start=10) == [8]  # never 4 again

    client = own_app.test_client()
    AuthActions(client).login("staff")
    note = f"号段说明：{year}年第4号至第7号"
    page = client.get("/register").get_data(as_text=True)
    assert note in page
    partial = client.get("/register?q=", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and note in partial  # the results fragment htmx swaps carries it too
    pdf = client.get("/register.pdf")
    assert pdf.status_code == 200
    assert note in pdf_text(pdf.data)
    assert invoke(own_app, "check").exit_code == 0


@sqlite_only
def test_restore_last_issued_above_the_journal_is_kept_for_the_next_restore(own_app, tmp_path):
    year = this_year()
    file_records(own_app, 2)
    backup = tmp_path / "b.sqlite"
    assert invoke(own_app, "backup", str(backup)).exit_code == 0

    result = invoke(own_app, "restore", str(backup), "--last-issued", "50")

    assert result.exit_code == 0, result.output
    assert file_records(own_app, 1, start=5) == [51]
    assert highest_numbers(Path(own_app.config["NUMBER_JOURNAL"])) == {year: 51}
    assert invoke(own_app, "restore", str(backup)).exit_code == 0  # a second restore of the same backup
    assert file_records(own_app, 1, start=6) == [52]
    with own_app.app_context():
        ranges = [e.changes for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "numbers_skipped").order_by(AuditEvent.id))]
        db.session.remove()
    assert ranges == [{"year": {"before": None, "after": year}, "from": {"before": None, "after": 3}, "to": {"before": None, "after": 51}}]  # this database was restored from the same backup


def naive_check(path: Path) -> list[str] | str:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


@sqlite_only
def test_restore_onto_a_stale_wal_works(own_app, tmp_path):
    file_records(own_app, 2)
    backup = tmp_path / "b.sqlite"
    assert invoke(own_app, "backup", str(backup)).exit_code == 0
    file_records(own_app, 30, start=2)
    target = db_path(own_app)
    with own_app.app_context():
        db.session.execute(select(1))  # a pooled connection keeps the -wal in place
        stale = Path(f"{target}-wal").read_bytes()
        assert len(stale) > 32
        db.session.remove()
        db.engine.dispose()
    Path(f"{target}-wal").write_bytes(stale)  # what a crash or a careless copy leaves behind

    # The naive way (copy the backup over the file) replays the stale -wal onto it:
    naive = tmp_path / "naive"
    naive.mkdir()
    shutil.copy(backup, naive / "g.sqlite")
    (naive / "g.sqlite-wal").write_bytes(stale)
    assert naive_check(naive / "g.sqlite") != ["ok"]

    result = invoke(own_app, "restore", str(backup))

    assert result.exit_code == 0, result.output
    assert invoke(own_app, "check").exit_code == 0
    with own_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GuidanceRecord)) == 2
        db.session.remove()
    aside = next(target.parent.glob("guidance-before-restore-*.sqlite"))
    assert Path(f"{aside}-wal").read_bytes() == stale  # moved with its database, not thrown away
    assert file_records(own_app, 1, start=40) == [33]


@sqlite_only
def test_restore_refuses_while_a_server_holds_the_lock(own_app, tmp_path):
    file_records(own_app, 1)
    backup = tmp_path / "b.sqlite"
    assert invoke(own_app, "backup", str(backup)).exit_code == 0
    before = untouched(own_app)
    hold_serving_lock(own_app.instance_path)
    try:
        result = invoke(own_app, "restore", str(backup))
    finally:
        release_serving_lock()
    assert result.exit_code != 0
    assert "正在运行：请先停止" in result.output
    assert untouched(own_app) == before
    assert not list(db_path(own_app).parent.glob("*before-restore*"))
    assert invoke(own_app, "restore", str(backup)).exit_code == 0  # once the server is gone


@sqlite_only
def test_restore_refuses_a_damaged_or_altered_backup(own_app, tmp_path):
    file_records(own_app, 3)
    backup = tmp_path / "b.sqlite"
    assert invoke(own_app, "backup", str(backup)).exit_code == 0
    before = untouched(own_app)

    damaged = tmp_path / "damaged.sqlite"
    shutil.copy(backup, damaged)
    damage_pages(damaged)
    result = invoke(own_app, "restore", str(damaged))
    assert result.exit_code != 0 and "未恢复" in result.output

    with open(backup, "r+b") as fh:  # one byte changed: the sidecar's SHA-256 no longer matches
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 1]))
    result = invoke(own_app, "restore", str(backup))
    assert result.exit_code != 0 and "SHA-256" in result.output

    assert untouched(own_app) == before
    assert not list(db_path(own_app).parent.glob("*before-restore*"))
    assert not list(db_path(own_app).parent.glob(".guidance-restoring-*"))


# ---------------------------------------------------------------- a damaged database stops the start


def damage_pages(path: Path) -> None:
    """Overwrite a run of pages in the middle of the file with noise, as a bad disk would."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = path.stat().st_size // page_size
    assert pages > 8
    noise = random.Random(15)
    with open(path, "r+b") as fh:
        for page in range(2, pages - 1, 2):
            fh.seek(page * page_size)
            fh.write(bytes(noise.getrandbits(8) for _ in range(page_size)))


@sqlite_only
def test_check_refuses_a_damaged_database(own_app, tmp_path):
    file_records(own_app, 3)
    copy = tmp_path / "copy" / "guidance.sqlite"
    copy.parent.mkdir()
    assert invoke(own_app, "backup", str(copy)).exit_code == 0
    damaged_app = make_app(f"sqlite:///{copy}", tmp_path / "copy-instance")
    assert invoke(damaged_app, "check").exit_code == 0  # the undamaged copy passes
    with damaged_app.app_context():
        db.engine.dispose()  # the damage happens while nothing has the file open
    damage_pages(copy)

    result = invoke(damaged_app, "check")

    assert result.exit_code == 1
    assert "已损坏" in result.output and "flask --app webapp restore" in result.output
    assert any("已损坏" in line for line in preflight(damaged_app))  # what webapp/wsgi.py runs before serving
    with damaged_app.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------- owner-only files


@sqlite_only
def test_instance_database_journal_key_and_backup_are_owner_only(tmp_path):
    from flask_migrate import upgrade

    instance = tmp_path / "fresh" / "instance"
    app = make_app(f"sqlite:///{instance / 'guidance.sqlite'}", instance, SECRET_KEY=None)
    with app.app_context():
        upgrade()
        seed_fixture_data()
        db.session.remove()
    file_records(app, 1)
    backup = tmp_path / "b.sqlite"
    assert invoke(app, "backup", str(backup)).exit_code == 0
    with app.app_context():
        db.engine.dispose()

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(instance) == 0o700
    for private in (instance / "guidance.sqlite", instance / "secret_key", instance / "numbers.journal",
                    backup, Path(f"{backup}.json")):
        assert mode(private) == 0o600, private


# ---------------------------------------------------------------- PostgreSQL


def test_pg_password_goes_in_the_environment_never_argv():
    argv, env = libpq_command("pg_dump", "postgresql+psycopg://guidance:s3cr%40t@db.local:5432/guidance",
                              "--format=custom", "--file=/tmp/x.dump")
    assert not any("s3cr" in part for part in argv)
    assert env["PGPASSWORD"] == "s3cr@t"
    assert argv[0] == "pg_dump" and argv[-1] == "--dbname=postgresql://guidance@db.local:5432/guidance"


def test_backup_on_postgres_runs_pg_dump_without_the_password_in_argv(app, tmp_path, monkeypatch):
    import subprocess

    import webapp.cli

    seen = []

    def fake_run(argv, **kwargs):
        seen.append((argv, kwargs.get("env") or {}))
        Path(argv[argv.index("--format=custom") + 1].split("=", 1)[1]).write_bytes(b"PGDMP")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(webapp.cli.subprocess, "run", fake_run)
    pg = make_app("postgresql+psycopg://guidance:pa55word@127.0.0.1:1/guidance", tmp_path / "pg-instance")
    monkeypatch.setattr("webapp.restore.chain_head", lambda: None)  # no server behind the URL
    monkeypatch.setattr("webapp.restore.migration_heads", lambda _app: {"head"})

    result = invoke(pg, "backup", str(tmp_path / "x.dump"))

    assert result.exit_code == 0, result.output
    [(argv, env)] = seen
    assert argv[0] == "pg_dump" and not any("pa55word" in part for part in argv)
    assert env["PGPASSWORD"] == "pa55word"


@pytest.mark.postgres_only
def test_pg_restore_into_an_empty_database_continues_above_the_journal(app, tmp_path):
    import psycopg
    from sqlalchemy.engine import make_url

    year = this_year()
    file_records(app, 2)
    dump = tmp_path / "g.dump"
    assert invoke(app, "backup", str(dump)).exit_code == 0
    file_records(app, 3, start=2)
    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"guidance_restored_{os.getpid()}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    into = url.set(database=name).render_as_string(hide_password=False)
    try:
        result = invoke(app, "restore", str(dump), "--into", into)
        assert result.exit_code == 0, result.output
        assert "DATABASE_URL" in result.output
        restored = make_app(into, tmp_path / "restored-instance", NUMBER_JOURNAL=app.config["NUMBER_JOURNAL"])
        with restored.app_context():
            assert db.session.scalar(select(func.count()).select_from(GuidanceRecord)) == 2
            assert db.session.get(NumberCounter, year).last_seq == 5
            assert [e.changes for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "numbers_skipped"))] == \
                [{"year": {"before": None, "after": year}, "from": {"before": None, "after": 3}, "to": {"before": None, "after": 5}}]
            db.session.remove()
        assert file_records(restored, 1, start=9) == [6]
        with restored.app_context():
            db.engine.dispose()
        again = invoke(app, "restore", str(dump), "--into", into)  # not empty any more
        assert again.exit_code != 0 and "不是空的" in again.output
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_server_does_not_start_while_a_restore_runs(tmp_path):
    from webapp.instance_lock import InstanceBusy, exclusive_lock

    with exclusive_lock(str(tmp_path)):
        with pytest.raises(InstanceBusy, match="正在恢复数据库"):
            hold_serving_lock(str(tmp_path))
    hold_serving_lock(str(tmp_path))  # and starts once it is over
    release_serving_lock()


@sqlite_only
def test_restore_without_the_journal_needs_last_issued(own_app, tmp_path):
    file_records(own_app, 2)
    backup = tmp_path / "b.sqlite"
    assert invoke(own_app, "backup", str(backup)).exit_code == 0
    file_records(own_app, 2, start=2)
    Path(own_app.config["NUMBER_JOURNAL"]).rename(tmp_path / "lost.journal")  # a new machine, say
    before = untouched(own_app)

    refused = invoke(own_app, "restore", str(backup))

    assert refused.exit_code != 0 and "--last-issued" in refused.output
    assert untouched(own_app) == before
    assert invoke(own_app, "restore", str(backup), "--last-issued", "4").exit_code == 0
    assert file_records(own_app, 1, start=9) == [5]
