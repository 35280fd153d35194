"""Savepoints that nest inside the unit of work on both databases."""
import sqlite3
import time
from contextlib import contextmanager

import sqlalchemy as sa

from backend.extensions import db

# How long a SQLite statement waits for another connection's lock (the busy timeout).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Between tries for SQLite's write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ms
# and more between its tries, long beside a write transaction of a fraction of a ms.
_WRITE_LOCK_POLL_S = 0.0002


@contextmanager
def savepoint():
    """A SAVEPOINT: rolled back alone on error, committed only with the whole request."""
    _open_sqlite_write_transaction()
    with db.session.begin_nested() as nested:
        yield nested


@contextmanager
def writing():
    """The request's own transaction, opened for writing (no savepoint): what is written
    in it is committed or rolled back with the whole request."""
    _open_sqlite_write_transaction()
    yield


def changes_seen() -> int | None:
    """A mark of the database as this connection sees it now, for changed_since(): on
    SQLite its data_version, which moves when another connection commits; None on
    PostgreSQL, whose reads lock the rows they depend on (FOR UPDATE)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.dbapi_connection.execute("PRAGMA data_version").fetchone()[0]


def changed_since(mark: int | None) -> bool:
    """Whether another connection may have committed since changes_seen() gave `mark`
    (always, for no mark)."""
    return mark is None or changes_seen() != mark


def hold(model, row_id) -> None:
    """Hold one row until the unit of work ends, so that a read-then-write keyed on it
    runs one at a time: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the database's
    write lock, taken now rather than at the first write (when a stale read could win)."""
    _open_sqlite_write_transaction()
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())


def _open_sqlite_write_transaction() -> None:
    """Dialect-specific helper (SQLite / pysqlite only; a no-op on PostgreSQL).

    pysqlite opens its transaction lazily, just before the first INSERT/UPDATE/DELETE.
    A SAVEPOINT sent before that becomes the outermost transaction, and releasing it
    commits. So open the transaction first; IMMEDIATE takes the write lock now (waiting
    up to the busy timeout), because a deferred one can fail to upgrade to a writer
    later when another process has written in between. It is waited for by polling
    every _WRITE_LOCK_POLL_S rather than by SQLite's busy handler, whose growing sleeps
    left the other worker process idle most of the time a lock was contended.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw.in_transaction:
        return
    raw.execute("PRAGMA busy_timeout=0")  # this one statement tries, and fails at once
    try:
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(_WRITE_LOCK_POLL_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
