"""Turning a cell's text into a value; each parser raises ValueError with the message the
report shows beside the row and column."""
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

DAYS = {name: i for i, names in enumerate((
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"),
    ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"),
    ("sun", "sunday"))) for name in names}
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_TRUE, _FALSE = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}
_WINDOW = re.compile(r"^(\w+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


def text(value: str) -> str | None:
    """Text, or None when blank."""
    return value or None


def whole(value: str) -> int | None:
    """A whole number (blank: none)."""
    if not value:
        return None
    try:
        return int(value.replace(",", ""))
    except ValueError:
        raise ValueError("Expected a whole number.") from None


def number(value: str) -> float | None:
    """A number such as a latitude (blank: none)."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError("Expected a number.") from None


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.replace(",", "").lstrip("£"))
    except InvalidOperation:
        raise ValueError("Expected a number.") from None


def pence(value: str) -> int | None:
    """Pounds such as 12.60 or £12.60, in pence (blank: none)."""
    return None if not value else int((_decimal(value) * 100).to_integral_value())


def minutes_from_hours(value: str) -> int | None:
    """Hours such as 37.5, in whole minutes (blank: none)."""
    return None if not value else int((_decimal(value) * 60).to_integral_value())


def yes_no(value: str) -> bool:
    """yes/no (also y/n, true/false, 1/0, x); blank is no."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("Expected yes or no.")


def day(value: str) -> date | None:
    """A date as 2026-03-01 or 01/03/2026 (blank: none)."""
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            pass
    raise ValueError("Expected a date such as 2026-03-01 or 01/03/2026.")


def clock_time(value: str) -> time | None:
    """A time of day such as 08:00 (blank: none)."""
    if not value:
        return None
    try:
        hour, minute = value.split(":")[:2]
        return time(int(hour), int(minute))
    except ValueError:
        raise ValueError("Expected a time such as 08:00.") from None


def weekday(value: str) -> int | None:
    """A day of the week: Mon..Sun or its full name (blank: none)."""
    if not value:
        return None
    found = DAYS.get(value.strip().lower())
    if found is None:
        raise ValueError("Expected a day of the week: Mon, Tue, Wed, Thu, Fri, Sat or Sun.")
    return found


def listed(value: str, sep: str) -> tuple[str, ...]:
    """Items separated by sep, blanks dropped."""
    return tuple(item.strip() for item in value.split(sep) if item.strip())


def windows(value: str) -> list[tuple[int, time, time]]:
    """Working windows such as 'Mon 07:00-13:00; Tue 16:00-21:00'."""
    found = []
    for item in listed(value, ";"):
        match = _WINDOW.match(item)
        if not match:
            raise ValueError("Expected windows such as 'Mon 07:00-13:00; Tue 16:00-21:00'.")
        found.append((weekday(match.group(1)), clock_time(match.group(2)),
                      clock_time(match.group(3))))
    return found


def window_text(rows) -> str:
    """Working windows written back in the template's form."""
    return "; ".join(f"{DAY_NAMES[w]} {s:%H:%M}-{e:%H:%M}" for w, s, e in rows)
