"""DIALECT-SPECIFIC: which database the session talks to, and what its SQL can say."""
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
