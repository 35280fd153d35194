"""DIALECT-SPECIFIC: how a connection is prepared, and how its write transaction opens.

Both concern SQLite (pysqlite) alone; on PostgreSQL every function here does nothing
or answers None.
"""
import math
import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.extensions import db

# How long a SQLite statement waits for another connection's lock (the busy timeout).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Between tries for SQLite's write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ms
# and more between its tries, long beside a write transaction of a fraction of a ms.
_WRITE_LOCK_POLL_S = 0.0002


# --- Every new connection -------------------------------------------------------------

def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def prepare_connections() -> None:
    """Have every connection opened from now on prepared by prepare_sqlite_connection()
    (create_app calls this; calling it again changes nothing)."""
    if not event.contains(Engine, "connect", prepare_sqlite_connection):
        event.listen(Engine, "connect", prepare_sqlite_connection)


def prepare_sqlite_connection(dbapi_connection, _record) -> None:
    """SQLite: WAL so readers never wait for the writer, a busy timeout, enforced foreign
    keys, and a sqrt() for the goal-attainment T-score where the build lacks one."""
    if not _is_sqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # sqrt() is built into PostgreSQL, and into SQLite only when compiled with its math
    # functions; where it is missing, supply it so the T-score runs in SQL on both.
    try:
        dbapi_connection.execute("SELECT sqrt(4)").fetchone()
    except sqlite3.OperationalError:  # no such function
        dbapi_connection.create_function(
            "sqrt", 1, lambda v: None if v is None or v < 0 else math.sqrt(v),
            deterministic=True)


# --- The write transaction --------------------------------------------------------------

def open_write_transaction() -> None:
    """Open the session's transaction for writing now (SQLite; nothing on PostgreSQL).

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


def data_version() -> int | None:
    """SQLite's data_version as this connection sees it now, which moves when another
    connection commits; None on PostgreSQL, whose reads lock the rows they depend on
    (FOR UPDATE) instead."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.dbapi_connection.execute("PRAGMA data_version").fetchone()[0]
