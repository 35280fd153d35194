"""Writes that wait for the end of the unit of work, then go in as one statement each.

A page view's record of who read it, or the move of its session's idle clock, need not
be written while the page is built: on SQLite the first write takes the database's one
write lock, and holding it while a rota renders would make every check-in wait. So such
rows are queued here and written just before the unit of work commits, one executemany
per statement; when the unit of work rolls back (the page failed), they are dropped
with it. Nothing here commits.

Only bookkeeping belongs here: rows whose loss in a database crash's last instant harms
nothing, because a transaction that wrote nothing else commits them without waiting for
the disk (dialect.commit_lightly_if_nothing_written).
"""
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.extensions import db
from backend.services.database.dialect import commit_lightly_if_nothing_written

_QUEUE = "deferred_writes"


def at_commit(statement: sa.Executable, row: dict) -> None:
    """Run `statement` with `row` when this unit of work commits (rows queued for the
    same statement go in together)."""
    db.session.info.setdefault(_QUEUE, {}).setdefault(statement, []).append(row)


def pending(statement: sa.Executable) -> list[dict]:
    """Rows queued for `statement` in this unit of work, not yet written."""
    return list(db.session.info.get(_QUEUE, {}).get(statement, ()))


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUE, None)
    if not queued:
        return
    # A page view that wrote nothing else need not wait for the disk for these rows.
    commit_lightly_if_nothing_written(session)
    for statement, rows in queued.items():
        session.execute(statement, rows)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_QUEUE, None)
