"""DIALECT-SPECIFIC: which database the session talks to, and what its SQL can say."""
from backend.extensions import db


def dialect_name() -> str:
    """'sqlite' or 'postgresql' for the session's database."""
    return db.session.get_bind().dialect.name


def writes_in_with() -> bool:
    """Whether a statement may carry an INSERT/UPDATE as a WITH clause (PostgreSQL's
    data-modifying CTE; SQLite has none), so a write can share a read's round trip."""
    return dialect_name() == "postgresql"
