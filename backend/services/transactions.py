"""Savepoints that nest inside the unit of work on both databases."""
from contextlib import contextmanager

import sqlalchemy as sa

from backend.extensions import db


@contextmanager
def savepoint():
    """A SAVEPOINT: rolled back alone on error, committed only with the whole request."""
    _open_sqlite_write_transaction()
    with db.session.begin_nested() as nested:
        yield nested


@contextmanager
def writing():
    """The request's own transaction, opened for writing (no savepoint): what is written
    in it is committed or rolled back with the whole request. Yields True when it took
    the database's write lock only now (SQLite), so what was read before may have
    changed; False when nothing was read unlocked (PostgreSQL, whose reads lock rows)."""
    yield _open_sqlite_write_transaction()


def hold(model, row_id) -> None:
    """Hold one row until the unit of work ends, so that a read-then-write keyed on it
    runs one at a time: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the database's
    write lock, taken now rather than at the first write (when a stale read could win)."""
    _open_sqlite_write_transaction()
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())


def _open_sqlite_write_transaction() -> bool:
    """Dialect-specific helper (SQLite / pysqlite only; a no-op on PostgreSQL).

    pysqlite opens its transaction lazily, just before the first INSERT/UPDATE/DELETE.
    A SAVEPOINT sent before that becomes the outermost transaction, and releasing it
    commits. So open the transaction first; IMMEDIATE takes the write lock now (waiting
    up to the busy timeout), because a deferred one can fail to upgrade to a writer
    later when another process has written in between. True when it took the lock now.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return False
    if connection.connection.dbapi_connection.in_transaction:
        return False
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True
