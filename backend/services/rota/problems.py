"""What is wrong with a rota, defined once: the rota pages, the assignment checks and
suggestions all ask these functions.

A visit's own problems: nobody assigned, or a double-up short of a carer. A care
worker's problems, walked through their week in start order: a visit overlapping
the one before; a gap shorter than the travel time from the previous home
(rota/travel.py); the day's or the week's planned minutes over the worker's limit;
a skill the visit's pattern line requires that the worker lacks; a visit on a day
of leave; a visit outside the worker's weekly working windows (only checked for a
worker who has windows recorded).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CarerAvailability, CarerLeave, CarerSkill, ScheduleLine, User, Visit
from backend.services.attendance.geo import distance_m
from backend.services.dates import clock
from backend.services.rota.travel import gap_minutes, speed_kmh, trip_minutes

# Codes in the order a manager should deal with them (the page lists them so).
CODES = {
    "unassigned": "Nobody assigned",
    "double_up_incomplete": "Double-up short of a carer",
    "on_leave": "Carer on leave",
    "overlap": "Overlapping visits",
    "travel_time": "Gap shorter than the travel time",
    "skill_missing": "Skill missing",
    "outside_working_hours": "Outside working hours",
    "over_daily_limit": "Over daily hours",
    "over_weekly_limit": "Over weekly hours",
}


@dataclass(frozen=True)
class Problem:
    """One reason, with a stable code for screens and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True)
class CarerTerms:
    """What a care worker brings to the rota: skills, windows, leave, limits, travel."""

    id: object
    skills: frozenset
    windows: dict  # weekday -> ((start, end), ...); empty: not recorded, not checked
    leave: tuple  # ((first day, last day), ...) inclusive
    max_daily_minutes: int | None
    max_weekly_minutes: int | None
    travel_mode: str | None

    def on_leave(self, day: date) -> bool:
        """Whether the worker is away that day."""
        return any(first <= day <= last for first, last in self.leave)

    def works(self, day: date, start: time, end: time) -> bool:
        """Whether start..end on that day falls inside one of the worker's windows."""
        if not self.windows:
            return True
        return any(a <= start and (end <= b or b == time(0)) and start <= end
                   for a, b in self.windows.get(day.weekday(), ()))


@dataclass(frozen=True)
class Stop:
    """One visit in a worker's week, as the rules need it."""

    visit_id: object
    start: datetime
    end: datetime
    local_date: date
    home: tuple[float, float]
    minutes: int
    skills: frozenset
    contract_speed_kmh: int


def carer_terms(workers: list[User]) -> dict:
    """Each worker's terms, read in three statements whatever the number of workers."""
    ids = [w.id for w in workers]
    skills, windows, leave = defaultdict(set), defaultdict(lambda: defaultdict(list)), \
        defaultdict(list)
    for worker_id, skill in db.session.execute(
            sa.select(CarerSkill.worker_id, CarerSkill.skill).where(CarerSkill.worker_id.in_(ids))):
        skills[worker_id].add(str(skill))
    for row in db.session.scalars(
            sa.select(CarerAvailability).where(CarerAvailability.worker_id.in_(ids))
            .order_by(CarerAvailability.start_time)):
        windows[row.worker_id][row.weekday].append((row.start_time, row.end_time))
    for row in db.session.scalars(
            sa.select(CarerLeave).where(CarerLeave.worker_id.in_(ids))):
        leave[row.worker_id].append((row.start_date, row.end_date))
    return {w.id: CarerTerms(
        w.id, frozenset(skills[w.id]), {d: tuple(v) for d, v in windows[w.id].items()},
        tuple(leave[w.id]), w.max_daily_minutes, w.max_weekly_minutes, w.travel_mode)
        for w in workers}


def line_skills(visits: list[Visit]) -> dict:
    """The skills each visit's pattern line requires -> {visit id: frozenset}."""
    line_ids = {v.schedule_line_id for v in visits if v.schedule_line_id}
    skills = dict(db.session.execute(
        sa.select(ScheduleLine.id, ScheduleLine.required_skills)
        .where(ScheduleLine.id.in_(line_ids))).all()) if line_ids else {}
    return {v.id: frozenset(skills.get(v.schedule_line_id) or ()) for v in visits}


def stop_of(visit: Visit, skills: frozenset) -> Stop:
    """A visit as the problem rules read it."""
    person = visit.package.service_user
    return Stop(visit.id, visit.planned_start, visit.planned_end, visit.local_date,
                      (person.home_lat, person.home_lon), visit.duration_min, skills,
                      visit.package.contract.travel_speed_kmh)


def visit_problems(carers_required: int, assigned: int) -> list[Problem]:
    """A visit nobody is on, or a double-up still short of a carer."""
    if assigned == 0:
        return [Problem("unassigned", f"Nobody is assigned; the visit needs {carers_required}.")]
    if assigned < carers_required:
        return [Problem("double_up_incomplete", (
            f"The visit needs {carers_required} workers; {assigned} assigned."))]
    return []


def week_problems(terms: CarerTerms, stops: list[Stop]) -> dict:
    """Problems of each of a worker's visits (stops in start order) -> {visit id: [Problem]}."""
    found = defaultdict(list)
    day_minutes: dict = defaultdict(int)
    week_minutes = 0
    previous: Stop | None = None
    latest_end: Stop | None = None
    zone = clock.zone()
    for stop in stops:
        problems = found[stop.visit_id]
        if terms.on_leave(stop.local_date):
            problems.append(Problem("on_leave", "The worker is on leave that day."))
        missing = sorted(stop.skills - terms.skills)
        if missing:
            problems.append(Problem("skill_missing", "The visit needs " + ", ".join(
                s.replace("_", " ") for s in missing) + "; the worker is not trained for it."))
        start, end = stop.start.astimezone(zone), stop.end.astimezone(zone)
        if not terms.works(stop.local_date, start.time(), end.time()):
            problems.append(Problem("outside_working_hours", (
                f"{start:%H:%M}-{end:%H:%M} is outside the worker's working hours.")))
        same_day = previous is not None and previous.local_date == stop.local_date
        if same_day and latest_end.end > stop.start:
            problems.append(Problem("overlap", (
                f"Overlaps the {latest_end.start.astimezone(zone):%H:%M} visit.")))
        elif same_day:
            problems.extend(_travel(terms, previous, stop))
        before = day_minutes[stop.local_date]
        day_minutes[stop.local_date] += stop.minutes
        limit = terms.max_daily_minutes
        if limit is not None and before <= limit < day_minutes[stop.local_date]:
            problems.append(Problem("over_daily_limit", (
                f"{day_minutes[stop.local_date]} planned minutes that day; the worker's "
                f"limit is {limit}.")))
        week_limit, week_minutes = terms.max_weekly_minutes, week_minutes + stop.minutes
        if week_limit is not None and week_minutes - stop.minutes <= week_limit < week_minutes:
            problems.append(Problem("over_weekly_limit", (
                f"{week_minutes} planned minutes this week; the worker's limit is "
                f"{week_limit}.")))
        if not same_day or stop.end > latest_end.end:
            latest_end = stop
        previous = stop
    return {k: v for k, v in found.items() if v}


def added_problems(terms: CarerTerms, others: list[Stop], stop: Stop) -> list[Problem]:
    """The problems putting the worker on `stop` adds to their week (others by start):
    the rules' verdicts with the visit and without it, compared."""
    without = week_problems(terms, others)
    with_it = week_problems(terms, sorted([*others, stop], key=lambda s: s.start))
    before = {(k, p.code) for k, found in without.items() for p in found}
    return [p for k, found in with_it.items() for p in found if (k, p.code) not in before]


def gap_and_travel(terms: CarerTerms, a: Stop, b: Stop) -> tuple[int, int, float]:
    """Minutes between a's end and b's start, minutes of travel needed, and speed."""
    speed = speed_kmh(terms.travel_mode, b.contract_speed_kmh)
    return gap_minutes(a.end, b.start), trip_minutes(a.home, b.home, speed), speed


def _travel(terms: CarerTerms, a: Stop, b: Stop) -> list[Problem]:
    gap, needed, speed = gap_and_travel(terms, a, b)
    if gap >= needed:
        return []
    km = distance_m(a.home, b.home) / 1000
    return [Problem("travel_time", (
        f"{km:.1f} km from the {a.start.astimezone(clock.zone()):%H:%M} visit needs "
        f"{needed} min at {speed:g} km/h; the gap is {gap} min."))]
