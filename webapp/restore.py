"""Backup sidecars and `flask restore`: check a backup, install it without losing the current
database, and continue numbering above every number ever issued (the number journal).

SQLite: the backup is copied beside the database, checked (integrity_check, schema at head,
`verify`), the current file and its -wal/-shm are moved aside together (never deleted), and the
copy takes its place. PostgreSQL: `pg_restore` into an empty database the operator created;
switching DATABASE_URL to it is the operator's step (README).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.services.number_journal import append_number, highest_numbers
from webapp.services.numbering import SkippedRange, continue_numbering

SIDECAR_SUFFIX = ".json"


class RestoreRefused(Exception):
    """The backup or the situation is not fit for a restore; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RestoreResult:
    database: str
    aside: list[Path] = field(default_factory=list)
    skipped: list[SkippedRange] = field(default_factory=list)


# ---------------------------------------------------------------- backup side


def chain_head() -> tuple[str, int] | None:
    """The audit chain's (latest hash, count), written into each backup's sidecar."""
    from webapp.services import audit

    return audit.chain_head()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sidecar(target: Path, *, engine: str, migrations: list[str], head: tuple[str, int] | None) -> Path:
    """BACKUP.json beside the backup: its hash, schema version and the audit chain's head then."""
    sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
    entry = {"file": target.name, "sha256": sha256_of(target), "bytes": target.stat().st_size,
             "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "engine": engine,
             "migrations": migrations, "chain_head": head[0] if head else None,
             "chain_count": head[1] if head else None}
    fd = os.open(sidecar, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(entry, fh, ensure_ascii=False, indent=1)
    return sidecar


def libpq_command(program: str, url: URL | str, *args: str) -> tuple[list[str], dict[str, str]]:
    """(argv, env) for pg_dump/pg_restore: the password goes in PGPASSWORD, never on the command line
    (argv is readable by every user of the machine in /proc)."""
    url = make_url(url) if isinstance(url, str) else url
    # URL.set() ignores None: a URL is a named tuple, and _replace can drop the password.
    plain = url._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [program, *args, f"--dbname={plain}"], env


# ---------------------------------------------------------------- restore


def migration_heads(app: Flask) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads())


def _app_on(app: Flask, database_url: str) -> Flask:
    """The same configuration on another database (the staged copy, the new PostgreSQL database)."""
    from webapp import create_app

    return create_app({**app.config, "SQLALCHEMY_DATABASE_URI": database_url}, instance_path=app.instance_path)


def run_verify(app: Flask) -> int:
    """`flask verify` (whatever it checks in this version) against app's database; its exit code."""
    from flask.cli import ScriptInfo

    from webapp.cli import verify

    try:
        with app.app_context():  # with_appcontext uses the current app: this one, not the CLI's
            verify.main(args=[], prog_name="flask verify", obj=ScriptInfo(create_app=lambda: app),
                        standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _check_sidecar(backup: Path) -> None:
    sidecar = backup.with_name(backup.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return
    try:
        expected = json.loads(sidecar.read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise RestoreRefused(f"备份说明文件 {sidecar} 无法读取：请确认备份完整") from None
    if sha256_of(backup) != expected:
        raise RestoreRefused(f"备份文件 {backup} 的 SHA-256 与说明文件 {sidecar.name} 不符：备份已被改动或不完整")


def _check_sqlite_copy(path: Path, heads: set[str]) -> None:
    try:
        conn = sqlite3.connect(path)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise RestoreRefused(f"备份未通过完整性检查（PRAGMA integrity_check）：{'；'.join(problems[:3])}")
            try:
                versions = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
            except sqlite3.OperationalError:
                versions = set()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"备份不是可用的 SQLite 数据库（{exc}）") from None
    if versions != heads:
        raise RestoreRefused(f"备份的数据库版本 {sorted(versions) or '（无）'} 不是本程序的版本 {sorted(heads)}："
                             "请用与备份同版本的程序恢复，或先对备份的副本运行 init-db 升级")


def _verify_on(app: Flask, database_url: str) -> None:
    staged = _app_on(app, database_url)
    try:
        code = run_verify(staged)
    finally:
        with staged.app_context():
            db.engine.dispose()
    if code != 0:
        raise RestoreRefused("备份未通过 flask verify（见上方的不一致项）：请换用其他备份，当前数据库未改动")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def restore_sqlite(app: Flask, backup: Path, *, progress: Callable[[str], None] = lambda _: None) -> RestoreResult:
    """Check BACKUP, move the current database (and its -wal/-shm) aside, install BACKUP."""
    with app.app_context():
        target = Path(db.engine.url.database).resolve()
        db.engine.dispose()  # no connection of ours may keep the old file (or its -wal) open
    heads = migration_heads(app)
    _check_sidecar(backup)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    staged = target.with_name(f".{target.stem}-restoring-{stamp}{target.suffix}")
    progress(f"复制备份到 {staged}")
    shutil.copyfile(backup, staged)
    os.chmod(staged, 0o600)
    try:
        progress("检查备份：PRAGMA integrity_check 与数据库版本")
        _check_sqlite_copy(staged, heads)
        progress("检查备份：flask verify")
        _verify_on(app, f"sqlite:///{staged}")
        for leftover in (Path(f"{staged}-wal"), Path(f"{staged}-shm")):
            leftover.unlink(missing_ok=True)  # verify closed cleanly; nothing of the copy lives there
    except BaseException:
        for leftover in (staged, Path(f"{staged}-wal"), Path(f"{staged}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    result = RestoreResult(database=str(target))
    aside = target.with_name(f"{target.stem}-before-restore-{stamp}{target.suffix}")
    # The file moves with its -wal and -shm: the aside copy stays whole, and no stale -wal is left
    # beside the restored file (SQLite would replay it onto the wrong database: "malformed").
    for suffix in ("", "-wal", "-shm"):
        current = Path(f"{target}{suffix}")
        if current.exists():
            moved = Path(f"{aside}{suffix}")
            os.rename(current, moved)
            result.aside.append(moved)
    os.replace(staged, target)
    _fsync_dir(target.parent)
    progress(f"已安装备份；原数据库已移至 {aside}" if result.aside else "已安装备份（原先没有数据库文件）")
    return result


def restore_postgres(app: Flask, backup: Path, into: str, *,
                     progress: Callable[[str], None] = lambda _: None) -> tuple[RestoreResult, Flask]:
    """pg_restore BACKUP into the empty database INTO, then check it; the current database is untouched."""
    from webapp.config import normalise_database_url

    into = normalise_database_url(into)
    if not into.startswith("postgresql"):
        raise RestoreRefused("--into 应为 PostgreSQL 数据库地址（postgresql://用户@主机/新库名）")
    with app.app_context():
        if make_url(into).database == db.engine.url.database and make_url(into).host == db.engine.url.host:
            raise RestoreRefused("--into 不能是正在使用的数据库：请先新建一个空数据库（createdb）")
    _check_sidecar(backup)
    argv, env = libpq_command("pg_restore", into, "--list")
    listed = subprocess.run([*argv[:-1], str(backup)], capture_output=True, text=True, env=env)
    if listed.returncode != 0:
        raise RestoreRefused(f"备份不是可用的 pg_dump 归档：{listed.stderr.strip()}")
    restored = _app_on(app, into)
    try:
        with restored.app_context():
            try:
                if inspect(db.engine).get_table_names():
                    raise RestoreRefused(f"数据库 {make_url(into).database} 不是空的：pg_restore 只恢复到新建的空数据库")
            except SQLAlchemyError as exc:
                raise RestoreRefused(f"无法连接 {make_url(into).render_as_string()}（{getattr(exc, 'orig', exc)}）："
                                     "请先 createdb 新建空数据库") from None
            db.engine.dispose()
        progress(f"pg_restore 到 {make_url(into).database}")
        argv, env = libpq_command("pg_restore", into, "--no-owner", "--exit-on-error")
        run = subprocess.run([*argv, str(backup)], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            raise RestoreRefused(f"pg_restore 失败（新数据库不可用，请删除后重试）：{run.stderr.strip()}")
        with restored.app_context():
            versions = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
            db.session.remove()
            db.engine.dispose()
        if versions != migration_heads(app):
            raise RestoreRefused(f"备份的数据库版本 {sorted(versions)} 不是本程序的版本 {sorted(migration_heads(app))}")
        progress("检查恢复的数据库：flask verify")
        if run_verify(restored) != 0:
            raise RestoreRefused("恢复的数据库未通过 flask verify（见上方的不一致项）：请勿切换到它")
    except BaseException:
        with restored.app_context():
            db.engine.dispose()
        raise
    return RestoreResult(database=make_url(into).render_as_string()), restored


def continue_after_restore(app: Flask, *, last_issued: int | None, year: int) -> list[SkippedRange]:
    """Counters above the journal's highest number per year (and above --last-issued for `year`)."""
    journal = Path(app.config["NUMBER_JOURNAL"])
    floors = highest_numbers(journal)
    if last_issued is not None and last_issued > floors.get(year, 0):
        with app.app_context():
            append_number(year, last_issued, None, path=journal)  # a later restore stays above it too
        floors[year] = last_issued
    with app.app_context():
        try:
            return continue_numbering(floors, note="恢复数据库备份后，跳过备份之后已发出的文号")
        finally:
            db.session.remove()
            db.engine.dispose()
