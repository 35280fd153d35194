"""Savepoints, write locks and row holds inside the unit of work, the same on both databases.

The unit of work itself (one commit or rollback per request, CLI command or
scheduler job) ends in backend/unit_of_work.py; nothing here commits.
"""
from contextlib import contextmanager

import sqlalchemy as sa

from backend.extensions import db
from backend.services.database import dialect


@contextmanager
def savepoint():
    """A SAVEPOINT: rolled back alone on error, committed only with the whole unit of work.

    The only way services open one: on SQLite the transaction must be open before the
    SAVEPOINT, or the SAVEPOINT becomes the outermost transaction and releasing it
    commits at once (see dialect.open_write_transaction).
    """
    dialect.open_write_transaction()
    with db.session.begin_nested() as nested:
        yield nested


@contextmanager
def writing():
    """The unit of work's own transaction, opened for writing (no savepoint): what is
    written in it is committed or rolled back with the whole unit of work."""
    dialect.open_write_transaction()
    yield


def changes_seen() -> int | None:
    """A mark of the database as this connection sees it now, for changed_since(); None
    where reads lock the rows they depend on instead (PostgreSQL)."""
    return dialect.data_version()


def changed_since(mark: int | None) -> bool:
    """Whether another connection may have committed since changes_seen() gave `mark`
    (always, for no mark)."""
    return mark is None or changes_seen() != mark


def hold(model, row_id) -> None:
    """Hold one row until the unit of work ends, so that a read-then-write keyed on it
    runs one at a time: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the database's
    write lock, taken now rather than at the first write (when a stale read could win)."""
    dialect.open_write_transaction()
    db.session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())
