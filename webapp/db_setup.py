"""Engine set-up: SQLite pragmas and explicit transaction control; write transactions."""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.services import Busy

# Set by write_transaction(): the next BEGIN on SQLite takes the write lock up front.
_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)


def configure_engine(app: Flask) -> None:
    import webapp.services.audit  # noqa: F401 — registers the sealing of audit events at commit

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _create_private_file(engine.url.database)
        _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine, app.config["PG_LOCK_TIMEOUT_MS"])


def _configure_postgresql(engine: Engine, lock_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()


def _create_private_file(path: str | None) -> None:
    """An empty file is an empty SQLite database: made owner-only here, its -wal/-shm inherit the mode."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except (FileExistsError, FileNotFoundError):
        pass  # an existing database keeps its mode; a missing folder is reported by the first connect


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # We issue BEGIN ourselves (below); pysqlite's implicit deferred BEGIN cannot take the lock early.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # INSERT OR REPLACE deletes the old row first: with this, that delete fires the append-only guard.
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def is_lock_timeout(exc: BaseException) -> bool:
    """SQLite's busy timeout ran out, or PostgreSQL's lock_timeout (SQLSTATE 55P03)."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.orig, "sqlstate", None) == "55P03":
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database table is locked" in message


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


class ForeignChanges(RuntimeError):
    """write_transaction() met changes made outside any write transaction: a bug, never rolled back."""


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context):
    session.info["flushed"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session, transaction):
    if transaction.parent is None:
        session.info.pop("flushed", None)


def _has_changes(session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get("flushed"))


@contextmanager
def write_transaction() -> Iterator[None]:
    """The one way services change data: one transaction that commits on success.

    Services compose: inside another write_transaction() this joins the outer one (which
    commits or rolls back for both). A read-only transaction left open by earlier reads is
    ended first (it holds no work); uncommitted changes from elsewhere are refused, never
    silently rolled back.
    On SQLite the write lock is taken at BEGIN (IMMEDIATE), so two writers queue on the
    busy timeout instead of failing with "database is locked" when a read upgrades to a write.
    """
    session = db.session()  # the request-scoped Session itself
    if session.info.get("write_transaction"):
        yield  # joined: the outermost write_transaction commits
        return
    if session.in_transaction():
        if _has_changes(session):
            raise ForeignChanges("uncommitted changes outside write_transaction(); refusing to discard them")
        session.rollback()  # ends the read-only transaction (it holds no work) so the write one starts fresh
    token = _begin_immediate.set(True)
    session.info["write_transaction"] = True
    try:
        session.connection()  # begins now, under the flag
        yield
        session.commit()
    except BaseException as exc:
        session.rollback()
        if is_lock_timeout(exc):  # rolled back: the answer can truthfully say nothing changed
            raise Busy() from exc
        raise
    finally:
        session.info.pop("write_transaction", None)
        _begin_immediate.reset(token)
