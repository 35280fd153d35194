"""Step: packages of care with weekly patterns, funders and hospital stays."""
import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta

from backend.demo import patterns
from backend.services.database.dialect import load_rows
from backend.demo.county import DemoCounty, PackageFacts, PersonFacts
from backend.models import CarePackage, PackageSuspension, ScheduleLine


@dataclass(frozen=True)
class Line:
    """A schedule line as schedule.planned_visits reads it."""

    id: object
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
    rows = {"care_packages": [], "schedule_lines": [], "package_suspensions": []}
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
        _package(county, rng, rows, person, provider, funder, kind, start, end, pattern,
                 double_up=kind == "continuing_healthcare" or rng.random() < 0.08,
                 steady=steady, needs=needs)
        if kind == "reablement" and end < county.last_day and rng.random() < 0.6:
            follow = rng.choice(patterns.AFTER_REABLEMENT)
            _package(county, rng, rows, person, provider, "council", "standard",
                     end + timedelta(days=1), None, follow, double_up=False, needs=needs)
    for table in (CarePackage.__table__, ScheduleLine.__table__, PackageSuspension.__table__):
        county.count(table.name, load_rows(table, rows[table.name]))


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


def _package(county, rng, rows, person, provider, funder, kind, start, end, pattern,
             double_up, steady=False, needs=None) -> PackageFacts:
    package_id = uuid.uuid4()
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
            lines.append(Line(uuid.uuid4(), weekday, at, minutes, carers,
                              "critical" if critical else "normal", tuple(tasks), agreed,
                              skills))
    suspensions = []
    if rng.random() < 0.02 and not steady:  # a hospital stay in the window
        away = county.today - timedelta(days=rng.randint(1, max(2, county.past_days)))
        suspensions.append(Suspension(away, away + timedelta(days=rng.randint(3, 10))))
    ended = end is not None and end < county.today
    rows["care_packages"].append(dict(
        id=package_id, created_at=county.now, service_user_id=person.id,
        provider_id=provider.id, funder_id=provider.contracts[funder].funder_id,
        contract_id=provider.contracts[funder].id, package_type=kind,
        weekly_minutes=sum(line.duration_min * line.carers_required for line in lines),
        start_date=start, end_date=end,
        # A follow-on package agreed to start later is active too: visit generation plans
        # active packages only (from their start date), and nothing activates a pending one.
        status="ended" if ended else "active"))
    rows["schedule_lines"] += [dict(
        id=line.id, package_id=package_id, weekday=line.weekday, start_time=line.start_time,
        duration_min=line.duration_min, carers_required=line.carers_required,
        priority=line.priority, tasks=list(line.tasks),
        required_skills=list(line.required_skills),
        short_call_agreed=line.short_call_agreed) for line in lines]
    rows["package_suspensions"] += [dict(
        id=uuid.uuid4(), created_at=county.now, package_id=package_id, start_date=s.start_date,
        end_date=s.end_date, reason="In hospital") for s in suspensions]
    facts = PackageFacts(
        id=package_id, person=person, provider=provider, contract=provider.contracts[funder],
        package_type=kind, start_date=start, end_date=end, schedule=lines,
        suspensions=suspensions)
    county.packages.append(facts)
    return facts
