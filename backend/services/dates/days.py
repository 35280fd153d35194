"""The calendar days the service can reason about, and reading a day someone typed.

Care records, rotas and reports are about days within a working life of the service:
a day in year 1 or 9999 is a typing or probing mistake, and local-day arithmetic near
the ends of Python's calendar (a week's Monday, the day after, a time zone's offset)
would fail on it. So every day a person or a phone chooses is checked here first, and
the refusal names the field it came from.
"""
from datetime import date

from backend.errors import Invalid

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
OUT_OF_RANGE = (f"Choose a date between {EARLIEST.isoformat()} and "
                f"{LATEST.isoformat()}.")
NOT_A_DATE = "Enter a date as YYYY-MM-DD, for example 2026-11-02."


def in_range(day: date) -> bool:
    """Whether a day lies within the calendar the service works in."""
    return EARLIEST <= day <= LATEST


def checked(day: date | None, field: str) -> date | None:
    """The day itself when it is within range (or None); otherwise a refusal naming the field."""
    if day is not None and not in_range(day):
        raise Invalid(OUT_OF_RANGE, field=field)
    return day


def parse(raw: str | None, field: str, default: date | None = None) -> date | None:
    """A YYYY-MM-DD day typed into a field, or the default when nothing was typed."""
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Invalid(NOT_A_DATE, field=field) from None
    return checked(day, field)
