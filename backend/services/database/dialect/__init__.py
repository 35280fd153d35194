"""DIALECT-SPECIFIC: the only SQL that differs between SQLite and PostgreSQL.

Everything else in the code is one portable path; what the embedded database
(SQLite) and production's (PostgreSQL) spell differently is written here, behind
names that say what is wanted rather than which database is asked:

- current.py      which database the session talks to, whether a WITH may write, a
                  read that carries a write and a write that carries the next where one
                  can
- expressions.py  membership in a list of ids; whether a locked row is as it was read
- arithmetic.py   minutes and days between instants, whether one instant is more than
                  so many minutes after another, the month or week of a date, the day
                  before a date, the greater or lesser of values
- writes.py       inserting many rows, skipping duplicates, loading a county, emptying tables
- connections.py  how a SQLite connection is prepared and its write transaction opened
- durability.py   a commit of bookkeeping alone that need not wait for the disk

Import the names from this package: `from backend.services.database.dialect import among`.
"""
from backend.services.database.dialect.arithmetic import (
    day_before,
    days_between,
    greatest,
    least,
    later_by_more_than,
    minutes_between,
    month_start,
    week_start,
)
from backend.services.database.dialect.connections import (
    SQLITE_BUSY_TIMEOUT_MS,
    data_version,
    open_write_transaction,
    prepare_connections,
    prepare_sqlite_connection,
)
from backend.services.database.dialect.current import (
    dialect_name,
    read_and_write,
    write_after,
    writes_in_with,
)
from backend.services.database.dialect.durability import commit_lightly_if_nothing_written
from backend.services.database.dialect.expressions import among, among_bound, locked_as_seen
from backend.services.database.dialect.writes import (
    bulk_insert,
    empty_tables,
    insert_ignoring_duplicates,
    insert_many,
    insert_rows_ignoring_duplicates,
    load_rows,
)

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS", "among", "among_bound", "bulk_insert",
    "commit_lightly_if_nothing_written", "data_version", "day_before", "days_between",
    "dialect_name", "empty_tables", "greatest", "insert_ignoring_duplicates", "insert_many",
    "insert_rows_ignoring_duplicates", "later_by_more_than", "least", "load_rows",
    "locked_as_seen", "minutes_between", "month_start", "open_write_transaction",
    "prepare_connections", "prepare_sqlite_connection", "read_and_write", "week_start",
    "write_after", "writes_in_with",
]
