"""DIALECT-SPECIFIC: SQL conditions spelled differently by each database: membership in
a list of ids, and whether a locked row is still as the statement saw it."""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from backend.services.database.dialect.current import dialect_name


def among(column, ids):
    """SQL: column is one of `ids`; one array parameter on PostgreSQL, an IN list on SQLite."""
    if dialect_name() == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids),
                                              type_=postgresql.ARRAY(column.type)))
    return column.in_(ids)


def among_bound(column, name: str):
    """SQL: column is one of the ids bound later as parameter `name` (a list).

    The statement can then be built once and run with any ids: an array parameter
    on PostgreSQL, an expanding IN list on SQLite.
    """
    if dialect_name() == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def locked_as_seen(table: sa.Table, dialect: str) -> sa.ColumnElement[bool]:
    """For a SELECT ... FOR UPDATE of `table`: whether what the statement read is as
    current as the lock on the row, or must be read again once the lock is held.

    PostgreSQL (READ COMMITTED) takes the snapshot when the statement starts; a row it
    has to wait to lock comes back as committed by the transaction it waited for, while
    the rest of the statement still reads the snapshot. The row's version (xmin) as
    locked and as seen in the snapshot differ exactly then. SQLite locks nothing by
    row: its one write lock is taken apart from the read (transactions.writing()),
    so the answer there is always no.
    """
    if dialect != "postgresql":
        return sa.false()
    seen = table.alias("seen")
    return sa.literal_column(f"{table.name}.xmin") == (
        sa.select(sa.literal_column("seen.xmin")).where(seen.c.id == table.c.id)
        .scalar_subquery())
