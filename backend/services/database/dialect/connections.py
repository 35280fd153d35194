"""DIALECT-SPECIFIC: how a connection is prepared, and how its write transaction opens.

Both concern SQLite (pysqlite) alone, except the lock timeout, which PostgreSQL gets
too; otherwise on PostgreSQL every function here does nothing or answers None.
"""
import math
import sqlite3
import time

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from backend.extensions import db

# How long a statement waits for another connection's lock by default (SQLite's busy
# timeout, PostgreSQL's lock_timeout): the DATABASE_LOCK_TIMEOUT_SECONDS setting.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Between tries for SQLite's write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ms
# and more between its tries, long beside a write transaction of a fraction of a ms.
_WRITE_LOCK_POLL_S = 0.0002


# --- Every new connection -------------------------------------------------------------

def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def lock_timeout_ms() -> int:
    """How long a statement may wait for a lock before it fails (and the request answers
    503, try again): the app's DATABASE_LOCK_TIMEOUT_SECONDS, 10 s when unset."""
    if has_app_context():
        seconds = current_app.config.get("DATABASE_LOCK_TIMEOUT_SECONDS")
        if seconds is not None:
            return int(float(seconds) * 1000)
    return SQLITE_BUSY_TIMEOUT_MS


def prepare_connections() -> None:
    """Have every connection opened from now on prepared by prepare_sqlite_connection()
    (create_app calls this; calling it again changes nothing)."""
    if not event.contains(Engine, "connect", prepare_sqlite_connection):
        event.listen(Engine, "connect", prepare_sqlite_connection)


def prepare_sqlite_connection(dbapi_connection, _record) -> None:
    """SQLite: WAL so readers never wait for the writer, a busy timeout, enforced foreign
    keys, and a sqrt() for the goal-attainment T-score where the build lacks one.
    PostgreSQL: the lock timeout, so a request stuck behind a lock (a long migration, a
    forgotten psql session) answers 503 instead of holding its worker until it is killed."""
    if not _is_sqlite(dbapi_connection):
        if type(dbapi_connection).__module__.startswith("psycopg"):
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True  # a SET outside any transaction stays set
            dbapi_connection.execute(f"SET lock_timeout = {lock_timeout_ms()}")
            dbapi_connection.autocommit = autocommit
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={lock_timeout_ms()}")
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
    timeout_ms = lock_timeout_ms()
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                if time.monotonic() > deadline:  # a lock timeout, as SQLAlchemy reports one
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(_WRITE_LOCK_POLL_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout={timeout_ms}")


def data_version() -> int | None:
    """SQLite's data_version as this connection sees it now, which moves when another
    connection commits; None on PostgreSQL, whose reads lock the rows they depend on
    (FOR UPDATE) instead."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.dbapi_connection.execute("PRAGMA data_version").fetchone()[0]
