"""DIALECT-SPECIFIC HELPERS: the only SQL here that differs between SQLite and PostgreSQL.

Everything else in the services is one portable code path.
"""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db


def dialect_name() -> str:
    """'sqlite' or 'postgresql' for the session's database."""
    return db.session.get_bind().dialect.name


def insert_ignoring_duplicates(table, conflict_columns: list[str]):
    """INSERT that silently skips rows clashing with a unique key (ON CONFLICT DO NOTHING).

    Both databases spell it the same way, but SQLAlchemy builds it per dialect.
    """
    module = postgresql if dialect_name() == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


def among(column, ids):
    """SQL: column is one of `ids`; one array parameter on PostgreSQL, an IN list on SQLite."""
    if dialect_name() == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids),
                                              type_=postgresql.ARRAY(column.type)))
    return column.in_(ids)


def minutes_between(earlier, later):
    """SQL expression: minutes from one instant column to another (may be negative)."""
    if dialect_name() == "postgresql":
        return sa.func.extract("epoch", later - earlier) / 60.0
    # SQLite stores instants as ISO text; julianday() reads it, in days.
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 1440.0
