"""Expanding a package's weekly pattern into planned visits, in local time.

A call is a schedule line on a local day: the person's 08:00 call on Monday is at
08:00 on the wall clock on both sides of a clock change. Its instant follows the
service's rule for wall-clock times (dates.clock.local_to_utc):
- spring: a time the clocks skip (01:00-01:59 in Europe/London) moves forward to
  the first valid time, the moment the clocks went forward (01:30 -> 02:00 BST);
- autumn: a time in the repeated hour happens once, at its first occurrence.
So two calls of one package can land on the same instant in the spring gap (01:30
and 02:00 both at 02:00 BST). They stay two visits: a visit is identified by its
package, local day and planned wall-clock time (PlannedVisit.local_date and
local_time; visits.uq_visit_package_local_slot), never by its instant, and a
time-critical call is never folded into another one.
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from backend.models import CarePackage, Priority, ScheduleLine
from backend.services.dates.clock import local_to_utc


@dataclass(frozen=True)
class PlannedVisit:
    """One visit a schedule line asks for on one local day."""

    schedule_line_id: object
    local_date: date
    local_time: time  # the wall-clock time the line asks for, even when skipped
    planned_start: datetime
    planned_end: datetime
    duration_min: int
    carers_required: int
    priority: Priority
    tasks: tuple[str, ...]
    # NICE QS123 statement 4: a call under 30 minutes agreed in the person's plan.
    short_call_agreed: bool = False


@lru_cache(maxsize=4096)
def _start_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """local_to_utc, remembered: thousands of packages share the same call times."""
    return local_to_utc(day, at, tz)


def suspended_on(day: date, suspensions: Iterable) -> bool:
    """Whether a suspension of the package (e.g. a hospital stay) covers the local day."""
    return any(s.start_date <= day and (s.end_date is None or day <= s.end_date)
               for s in suspensions)


def later_patterns(package: CarePackage) -> list[tuple[date, list[ScheduleLine]]]:
    """The weekly patterns scheduled to replace the package's from a later day (package
    changes not yet applied), by the day each takes effect."""
    return [(change.effective_date, list(change.lines)) for change in package.changes
            if change.applied_at is None and change.changes_pattern]


def _by_weekday(lines: Iterable[ScheduleLine]) -> dict[int, list[ScheduleLine]]:
    by_weekday: dict[int, list[ScheduleLine]] = {}
    for line in lines:
        by_weekday.setdefault(line.weekday, []).append(line)
    return by_weekday


def planned_visits(package: CarePackage, first: date, last: date, tz: ZoneInfo,
                   lines: Iterable[ScheduleLine] | None = None,
                   later: Iterable[tuple[date, Iterable[ScheduleLine]]] = ()
                   ) -> Iterator[PlannedVisit]:
    """Visits the package's pattern asks for on each local day from first to last inclusive.

    Honours the package's start and end dates and its suspensions; clock changes as
    the module says. `later`: patterns that replace it from a given day (later_patterns);
    each day follows the latest pattern in effect on it.
    """
    patterns = [(date.min, _by_weekday(package.schedule if lines is None else lines))]
    patterns += sorted(((day, _by_weekday(day_lines)) for day, day_lines in later),
                       key=lambda pattern: pattern[0])
    suspensions = list(package.suspensions)
    first = max(first, package.start_date)
    if package.end_date is not None:
        last = min(last, package.end_date)
    day = first
    while day <= last:
        by_weekday = next(p for since, p in reversed(patterns) if since <= day)
        todays = by_weekday.get(day.weekday())
        if todays and not suspended_on(day, suspensions):
            for line in todays:
                start = _start_instant(day, line.start_time, tz)
                yield PlannedVisit(
                    schedule_line_id=line.id, local_date=day, local_time=line.start_time,
                    planned_start=start,
                    planned_end=start + timedelta(minutes=line.duration_min),
                    duration_min=line.duration_min, carers_required=line.carers_required,
                    priority=line.priority, tasks=tuple(line.tasks or ()),
                    short_call_agreed=bool(line.short_call_agreed))
        day += timedelta(days=1)
