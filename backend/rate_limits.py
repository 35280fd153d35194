"""Flask-Limiter's counters in our own database, so every web worker shares them.

With the in-memory storage each gunicorn worker kept its own count, so four workers let
four times the limit through. This storage ("ecm-database://", the default
RATELIMIT_STORAGE_URI) keeps each fixed window's count in `rate_limit_counters`; an
operator with Redis may set RATELIMIT_STORAGE_URI=redis://... instead (docs/operations.md).

It lives outside backend/services on purpose: a count must stand even when the request
it counted is rolled back (a refused sign-in is still a try), so each operation runs
and commits in its own short transaction on its own connection, apart from the
request's unit of work. Only the fixed-window strategy (Flask-Limiter's default) is
supported.
"""
import time

import sqlalchemy as sa
from limits.storage import Storage

from backend.extensions import db
from backend.models import RateLimitCounter
from backend.services.database.dialect import insert_ignoring_duplicates

_table = RateLimitCounter.__table__
_KEY = _table.c.key == sa.bindparam("counter_key")
_GET = sa.select(_table.c.count, _table.c.expires_at).where(_KEY)


class DatabaseStorage(Storage):
    """limits' Storage over the application's database (fixed windows)."""

    STORAGE_SCHEME = ["ecm-database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to the key's count in its current window (a new window when the last ended)."""
        now = time.time()
        with db.engine.begin() as connection:
            connection.execute(insert_ignoring_duplicates(_table).values(
                key=key, count=0, expires_at=now + expiry))
            expired = _table.c.expires_at <= now
            return connection.execute(
                _table.update().where(_KEY).values(
                    count=sa.case((expired, amount), else_=_table.c.count + amount),
                    expires_at=sa.case((expired, now + expiry), else_=_table.c.expires_at))
                .returning(_table.c.count), {"counter_key": key}).scalar_one()

    def _row(self, key: str):
        with db.engine.connect() as connection:
            row = connection.execute(_GET, {"counter_key": key}).first()
        return row if row is not None and row.expires_at > time.time() else None

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when none)."""
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends (Unix seconds; now when none)."""
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with db.engine.connect() as connection:
                connection.execute(sa.select(1))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        """Forget every count."""
        with db.engine.begin() as connection:
            return connection.execute(_table.delete()).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's count."""
        with db.engine.begin() as connection:
            connection.execute(_table.delete().where(_KEY), {"counter_key": key})


def purge_ended_windows(now: float | None = None) -> int:
    """Delete counters whose window has ended, in the caller's unit of work."""
    return db.session.execute(
        _table.delete().where(_table.c.expires_at <= (now or time.time()))).rowcount
