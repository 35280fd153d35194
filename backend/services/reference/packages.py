"""Contracts and packages of care, and the weekly pattern of calls, validated."""
from dataclasses import dataclass
from datetime import date, time

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, BillingBasis, CarePackage, Contract, DoubleUpRule, MonitoringRule, Organisation,
    UnverifiedVisits,
    PackageType, Priority, Rounding, ScheduleLine, ServiceUser, Skill,
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
    required_skills: tuple[str, ...] = ()
    short_call_agreed: bool = False


_CONTRACT_RANGES = {  # field: (lowest, highest, what it is)
    "offline_window_hours": (1, MAX_OFFLINE_WINDOW_HOURS, "offline window in hours"),
    "geofence_radius_m": (20, 2000, "geofence radius in metres"),
    "accuracy_allowance_max_m": (0, 500, "GPS accuracy allowance in metres"),
    "home_logging_target_pct": (0, 100, "home-logging target in per cent"),
    "concern_escalate_after_min": (1, 24 * 60, "concern escalation time in minutes"),
    "lock_after_days": (1, 366, "lock period in days"),
    "travel_speed_kmh": (1, 200, "travel speed in km/h"),
    "minimum_billable_min": (0, 240, "minimum billable minutes"),
    "hourly_rate_pence": (0, 1_000_000, "hourly rate in pence"),
    "floor_rate_pence": (0, 1_000_000, "floor rate in pence"),
    "ceiling_rate_pence": (0, 1_000_000, "ceiling rate in pence"),
}
_CONTRACT_CHOICES = {"billing_basis": BillingBasis, "rounding": Rounding,
                     "double_up_rule": DoubleUpRule, "unverified_visits": UnverifiedVisits}
CONTRACT_TERMS = (*_CONTRACT_RANGES, *_CONTRACT_CHOICES, "rounding_unit_min",
                  "complete_units_only")


def check_contract_terms(terms: dict, current: Contract | None = None) -> dict:
    """A contract's terms checked (each bad one named); `current` gives the terms a
    change leaves as they are, so a floor is never left above its ceiling."""
    checked = {}
    for name, value in terms.items():
        if name in _CONTRACT_RANGES:
            low, high, what = _CONTRACT_RANGES[name]
            nullable = name in ("floor_rate_pence", "ceiling_rate_pence")
            checked[name] = None if value is None and nullable else \
                validation.in_range(value, low, high, name, what)
        elif name in _CONTRACT_CHOICES:
            checked[name] = validation.choice(_CONTRACT_CHOICES[name], value, name)
        elif name == "rounding_unit_min":
            if value not in ROUNDING_UNITS:
                raise Invalid(f"Rounding units are {', '.join(map(str, ROUNDING_UNITS))} "
                              "minutes.", field=name)
            checked[name] = value
        elif name == "complete_units_only":
            checked[name] = bool(value)
        else:
            raise Invalid(f"{name} is not a term of a contract.", field=name)
    floor = checked.get("floor_rate_pence", current and current.floor_rate_pence)
    ceiling = checked.get("ceiling_rate_pence", current and current.ceiling_rate_pence)
    if floor is not None and ceiling is not None and floor > ceiling:
        raise Invalid("The floor rate is above the ceiling rate.", field="floor_rate_pence")
    return checked


def create_contract(funder: Organisation, provider: Organisation, name: str,
                    starts_on: date, ends_on: date | None = None, **rules) -> Contract:
    """A contract with DOMAIN.md's default rules unless told otherwise."""
    if not funder.is_funder:
        raise Invalid("A contract's funder must be a council or an NHS body.", field="funder")
    if provider.is_funder:
        raise Invalid("A contract's provider must be a care provider.", field="provider")
    if not (name or "").strip():
        raise Invalid("A contract needs a name.", field="name")
    if ends_on is not None and ends_on < starts_on:
        raise Invalid("The contract ends before it starts.", field="ends_on")
    contract = Contract(funder_id=funder.id, provider_id=provider.id, name=name.strip(),
                        starts_on=starts_on, ends_on=ends_on, **check_contract_terms(rules))
    for priority, values in DEFAULT_RULES.items():
        contract.rules.append(MonitoringRule(priority=priority, **values))
    db.session.add(contract)
    db.session.flush()
    return contract


def check_lines(lines: list[CallLine]) -> list[CallLine]:
    """Each line valid, and no two calls on one weekday overlapping."""
    checked = []
    for i, line in enumerate(lines):
        where = f"schedule[{i}]"
        validation.in_range(line.weekday, 0, 6, f"{where}.weekday", "weekday (0 = Monday)")
        if not isinstance(line.start_time, time):
            raise Invalid("A call needs a start time (HH:MM).", field=f"{where}.start_time")
        validation.in_range(line.duration_min, 5, MAX_CALL_MIN, f"{where}.duration_min",
                            "call length in minutes")
        validation.in_range(line.carers_required, 1, MAX_CARERS, f"{where}.carers_required",
                            "number of carers")
        priority = validation.choice(Priority, line.priority, f"{where}.priority")
        tasks = tuple(str(t).strip() for t in line.tasks if str(t).strip())
        if len(tasks) > MAX_TASKS or any(len(t) > 200 for t in tasks):
            raise Invalid(f"At most {MAX_TASKS} tasks of up to 200 characters.",
                          field=f"{where}.tasks")
        skills = tuple(sorted({validation.choice(Skill, skill, f"{where}.required_skills").value
                               for skill in line.required_skills}))
        checked.append(CallLine(line.weekday, line.start_time, line.duration_min,
                                line.carers_required, priority, tasks, skills,
                                bool(line.short_call_agreed)))
    by_day = sorted(enumerate(checked), key=lambda p: (p[1].weekday, p[1].start_time))
    for (_, a), (j, b) in zip(by_day, by_day[1:], strict=False):
        a_end = a.start_time.hour * 60 + a.start_time.minute + a.duration_min
        if a.weekday == b.weekday and b.start_time.hour * 60 + b.start_time.minute < a_end:
            raise Invalid(f"This call overlaps the {a.start_time:%H:%M} call on the same day.",
                          field=f"schedule[{j}].start_time")
    return checked


def create_package(service_user: ServiceUser, contract: Contract, package_type,
                   weekly_minutes: int, start_date: date, end_date: date | None = None,
                   schedule: list[CallLine] = (), **extra) -> CarePackage:
    """A package of care under a contract, with its weekly pattern."""
    kind = validation.choice(PackageType, package_type, "package_type")
    validation.in_range(weekly_minutes, 0, MAX_WEEKLY_MIN, "weekly_minutes",
                        "commissioned minutes a week")
    if end_date is not None and end_date < start_date:
        raise Invalid("The package ends before it starts.", field="end_date")
    package = CarePackage(service_user_id=service_user.id, provider_id=contract.provider_id,
                          funder_id=contract.funder_id, contract_id=contract.id,
                          package_type=kind, weekly_minutes=weekly_minutes,
                          start_date=start_date, end_date=end_date, **extra)
    db.session.add(package)
    set_schedule(package, schedule)
    return package


def set_schedule(package: CarePackage, lines: list[CallLine]) -> list[ScheduleLine]:
    """Replace the package's weekly pattern (visits already made are regenerated elsewhere)."""
    checked = check_lines(list(lines))
    package.schedule.clear()
    db.session.flush()
    for line in checked:
        package.schedule.append(ScheduleLine(
            weekday=line.weekday, start_time=line.start_time, duration_min=line.duration_min,
            carers_required=line.carers_required, priority=line.priority,
            tasks=list(line.tasks), required_skills=list(line.required_skills),
            short_call_agreed=line.short_call_agreed))
    db.session.flush()
    return package.schedule
