"""DIALECT-SPECIFIC: which database the session talks to, and what its SQL can say."""
import sqlalchemy as sa

from backend.extensions import db


def dialect_name() -> str:
    """'sqlite' or 'postgresql' for the session's database."""
    return db.session.get_bind().dialect.name


def writes_in_with() -> bool:
    """Whether a statement may carry an INSERT/UPDATE as a WITH clause (PostgreSQL's
    data-modifying CTE; SQLite has none), so a write can share a read's round trip."""
    return dialect_name() == "postgresql"


# --- A read that also records (the minute pass's starting read, monitoring/minute_pass) ---

def read_and_write(read, write, name: str):
    """(statement, written): `read` carrying `write` (an INSERT or UPDATE) as a WITH clause
    named `name` where the database runs one there (PostgreSQL's data-modifying CTE), so
    the write shares the read's round trip and `written` is True; elsewhere (SQLite)
    `read` as it is and False, and the caller writes apart."""
    if writes_in_with():
        return read.add_cte(write.cte(name)), True
    return read, False


# --- A write that follows another (the attendance pipeline: an event and its visit) ------

def write_after(first, then, name: str):
    """(statement, joined): `then` (an UPDATE) run only when `first` (an INSERT that may
    skip its row, RETURNING its key) wrote, in one statement where the database runs a
    write as a WITH clause (PostgreSQL: the UPDATE reads the INSERT's returned row, so
    it changes nothing when the INSERT skipped), and `joined` is True: the statement
    returns the INSERT's returned columns exactly when both wrote. Elsewhere (SQLite)
    `first` as it is and False: the caller runs `then` itself once `first` returned a
    row. (`first` returns one row at most.)"""
    if not writes_in_with():
        return first, False
    written = first.cte(name)
    key = sa.select(next(iter(written.c))).scalar_subquery()
    return then.where(key.is_not(None)).returning(key), True
