"""DIALECT-SPECIFIC: writing many rows, skipping duplicates, and emptying every table.

Nothing here commits: the unit of work does, once.
"""
import json
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db
from backend.services.database.dialect.current import dialect_name

# Rows per executemany when loading many rows into SQLite (load_rows).
LOAD_CHUNK = 5000


# --- Skipping duplicates ----------------------------------------------------------------

def insert_ignoring_duplicates(table, conflict_columns: list[str] | None = None):
    """INSERT that silently skips rows clashing with a unique key (ON CONFLICT DO NOTHING);
    with no conflict columns, rows clashing with any unique index or constraint.

    Both databases spell it the same way, but SQLAlchemy builds it per dialect.
    """
    module = postgresql if dialect_name() == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


_INSERT_ROWS: dict = {}  # insert_rows_ignoring_duplicates statements, one per table and shape


def insert_rows_ignoring_duplicates(table: sa.Table, rows: list[dict],
                                    conflict_columns: list[str] | None,
                                    returning: list, along=None,
                                    along_parameters: dict | None = None) -> list:
    """INSERT many rows, skipping those that clash with the conflict columns' unique key
    (with no conflict columns, any unique index or constraint); returns the `returning`
    columns of the rows inserted.

    `along`: a write that goes with these rows whatever became of them (an UPDATE built
    once, with its `along_parameters`): PostgreSQL carries it in the INSERT's WITH
    clause, one round trip for both; SQLite runs it just before.

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
        if along is not None:
            db.session.execute(along, along_parameters)
        return list(db.session.execute(
            insert_ignoring_duplicates(table, conflict_columns).returning(*returning), rows))
    key = (table.name, columns, tuple(conflict_columns or ()),
           tuple(c.key for c in returning), along)
    if key not in _INSERT_ROWS:
        document = sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSONB)
        source = sa.func.jsonb_to_recordset(document) \
            .table_valued(*(sa.column(name, table.c[name].type) for name in columns)) \
            .render_derived(with_types=True)
        statement = (
            postgresql.insert(table).from_select(columns, sa.select(*source.c))
            .on_conflict_do_nothing(index_elements=conflict_columns).returning(*returning))
        _INSERT_ROWS[key] = statement if along is None else statement.add_cte(
            along.cte("along"))
    document = json.dumps(rows, default=_json_value, separators=(",", ":"))
    return list(db.session.execute(_INSERT_ROWS[key], {"rows": document,
                                                       **(along_parameters or {})}))


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


# --- Many rows at once --------------------------------------------------------------------

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


def load_rows(table: sa.Table, rows: list[dict]) -> int:
    """Load a great many rows (the demo's county-year) into a table; answers how many.

    Rows are plain dicts keyed by column name with Python values (UUID, aware
    datetimes, enum values as strings, lists/dicts for JSON columns). PostgreSQL: COPY,
    several times faster than INSERT for the million-row tables. SQLite: executemany
    in chunks of LOAD_CHUNK.
    """
    if not rows:
        return 0
    if dialect_name() == "postgresql":
        return _copy_rows(table, rows)
    for start in range(0, len(rows), LOAD_CHUNK):
        db.session.execute(table.insert(), rows[start:start + LOAD_CHUNK])
    return len(rows)


def bulk_insert(table: sa.Table, rows: list[dict]) -> None:
    """INSERT thousands of new rows (an import) in the session's transaction, the fastest
    way each database has: SQLite insert_many's executemany, PostgreSQL COPY. Values as
    for load_rows (enum values as strings)."""
    if not rows:
        return
    if dialect_name() == "postgresql":
        _copy_rows(table, rows)
    else:
        insert_many(table, rows)


def _copy_rows(table: sa.Table, rows: list[dict]) -> int:
    """PostgreSQL COPY on the session's own connection (same transaction).

    COPY bypasses SQLAlchemy's type processing, so values are converted here the way
    the column types would: JSON columns as JSON text; everything else psycopg adapts
    itself (UUID, aware datetime -> timestamptz, date, bool, numbers, str).
    """
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, sa.JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(
                    json.dumps(row[name]) if name in json_columns and row[name] is not None
                    else row[name] for name in columns))
    return len(rows)


# --- Emptying the database ----------------------------------------------------------------

def empty_tables(tables: list[sa.Table]) -> None:
    """Delete every row of these tables, given children first; the schema stays.

    PostgreSQL: one TRUNCATE, which empties millions of rows at once where DELETE crawls.
    """
    if dialect_name() == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} CASCADE"))
        return
    for table in tables:
        db.session.execute(table.delete())
