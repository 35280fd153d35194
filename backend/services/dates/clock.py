"""The service's notion of now and of local time (schedules are in local time)."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Europe/London"
# An instant the services take as now while a record is set up "as of" another day: the
# demo county is set up through the same services as a real council, as of its own now.
_PINNED: ContextVar[datetime | None] = ContextVar("pinned_now", default=None)


def now() -> datetime:
    """The current instant, aware UTC (the pinned one inside `pinned()`)."""
    return _PINNED.get() or datetime.now(UTC)


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Within the block, now() and today() answer `at` (aware) in this thread of work."""
    if at.tzinfo is None:
        raise ValueError("A pinned instant must be timezone-aware.")
    token = _PINNED.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _PINNED.reset(token)


def zone() -> ZoneInfo:
    """The configured local time zone (ECM_TIMEZONE)."""
    name = DEFAULT_ZONE
    if has_app_context():
        name = current_app.config.get("ECM_TIMEZONE", DEFAULT_ZONE)
    return ZoneInfo(name)


def today() -> date:
    """Today's date in local time."""
    return now().astimezone(zone()).date()


def local_to_utc(day: date, at: time, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant of a local wall-clock time on a day, across clock changes.

    A time in the spring gap moves to the first valid time after it (01:30 -> 02:00
    BST, i.e. 01:00 UTC); a time in the repeated autumn hour is taken once, at its
    first occurrence (fold=0).
    """
    tz = tz or zone()
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:  # in the spring gap: wall time does not exist
        # First valid instant after the gap: the moment the clocks went forward.
        before = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
        after = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        gap_end = max(before, after)
        # Walk back to the exact transition: the gap ends on a whole minute.
        start = min(before, after)
        while start < gap_end and start.astimezone(tz).replace(tzinfo=None) < naive:
            start += timedelta(minutes=1)
        return start
    return aware.astimezone(UTC)


def local_day_bounds(day: date, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """UTC instants at which a local day starts and ends (23 or 25 hours on change days)."""
    tz = tz or zone()
    midnight = time(0, 0)
    return local_to_utc(day, midnight, tz), local_to_utc(day + timedelta(days=1), midnight, tz)
