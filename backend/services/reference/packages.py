"""Contracts and packages of care, and the weekly pattern of calls, validated."""
from dataclasses import dataclass
from datetime import date, time

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, CarePackage, Contract, MonitoringRule, Organisation, PackageType, Priority,
    ScheduleLine, ServiceUser,
)
from backend.models.contracts import MAX_OFFLINE_WINDOW_HOURS, ROUNDING_UNITS
from backend.services.reference import validation

MAX_CALL_MIN = 24 * 60  # a live-in day is the longest single call
MAX_WEEKLY_MIN = 7 * 24 * 60 * 2  # two carers round the clock
MAX_CARERS = 4
MAX_TASKS = 30


@dataclass(frozen=True)
class CallLine:
    """One line of a weekly pattern as given by a caller."""

    weekday: int
    start_time: time
    duration_min: int
    carers_required: int = 1
    priority: Priority | str = Priority.NORMAL
    tasks: tuple[str, ...] = ()


def create_contract(funder: Organisation, provider: Organisation, name: str,
                    starts_on: date, **rules) -> Contract:
    """A contract with DOMAIN.md's default rules unless told otherwise."""
    if not funder.is_funder:
        raise Invalid("A contract's funder must be a council or an NHS body.", field="funder")
    if provider.is_funder:
        raise Invalid("A contract's provider must be a care provider.", field="provider")
    window = rules.get("offline_window_hours", 24)
    validation.in_range(window, 1, MAX_OFFLINE_WINDOW_HOURS, "offline_window_hours",
                        "offline window in hours")
    unit = rules.get("rounding_unit_min", 1)
    if unit not in ROUNDING_UNITS:
        raise Invalid(f"Rounding units are {', '.join(map(str, ROUNDING_UNITS))} minutes.",
                      field="rounding_unit_min")
    validation.in_range(rules.get("geofence_radius_m", 200), 20, 2000, "geofence_radius_m",
                        "geofence radius in metres")
    floor, ceiling = rules.get("floor_rate_pence"), rules.get("ceiling_rate_pence")
    if floor is not None and ceiling is not None and floor > ceiling:
        raise Invalid("The floor rate is above the ceiling rate.", field="floor_rate_pence")
    contract = Contract(funder_id=funder.id, provider_id=provider.id, name=name,
                        starts_on=starts_on, **rules)
    for priority, values in DEFAULT_RULES.items():
        contract.rules.append(MonitoringRule(priority=priority, **values))
    db.session.add(contract)
    db.session.flush()
    return contract


def _check_lines(lines: list[CallLine]) -> list[CallLine]:
    """Each line valid, and no two calls on one weekday overlapping."""
    checked = []
    for i, line in enumerate(lines):
        where = f"schedule[{i}]"
        validation.in_range(line.weekday, 0, 6, f"{where}.weekday", "weekday (0 = Monday)")
        validation.in_range(line.duration_min, 5, MAX_CALL_MIN, f"{where}.duration_min",
                            "call length in minutes")
        validation.in_range(line.carers_required, 1, MAX_CARERS, f"{where}.carers_required",
                            "number of carers")
        priority = validation.choice(Priority, line.priority, f"{where}.priority")
        tasks = tuple(str(t).strip() for t in line.tasks if str(t).strip())
        if len(tasks) > MAX_TASKS or any(len(t) > 200 for t in tasks):
            raise Invalid(f"At most {MAX_TASKS} tasks of up to 200 characters.",
                          field=f"{where}.tasks")
        checked.append(CallLine(line.weekday, line.start_time, line.duration_min,
                                line.carers_required, priority, tasks))
    by_day = sorted(enumerate(checked), key=lambda p: (p[1].weekday, p[1].start_time))
    for (_, a), (j, b) in zip(by_day, by_day[1:], strict=False):
        a_end = a.start_time.hour * 60 + a.start_time.minute + a.duration_min
        if a.weekday == b.weekday and b.start_time.hour * 60 + b.start_time.minute < a_end:
            raise Invalid(f"This call overlaps the {a.start_time:%H:%M} call on the same day.",
                          field=f"schedule[{j}].start_time")
    return checked


def create_package(service_user: ServiceUser, contract: Contract, package_type,
                   weekly_minutes: int, start_date: date, end_date: date | None = None,
                   schedule: list[CallLine] = ()) -> CarePackage:
    """A package of care under a contract, with its weekly pattern."""
    kind = validation.choice(PackageType, package_type, "package_type")
    validation.in_range(weekly_minutes, 0, MAX_WEEKLY_MIN, "weekly_minutes",
                        "commissioned minutes a week")
    if end_date is not None and end_date < start_date:
        raise Invalid("The package ends before it starts.", field="end_date")
    package = CarePackage(service_user_id=service_user.id, provider_id=contract.provider_id,
                          funder_id=contract.funder_id, contract_id=contract.id,
                          package_type=kind, weekly_minutes=weekly_minutes,
                          start_date=start_date, end_date=end_date)
    db.session.add(package)
    set_schedule(package, schedule)
    return package


def set_schedule(package: CarePackage, lines: list[CallLine]) -> list[ScheduleLine]:
    """Replace the package's weekly pattern (visits already made are regenerated elsewhere)."""
    checked = _check_lines(list(lines))
    package.schedule.clear()
    db.session.flush()
    for line in checked:
        package.schedule.append(ScheduleLine(
            weekday=line.weekday, start_time=line.start_time, duration_min=line.duration_min,
            carers_required=line.carers_required, priority=line.priority,
            tasks=list(line.tasks)))
    db.session.flush()
    return package.schedule
