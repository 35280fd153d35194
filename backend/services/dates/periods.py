"""Report periods: local dates chosen by a user, and the UTC instants they span."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context

from backend.errors import Invalid
from backend.services.dates import days
from backend.services.dates.clock import local_day_bounds, zone

PERIOD_KINDS = ("day", "week", "month", "quarter", "custom")
DEFAULT_MAX_DAYS = 400


@dataclass(frozen=True)
class Period:
    """Local dates first..last inclusive, and the UTC instants [start, end) they cover."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (self.last - self.first).days + 1


def max_days() -> int:
    """The longest period a report may cover (REPORT_MAX_DAYS, default 400)."""
    if has_app_context():
        return int(current_app.config.get("REPORT_MAX_DAYS", DEFAULT_MAX_DAYS))
    return DEFAULT_MAX_DAYS


def _quarter_first(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_last(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def resolve(kind: str = "custom", on: date | None = None, first: date | None = None,
            last: date | None = None) -> Period:
    """A Period from a kind and an anchor date, or from custom first/last dates."""
    days.checked(on, "date")
    days.checked(first, "from")
    days.checked(last, "to")
    if kind not in PERIOD_KINDS:
        raise Invalid(f"Unknown period {kind!r}; expected one of: {', '.join(PERIOD_KINDS)}.",
                      field="period")
    if kind == "custom":
        if first is None or last is None:
            raise Invalid("A custom period needs both 'from' and 'to' dates.",
                          fields={k: ["Required for a custom period."]
                                  for k, v in (("from", first), ("to", last)) if v is None})
    else:
        if on is None:
            raise Invalid(f"A {kind} period needs a 'date' inside it.", field="date")
        if kind == "day":
            first = last = on
        elif kind == "week":
            first = on - timedelta(days=on.weekday())
            last = first + timedelta(days=6)
        elif kind == "month":
            first = on.replace(day=1)
            last = _month_last(first)
        else:
            first = _quarter_first(on)
            last = _month_last(date(first.year, first.month + 2, 1))
    if last < first:
        raise Invalid("The period ends before it starts.", field="to")
    limit = max_days()
    if (last - first).days + 1 > limit:
        raise Invalid(f"A report may cover at most {limit} days; this period has "
                      f"{(last - first).days + 1}.", field="to")
    tz = zone()
    return Period(first, last, local_day_bounds(first, tz)[0], local_day_bounds(last, tz)[1])
