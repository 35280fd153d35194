"""Packages of care: set up under a contract with their weekly pattern, changed, suspended
for a hospital stay and brought back, ended; pending ones start on their start date."""
from datetime import date

import sqlalchemy as sa

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import (
    CarePackage, Contract, PackageStatus, PackageSuspension, ServiceUser, User,
)
from backend.services.administration import changes
from backend.services.audit import trail
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference import packages as reference
from backend.services.reference.packages import CallLine
from backend.services.reference.validation import choice, in_range
from backend.services.rota.visit_generation import generate_visits


def pattern_of(package: CarePackage) -> list[dict]:
    """The weekly pattern as plain values (for the audit log, pages and export)."""
    return lines_as_pattern(package.schedule)


def lines_as_pattern(lines) -> list[dict]:
    """Schedule lines as plain values, in the order of the week."""
    lines = sorted(lines, key=lambda line: (line.weekday, line.start_time))
    return [{"weekday": line.weekday, "start_time": line.start_time.strftime("%H:%M"),
             "duration_min": line.duration_min, "carers_required": line.carers_required,
             "priority": line.priority.value, "tasks": list(line.tasks or ()),
             "required_skills": list(line.required_skills or ()),
             "short_call_agreed": bool(line.short_call_agreed)} for line in lines]


def _reference(value, funder_id, own_id=None) -> str | None:
    ref = (value or "").strip() or None
    if ref and len(ref) > 40:
        raise Invalid("A package reference has at most 40 characters.", field="reference")
    query = sa.select(CarePackage.id).where(CarePackage.funder_id == funder_id,
                                            CarePackage.reference == ref)
    if own_id is not None:
        query = query.where(CarePackage.id != own_id)
    if ref and db.session.scalar(query):
        raise Conflict("The funder already has a package with that reference.",
                       fields={"reference": ["Already in use."]})
    return ref


def withdraw_change(user: User | None, package: CarePackage, change,
                    action: str = "package_change_cancelled") -> None:
    """Take back a scheduled change not yet applied (package_changes), audited with what
    it would have done. The caller refreshes the package's visits."""
    was = {"effective_date": change.effective_date}
    if change.weekly_minutes is not None:
        was["weekly_minutes"] = change.weekly_minutes
    if change.changes_pattern:
        was["pattern"] = lines_as_pattern(change.lines)
    trail.record_change(user, action, package, was, {})
    db.session.delete(change)
    db.session.flush()
    db.session.expire(package, ["changes"])


def withdraw_changes_after(user: User, package: CarePackage, last_day: date) -> None:
    """A package ending before a scheduled change's day: the change would never take
    effect, so it is withdrawn rather than left to change an ended package (however the
    end date was set: ending, editing, or importing the package)."""
    for change in [c for c in package.changes
                   if c.applied_at is None and c.effective_date > last_day]:
        withdraw_change(user, package, change, "package_change_withdrawn")


def refresh_visits(package: CarePackage) -> None:
    """Future visits follow the package at once (the scheduler would, within the hour)."""
    db.session.flush()
    generate_visits(package_ids=[package.id])


def create_package(user: User, service_user_id, contract_id, package_type, weekly_minutes: int,
                   start_date: date, end_date: date | None = None,
                   schedule: list[CallLine] = (), reference_code: str | None = None,
                   today: date | None = None) -> CarePackage:
    """A package for a person under a contract; pending until its start date."""
    person = access.get_visible(user, ServiceUser, service_user_id, "person")
    contract = access.get_visible(user, Contract, contract_id, "contract")
    access.require_set_up(user, CarePackage, [contract.funder_id, contract.provider_id],
                          "package")
    if not isinstance(start_date, date):
        raise Invalid("A package needs a start date.", field="start_date")
    today = today or clock.today()
    status = PackageStatus.PENDING if start_date > today else PackageStatus.ACTIVE
    package = reference.create_package(
        person, contract, package_type, weekly_minutes, start_date, end_date, schedule,
        status=status, reference=_reference(reference_code, contract.funder_id))
    if package.reference is None:  # a handle for the export and re-import to match on
        db.session.flush()
        package.reference = f"PKG-{package.id.hex[:8].upper()}"
    changes.created(user, package, "package_created",
                    ("service_user_id", "contract_id", "package_type", "weekly_minutes",
                     "start_date", "end_date", "status", "reference"))
    trail.record_change(user, "package_pattern_set", package, {}, {"pattern": pattern_of(package)})
    if status == PackageStatus.ACTIVE:
        refresh_visits(package)
    return package


def change_package(user: User, package_id, **values) -> CarePackage:
    """Change a package's type, commissioned minutes, dates or reference."""
    package = access.get_administrable(user, CarePackage, package_id, "package")
    checked = {}
    for name, value in values.items():
        if name == "package_type":
            checked[name] = choice(reference.PackageType, value, name)
        elif name == "weekly_minutes":
            checked[name] = in_range(value, 0, reference.MAX_WEEKLY_MIN, name,
                                     "commissioned minutes a week")
        elif name in ("start_date", "end_date"):
            if name == "start_date" and not isinstance(value, date):
                raise Invalid("A package needs a start date.", field=name)
            checked[name] = value
        elif name == "reference":
            checked[name] = _reference(value, package.funder_id, package.id)
        else:
            raise Invalid(f"{name} is not a field of a package.", field=name)
    start = checked.get("start_date", package.start_date)
    end = checked.get("end_date", package.end_date)
    if end is not None and end < start:
        raise Invalid("The package ends before it starts.", field="end_date")
    if changes.apply(user, package, "package_changed", checked):
        if end is not None:
            withdraw_changes_after(user, package, end)
        refresh_visits(package)
    return package


def set_pattern(user: User, package_id, lines: list[CallLine]) -> CarePackage:
    """Replace the weekly pattern; future visits follow it (started ones never change)."""
    package = access.get_administrable(user, CarePackage, package_id, "package")
    before = pattern_of(package)
    reference.set_schedule(package, lines)
    after = pattern_of(package)
    if before != after:
        trail.record_change(user, "package_pattern_set", package, {"pattern": before},
                            {"pattern": after})
        refresh_visits(package)
    return package


def suspend_package(user: User, package_id, start_date: date, end_date: date | None,
                    reason: str) -> PackageSuspension:
    """Pause a package (a hospital stay): its visits on those days are cancelled with the
    reason "package_suspended", and come back when the suspension ends or is shortened."""
    package = access.get_administrable(user, CarePackage, package_id, "package")
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise Invalid("Say why the package is suspended (up to 200 characters).",
                      field="reason")
    if not isinstance(start_date, date):
        raise Invalid("A suspension needs a start date.", field="start_date")
    if end_date is not None and end_date < start_date:
        raise Invalid("The suspension ends before it starts.", field="end_date")
    for other in package.suspensions:
        if (other.end_date is None or other.end_date >= start_date) and \
                (end_date is None or other.start_date <= end_date):
            raise Conflict("This overlaps another suspension of the package.",
                           fields={"start_date": ["Overlaps another suspension."]})
    suspension = PackageSuspension(start_date=start_date, end_date=end_date, reason=reason)
    package.suspensions.append(suspension)
    db.session.flush()
    changes.created(user, suspension, "package_suspended",
                    ("package_id", "start_date", "end_date", "reason"))
    refresh_visits(package)
    return suspension


def end_suspension(user: User, suspension_id, last_day: date) -> PackageSuspension:
    """The person is back (e.g. discharged home): the suspension's last day is set, and the
    visits after it are brought back."""
    suspension = db.session.get(PackageSuspension, suspension_id)
    package = access.get_administrable(
        user, CarePackage, suspension.package_id if suspension else None, "suspension")
    if not isinstance(last_day, date) or last_day < suspension.start_date:
        raise Invalid("The suspension's last day is on or after its first.", field="end_date")
    changes.apply(user, suspension, "package_suspension_ended", {"end_date": last_day})
    refresh_visits(package)
    return suspension


def end_latest_suspension(user: User, package_id, last_day: date) -> PackageSuspension:
    """end_suspension() for the package's latest suspension (the page's "back home")."""
    package = access.get_administrable(user, CarePackage, package_id, "package")
    if not package.suspensions:
        raise Invalid("The package has no suspension.", field="end_date")
    latest = max(package.suspensions, key=lambda s: s.start_date)
    return end_suspension(user, latest.id, last_day)


def end_package(user: User, package_id, last_day: date, today: date | None = None
                ) -> CarePackage:
    """End a package on its last day; visits after it are cancelled."""
    package = access.get_administrable(user, CarePackage, package_id, "package")
    if not isinstance(last_day, date) or last_day < package.start_date:
        raise Invalid("A package ends on or after its start date.", field="end_date")
    today = today or clock.today()
    values = {"end_date": last_day}
    if last_day < today:
        values["status"] = PackageStatus.ENDED
    changes.apply(user, package, "package_ended", values)
    withdraw_changes_after(user, package, last_day)
    refresh_visits(package)
    return package


def start_due_packages(today: date) -> dict:
    """The scheduler's daily step: pending packages whose start date has come become
    active, and active ones past their end date become ended. Idempotent."""
    counts = {"started": 0, "ended": 0}
    due = db.session.scalars(sa.select(CarePackage).where(
        sa.or_(sa.and_(CarePackage.status == PackageStatus.PENDING,
                       CarePackage.start_date <= today),
               sa.and_(CarePackage.status != PackageStatus.ENDED,
                       CarePackage.end_date < today)))).all()
    for package in due:
        ended = package.end_date is not None and package.end_date < today
        status = PackageStatus.ENDED if ended else PackageStatus.ACTIVE
        changes.apply(None, package, "package_status_changed", {"status": status})
        counts["ended" if ended else "started"] += 1
    db.session.flush()
    return counts


def get_package(user: User, package_id) -> CarePackage:
    """A package the user may change."""
    return access.get_administrable(user, CarePackage, package_id, "package")


def list_packages(user: User, service_user_id=None) -> list[CarePackage]:
    """Packages the user may see, newest start first; with `service_user_id`, that
    person's (NotFound for a person the user may not see, or an id that is no id)."""
    query = access.scoped(user, CarePackage).order_by(CarePackage.start_date.desc())
    if service_user_id is not None:
        person = access.get_visible(user, ServiceUser, service_user_id, "person")
        query = query.where(CarePackage.service_user_id == person.id)
    return list(db.session.scalars(query))
