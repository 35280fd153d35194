"""Whether an error means the database is unavailable for now, rather than a bug.

A lost connection (the server restarted, a connection was terminated), a database
that is not accepting connections, a lock or busy timeout, a pool with no free
connection: none of these says anything is wrong with the request. The caller is
told to try again shortly (503 with Retry-After) and keeps what it was sending; a
care worker's check-in stays queued on the phone and is sent again with the same
client event id, so it is stored once. Anything else from the database is a bug
and stays a 500.
"""
import sqlalchemy as sa


def is_outage(error: BaseException) -> bool:
    """True when `error` comes from the database being unreachable, closed or locked."""
    if isinstance(error, (sa.exc.OperationalError, sa.exc.TimeoutError)):
        return True  # connection lost or refused, lock/busy timeout, pool exhausted
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True  # the driver saw the connection drop mid-statement
    # psycopg's "the connection is closed" when a pooled connection died between statements
    return isinstance(error, sa.exc.InterfaceError)
