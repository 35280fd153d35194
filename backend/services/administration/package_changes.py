"""Changes to a package from a given day: new commissioned minutes, a new weekly pattern,
or both ("from Monday 12th, four calls a day instead of three").

A change is scheduled (package_changes, its calls as schedule lines owned by the change)
and the package's visits follow it from its day at once: visit generation plans each
day with the pattern in effect on it, so visits before the day stay as they are and
visits from the day are made, moved or cancelled as the new pattern asks. Past, started
and delivered visits never change (generation touches only visits that have not started
and start after now). On the day, the scheduler's generation job applies the change
(apply_due_changes): the pattern's lines move to the package keeping their ids, and the
package's commissioned minutes change. A change from today applies at once. Every step
is audited (who, when, before, after).
"""
from datetime import date, datetime

import sqlalchemy as sa

from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.models import CarePackage, PackageChange, ScheduleLine, User
from backend.services.administration import changes
from backend.services.administration.packages import (
    lines_as_pattern, pattern_of, refresh_visits, withdraw_change,
)
from backend.services.audit import trail
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference import packages as reference
from backend.services.reference.packages import CallLine
from backend.services.reference.validation import in_range


def pending(package: CarePackage) -> list[PackageChange]:
    """The package's changes not yet applied, earliest first."""
    return sorted((c for c in package.changes if c.applied_at is None),
                  key=lambda c: c.effective_date)


def in_effect_on(package: CarePackage, day: date) -> tuple[int, list[dict]]:
    """The commissioned minutes and weekly pattern (plain values) in effect on a day,
    counting the changes scheduled before or on it."""
    minutes, pattern = package.weekly_minutes, pattern_of(package)
    for change in pending(package):
        if change.effective_date <= day:
            if change.weekly_minutes is not None:
                minutes = change.weekly_minutes
            if change.changes_pattern:
                pattern = lines_as_pattern(change.lines)
    return minutes, pattern


def _check_day(package: CarePackage, day, today: date) -> date:
    if not isinstance(day, date):
        raise Invalid("Give the day the change takes effect.", field="effective_date")
    if day < today:
        raise Invalid("A change takes effect today or later: visits already made or "
                      "delivered never change.", field="effective_date")
    if day <= package.start_date:
        raise Invalid("The package has not started by then: change the package itself.",
                      field="effective_date")
    if package.end_date is not None and day > package.end_date:
        raise Invalid("The package has ended by then.", field="effective_date")
    if any(c.effective_date == day for c in pending(package)):
        raise Conflict("A change from that day is already scheduled; cancel it first.",
                       fields={"effective_date": ["A change from that day is scheduled."]})
    return day


def schedule_change(user: User, package_id, effective_date: date, weekly_minutes=None,
                    lines: list[CallLine] | None = None, today: date | None = None,
                    now: datetime | None = None) -> PackageChange:
    """Change the commissioned minutes and/or the weekly pattern from a day (today or
    later); None leaves that part as it is. Visits follow from that day at once."""
    package = access.get_administrable(user, CarePackage, package_id, "package")
    today, now = today or clock.today(), now or clock.now()
    day = _check_day(package, effective_date, today)
    minutes_then, pattern_then = in_effect_on(package, day)
    before, after = {}, {}
    if weekly_minutes is not None:
        weekly_minutes = in_range(weekly_minutes, 0, reference.MAX_WEEKLY_MIN,
                                  "weekly_minutes", "commissioned minutes a week")
        if weekly_minutes == minutes_then:
            weekly_minutes = None
        else:
            before["weekly_minutes"], after["weekly_minutes"] = minutes_then, weekly_minutes
    checked = reference.check_lines(list(lines)) if lines is not None else None
    new_lines = [ScheduleLine(
        weekday=line.weekday, start_time=line.start_time, duration_min=line.duration_min,
        carers_required=line.carers_required, priority=line.priority,
        tasks=list(line.tasks), required_skills=list(line.required_skills),
        short_call_agreed=line.short_call_agreed) for line in checked or ()]
    changes_pattern = checked is not None and lines_as_pattern(new_lines) != pattern_then
    if changes_pattern:
        before["pattern"], after["pattern"] = pattern_then, lines_as_pattern(new_lines)
    if not after:
        raise Invalid("Nothing would change from that day: the minutes and the pattern "
                      "are already those.", field="effective_date")
    change = PackageChange(effective_date=day, weekly_minutes=weekly_minutes,
                           changes_pattern=changes_pattern, created_by_id=user.id,
                           created_at=now, lines=new_lines if changes_pattern else [])
    package.changes.append(change)  # the loaded collection is what generation reads
    db.session.flush()
    trail.record_change(user, "package_change_scheduled", package,
                        before, {"effective_date": day, **after})
    if day <= today:
        apply_change(user, change, now)
    refresh_visits(package)
    return change


def apply_change(user: User | None, change: PackageChange, now: datetime) -> None:
    """Make a due change the package's own: its pattern's lines move to the package (the
    ids stay, so visits made from them are untouched) and the minutes change."""
    package = change.package
    if change.changes_pattern:
        before = pattern_of(package)
        package.schedule.clear()
        db.session.flush()
        db.session.execute(sa.update(ScheduleLine).where(ScheduleLine.change_id == change.id)
                           .values(package_id=package.id, change_id=None))
        db.session.expire(package, ["schedule"])
        db.session.expire(change, ["lines"])
        trail.record_change(user, "package_pattern_set", package, {"pattern": before},
                            {"pattern": pattern_of(package),
                             "effective_date": change.effective_date})
    if change.weekly_minutes is not None:
        change.weekly_minutes_before = package.weekly_minutes
        changes.apply(user, package, "package_changed",
                      {"weekly_minutes": change.weekly_minutes})
    change.applied_at = now
    db.session.flush()


def apply_due_changes(today: date, now: datetime | None = None) -> int:
    """The scheduler's daily step: apply every change whose day has come. Idempotent."""
    now = now or clock.now()
    due = db.session.scalars(sa.select(PackageChange).where(
        PackageChange.applied_at.is_(None), PackageChange.effective_date <= today)
        .order_by(PackageChange.effective_date)).all()
    for change in due:
        apply_change(None, change, now)
    return len(due)


def cancel_change(user: User, change_id, package_id=None) -> CarePackage:
    """Withdraw a change not yet applied (of that package, when given); visits from its
    day follow the pattern in effect without it."""
    try:
        change = db.session.get(PackageChange, change_id)
    except (ValueError, TypeError):
        change = None
    if change is None or (package_id is not None and str(change.package_id) != str(package_id)):
        raise NotFound("No package change with that id.")
    package = access.get_administrable(user, CarePackage, change.package_id, "package change")
    if change.applied_at is not None:
        raise Conflict("This change has already taken effect; make a new change instead.")
    withdraw_change(user, package, change)
    refresh_visits(package)
    return package
