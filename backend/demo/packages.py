"""Step: packages of care with weekly patterns, funders and hospital stays.

Set up as the funders set theirs up: the council's commissioner imports the council's
people and packages (with their weekly patterns), the ICB's the NHS-funded ones, through
the bulk import fed the rows its files would hold; a provider's manager records a
hospital stay by suspending the package.
"""
from dataclasses import dataclass, replace
from datetime import date, time, timedelta

import sqlalchemy as sa

from backend.demo import patterns
from backend.demo.county import DemoCounty, PackageFacts, PersonFacts
from backend.demo.tables import import_rows
from backend.extensions import db
from backend.models import CarePackage, ScheduleLine, ServiceUser
from backend.services.administration.packages import suspend_package
from backend.services.bulk_import.cells import DAY_NAMES

# Which demo sign-in imports each funder's people and packages.
IMPORTED_BY = {"council": "commissioner", "nhs": "nhs"}


@dataclass(frozen=True)
class Line:
    """A schedule line as schedule.planned_visits reads it."""

    id: object  # set once the package is imported
    weekday: int
    start_time: time
    duration_min: int
    carers_required: int
    priority: str
    tasks: tuple[str, ...]
    short_call_agreed: bool = False
    required_skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suspension:
    """A pause as schedule.planned_visits reads it."""

    start_date: date
    end_date: date | None


def add_packages(county: DemoCounty) -> None:
    """One package per person (reablement may be followed by a smaller standard one)."""
    rng, needs = county.rng("packages"), county.rng("required skills")
    funded = {}  # package id -> funder kind, until the packages are imported
    for person in county.people:
        kind = rng.random()
        kind = "continuing_healthcare" if kind < 0.07 else "reablement" if kind < 0.15 \
            else "standard"
        steady = person is county.people[0]  # the first provider's: daily, four calls
        if steady:
            kind, provider = "standard", county.providers[0]
        else:
            provider = _provider_for(rng, county, person, kind)
        start, end, pattern = _dates_and_pattern(rng, county, kind)
        if steady:
            start, end, pattern = county.first_day - timedelta(days=400), None, \
                patterns.FOUR_CALLS
        funder = "nhs" if kind == "continuing_healthcare" else "council"
        _package(county, rng, funded, person, provider, funder, kind, start, end, pattern,
                 double_up=kind == "continuing_healthcare" or rng.random() < 0.08,
                 steady=steady, needs=needs)
        if kind == "reablement" and end < county.last_day and rng.random() < 0.6:
            follow = rng.choice(patterns.AFTER_REABLEMENT)
            _package(county, rng, funded, person, provider, "council", "standard",
                     end + timedelta(days=1), None, follow, double_up=False, needs=needs)
    _import(county, funded)
    for package in county.packages:  # hospital stays, as the provider heard of them
        for stay in package.suspensions:
            suspend_package(county.account_of(package.provider.manager_id), package.id,
                            stay.start_date, stay.end_date, "In hospital")
            county.count("package_suspensions", 1)


def _import(county: DemoCounty, funded: dict) -> None:
    """Each funder's commissioner imports its people, then its packages; the facts take
    the ids the import gave."""
    for funder, login in IMPORTED_BY.items():
        user = county.account(login)
        packages = [p for p in county.packages if funded[p.reference] == funder]
        people = list({p.person.council_ref: None for p in packages})
        if people:
            import_rows(user, "service_users", [county.person_rows.pop(r) for r in people])
            county.count("service_users", len(people))
        if packages:
            import_rows(user, "packages", [row for p in packages for row in _rows(p)])
            county.count("care_packages", len(packages))
            county.count("schedule_lines", sum(len(p.schedule) for p in packages))
    people = dict(db.session.execute(sa.select(ServiceUser.council_ref, ServiceUser.id)).all())
    for person in county.people:
        person.id = people[person.council_ref]
    ids = dict(db.session.execute(sa.select(CarePackage.reference, CarePackage.id)).all())
    lines = {(line.package_id, line.weekday, line.start_time): line.id
             for line in db.session.execute(sa.select(
                 ScheduleLine.id, ScheduleLine.package_id, ScheduleLine.weekday,
                 ScheduleLine.start_time))}
    for package in county.packages:
        package.id = ids[package.reference]
        package.schedule = [replace(line, id=lines[package.id, line.weekday, line.start_time])
                            for line in package.schedule]


def _rows(package: PackageFacts) -> list[dict]:
    """The package as rows of the packages template: one per call in the week."""
    head = dict(reference=package.reference, council_ref=package.person.council_ref,
                contract=package.contract.name, package_type=package.package_type,
                hours_per_week=f"{package.weekly_minutes / 60:g}",
                start_date=package.start_date.isoformat(),
                end_date=package.end_date.isoformat() if package.end_date else "")
    return [dict(head, day=DAY_NAMES[line.weekday], start_time=f"{line.start_time:%H:%M}",
                 minutes=str(line.duration_min), carers=str(line.carers_required),
                 priority=line.priority, tasks="; ".join(line.tasks),
                 required_skills=", ".join(line.required_skills),
                 short_call_agreed="yes" if line.short_call_agreed else "no")
            for line in package.schedule]


def _provider_for(rng, county: DemoCounty, person: PersonFacts, kind: str):
    """A provider serving the person's lot, by size; new reablement avoids suspended ones."""
    funder = "nhs" if kind == "continuing_healthcare" else "council"
    able = [p for p in county.providers if funder in p.contracts
            and not (kind == "reablement" and p.suspended)]
    local = [p for p in able if person.area in p.areas] or able
    return rng.choices(local, weights=[p.weight for p in local])[0]


def _dates_and_pattern(rng, county: DemoCounty, kind: str):
    today, window = county.today, county.past_days
    if kind == "reablement":  # six weeks, started recently
        start = today - timedelta(days=rng.randint(3, max(41, window + 20)))
        return start, start + timedelta(days=41), patterns.REABLEMENT
    if kind == "continuing_healthcare":
        return today - timedelta(days=rng.randint(60, 1500)), None, patterns.FOUR_CALLS
    pattern = rng.choices(patterns.STANDARD, weights=[p.weight for p in patterns.STANDARD])[0]
    roll = rng.random()
    if roll < 0.04:  # a new package during the window
        return today - timedelta(days=rng.randint(0, max(1, window))), None, pattern
    start = today - timedelta(days=rng.randint(max(60, window), 1500 + window))
    if roll < 0.07:  # ended during the window (moved into a care home, or died)
        return start, today - timedelta(days=rng.randint(1, max(1, window))), pattern
    return start, None, pattern


def _package(county, rng, funded, person, provider, funder, kind, start, end, pattern,
             double_up, steady=False, needs=None) -> PackageFacts:
    critical_meds = rng.random() < 0.15  # insulin or time-critical medication
    # Training some of the person's calls need (drawn from a stream of its own so the
    # rest of the county stays as it was): dementia care, a catheter, tube feeding.
    roll = needs.random() if needs else 1.0
    person_needs = ("dementia",) if roll < 0.08 else ("catheter_care",) if roll < 0.11 \
        else ("peg_feeding",) if roll < 0.12 else ()
    lines = []
    for slot, minutes in pattern.calls:
        at = patterns.slot_time(rng, slot)
        tasks = patterns.tasks_for(slot, minutes)
        critical = critical_meds and ("Medication" in tasks or "Medication prompt" in tasks)
        carers = 2 if double_up and slot in ("morning", "bed") and minutes >= 30 else 1
        if carers == 2:
            tasks = [*tasks, "Hoist transfer"]
        # NICE QS123: the medication-prompt pattern's 15-minute calls were agreed in the
        # plan; other short calls (e.g. "four short calls") were not.
        agreed = minutes < 30 and pattern in patterns.SHORT_CALLS_AGREED
        # A hoist transfer needs moving and handling training; time-critical medicines
        # need a carer trained to give them (not only to prompt).
        skills = tuple(sorted({*person_needs, *(["moving_and_handling"] if carers == 2 else []),
                               *(["medication"] if critical else [])}))
        for weekday in pattern.weekdays:
            lines.append(Line(None, weekday, at, minutes, carers,
                              "critical" if critical else "normal", tuple(tasks), agreed,
                              skills))
    suspensions = []
    if rng.random() < 0.02 and not steady:  # a hospital stay in the window
        away = county.today - timedelta(days=rng.randint(1, max(2, county.past_days)))
        suspensions.append(Suspension(away, away + timedelta(days=rng.randint(3, 10))))
    # The funder's own reference: what its import file matches the package on.
    reference = f"POC{len(county.packages) + 1:06d}"
    funded[reference] = funder
    facts = PackageFacts(
        id=None, person=person, provider=provider, contract=provider.contracts[funder],
        package_type=kind, start_date=start, end_date=end, schedule=lines,
        suspensions=suspensions, reference=reference,
        weekly_minutes=sum(line.duration_min * line.carers_required for line in lines))
    county.packages.append(facts)
    return facts
