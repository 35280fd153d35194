"""DIALECT-SPECIFIC HELPERS: the only SQL here that differs between SQLite and PostgreSQL.

Everything else in the services is one portable code path.
"""
import json
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db


def dialect_name() -> str:
    """'sqlite' or 'postgresql' for the session's database."""
    return db.session.get_bind().dialect.name


def writes_in_with() -> bool:
    """Whether a statement may carry an INSERT/UPDATE as a WITH clause (PostgreSQL's
    data-modifying CTE; SQLite has none), so a write can share a read's round trip."""
    return dialect_name() == "postgresql"


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


def insert_ignoring_duplicates(table, conflict_columns: list[str] | None = None):
    """INSERT that silently skips rows clashing with a unique key (ON CONFLICT DO NOTHING);
    with no conflict columns, rows clashing with any unique index or constraint.

    Both databases spell it the same way, but SQLAlchemy builds it per dialect.
    """
    module = postgresql if dialect_name() == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


_INSERT_ROWS: dict = {}  # insert_rows_ignoring_duplicates statements, built once


def insert_rows_ignoring_duplicates(table: sa.Table, rows: list[dict],
                                    conflict_columns: list[str], returning: list) -> list:
    """INSERT many rows, skipping those that clash with the conflict columns' unique key;
    returns the `returning` columns of the rows inserted.

    PostgreSQL gets one short statement whatever the number of rows, the rows as one
    JSON document (jsonb_to_recordset). As multi-row VALUES (SQLAlchemy's
    insertmanyvalues) a hundred rows make a statement of a thousand placeholders, new in
    length on every call, which psycopg scans again each time (it caches only short
    statements): a quarter of a national detection pass; as one array per column,
    psycopg's escaping of each element cost a fifth. SQLite parses a statement in
    microseconds: executemany.
    """
    if not rows:
        return []
    columns = tuple(rows[0])
    if dialect_name() != "postgresql":
        return list(db.session.execute(
            insert_ignoring_duplicates(table, conflict_columns).returning(*returning), rows))
    key = (table.name, columns, tuple(conflict_columns), tuple(c.key for c in returning))
    if key not in _INSERT_ROWS:
        document = sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSONB)
        source = sa.func.jsonb_to_recordset(document) \
            .table_valued(*(sa.column(name, table.c[name].type) for name in columns)) \
            .render_derived(with_types=True)
        _INSERT_ROWS[key] = (
            postgresql.insert(table).from_select(columns, sa.select(*source.c))
            .on_conflict_do_nothing(index_elements=conflict_columns).returning(*returning))
    document = json.dumps(rows, default=_json_value, separators=(",", ":"))
    return list(db.session.execute(_INSERT_ROWS[key], {"rows": document}))


def _json_value(value):
    """A column value JSON cannot write itself, as text PostgreSQL reads back as the
    column's type (enums are str already)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no JSON form for an INSERT")


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


def insert_many(table: sa.Table, rows: list[dict]) -> None:
    """INSERT many rows of Python values, all with the same keys, in the session's transaction.

    SQLite: one DBAPI executemany of tuples, each value converted by its column
    type's bind processor (computed once per column), skipping SQLAlchemy's
    per-row parameter machinery, which costs more than SQLite's own insert.
    PostgreSQL: Core's executemany (batched "insertmanyvalues").
    """
    if not rows:
        return
    if dialect_name() != "sqlite":
        db.session.execute(sa.insert(table), rows)
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [(name, table.c[name].type._cached_bind_processor(dialect)) for name in names]
    values = [tuple(row[name] if process is None or row[name] is None else process(row[name])
                    for name, process in processors) for row in rows]
    columns = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values)


def among_bound(column, name: str):
    """SQL: column is one of the ids bound later as parameter `name` (a list).

    The statement can then be built once and run with any ids: an array parameter
    on PostgreSQL, an expanding IN list on SQLite.
    """
    if dialect_name() == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


# --- Call monitoring: the rulebook's time comparison, and a read that records a pass ---
# (backend/services/monitoring/rules.py and monitor.py; kept together at the end.)
from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.expression import FunctionElement  # noqa: E402


class later_by_more_than(FunctionElement):
    """SQL: instant `later` is more than `minutes` minutes after instant `earlier`:
    later_by_more_than(earlier, later, minutes). NULL when an operand is NULL.

    Exact on PostgreSQL (interval arithmetic); to the millisecond on SQLite, whose date
    functions keep instants in whole milliseconds.
    """

    type = sa.Boolean()
    inherit_cache = True
    name = "later_by_more_than"


@compiles(later_by_more_than, "postgresql")
def _later_by_more_than_pg(element, compiler, **kw):
    earlier, later, minutes = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({later}) - ({earlier}) > ({minutes}) * INTERVAL '1 minute')"


@compiles(later_by_more_than, "sqlite")
def _later_by_more_than_sqlite(element, compiler, **kw):
    earlier, later, minutes = (compiler.process(c, **kw) for c in element.clauses)
    return (f"(CAST(round((julianday({later}) - julianday({earlier})) * 86400000.0) "
            f"AS INTEGER) > ({minutes}) * 60000)")


def read_and_write(read, write, name: str):
    """(statement, written): `read` carrying `write` (an INSERT or UPDATE) as a WITH clause
    named `name` where the database runs one there (PostgreSQL's data-modifying CTE), so
    the write shares the read's round trip and `written` is True; elsewhere (SQLite)
    `read` as it is and False, and the caller writes apart."""
    if dialect_name() == "postgresql":
        return read.add_cte(write.cte(name)), True
    return read, False
