"""DIALECT-SPECIFIC: a commit that need not wait for the disk.

PostgreSQL makes every committing transaction that wrote anything wait until its WAL
reaches the disk; a page view that writes only its read-audit row would wait for that
flush where the same view without the row commits at once (nothing written). Such
bookkeeping may be committed without waiting (synchronous_commit off, for this one
transaction): it is still atomic and consistent, and only a crash of the database
server in the next fraction of a second (wal_writer_delay, 200 ms by default, three
times over at most) could lose it. SQLite in WAL mode with synchronous=NORMAL does
not wait for the disk at commit anyway.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

# Only when the transaction has written nothing so far (no transaction id assigned yet):
# a request that also changed something keeps the full wait for all it wrote.
_LIGHT_COMMIT = sa.text(
    "SELECT set_config('synchronous_commit', 'off', true) "
    "WHERE pg_current_xact_id_if_assigned() IS NULL")


def commit_lightly_if_nothing_written(session: Session) -> None:
    """Let this transaction's commit skip the wait for the disk, if it has written nothing
    yet (PostgreSQL; nothing to do on SQLite). For bookkeeping written just before commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LIGHT_COMMIT)
