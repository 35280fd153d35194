"""A provider's rota for a week or a day, by care worker or by area, problems first.

The problems are services/rota/problems.py's, walked over each worker's whole week (a
weekly limit needs the days before); a day view shows that day's part of it.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    Area, CarePackage, CarerArea, User, Visit, VisitAssignment, VisitStatus,
)
from backend.services.audit import access_log
from backend.services.identity.access import visible
from backend.services.rota import problems as rules
from backend.services.rota.assignments import care_workers


@dataclass
class RotaBlock:
    """One visit in a worker's day, and how it follows the previous one."""

    visit: Visit
    anchor: str
    gap_min: int | None = None  # minutes since the previous visit ended
    travel_needed_min: int | None = None
    problems: list = field(default_factory=list)  # rules.Problem


@dataclass
class RotaRow:
    """A care worker (None: visits nobody is on) and their visits by day."""

    worker: User | None
    detail: str  # staff reference and areas: tells two people of the same name apart
    by_day: dict
    problem_count: int = 0


@dataclass
class ProblemLine:
    """One problem in the list at the top of the page, with where to find it."""

    code: str
    title: str
    message: str
    visit: Visit
    worker: User | None
    anchor: str


@dataclass
class RotaWeek:
    """Rows of workers, columns of days, and the problems listed first."""

    monday: date
    days: list[date]
    rows: list[RotaRow]
    continuity: dict  # service user id -> distinct carers this month
    problems: list[ProblemLine]
    areas: list[Area]
    area: Area | None = None

    @property
    def problem_count(self) -> int:
        """How many problems the shown rows have."""
        return len(self.problems)


def week_start(day: date) -> date:
    """The Monday of the week a day falls in."""
    return day - timedelta(days=day.weekday())


def _week_visits(user: User, days: list[date]) -> list[Visit]:
    return db.session.scalars(
        sa.select(Visit).where(visible(user, Visit), Visit.local_date.between(days[0], days[-1]),
                               Visit.status != VisitStatus.CANCELLED)
        .options(selectinload(Visit.assignments),
                 selectinload(Visit.package).selectinload(CarePackage.service_user),
                 selectinload(Visit.package).selectinload(CarePackage.contract))
        .order_by(Visit.planned_start)).all()


def worker_areas(workers: list[User]) -> dict:
    """Each worker's areas -> {worker id: [Area]}."""
    found = defaultdict(list)
    for worker_id, area in db.session.execute(
            sa.select(CarerArea.worker_id, Area).join(Area, Area.id == CarerArea.area_id)
            .where(CarerArea.worker_id.in_([w.id for w in workers])).order_by(Area.name)):
        found[worker_id].append(area)
    return found


def rota_week(user: User, any_day: date, view: str = "week", area_id=None, worker_id=None,
              problems_only: bool = False) -> RotaWeek:
    """The week (or only the day, view="day") containing any_day, as the user may see it.

    area_id keeps the workers of that area and the unassigned visits of its people;
    worker_id keeps one worker; problems_only keeps the rows and visits with problems.
    """
    if view not in ("week", "day"):
        raise Invalid("Choose the week or the day view.", field="view")
    monday = week_start(any_day)
    access_log.record_read(user, "rota_week", user.organisation_id, week=monday)
    week_days = [monday + timedelta(days=i) for i in range(7)]
    visits = _week_visits(user, week_days)
    workers = care_workers(user)
    by_id = {w.id: w for w in workers}
    terms = rules.carer_terms(workers)
    areas = worker_areas(workers)
    skills = rules.line_skills(visits)
    stops = {v.id: rules.stop_of(v, skills[v.id]) for v in visits}
    grid: dict = defaultdict(lambda: defaultdict(list))
    found: dict = {}
    for visit in visits:
        assigned = [a.worker_id for a in visit.assignments if a.worker_id in by_id]
        own = rules.visit_problems(visit.carers_required, len(assigned))
        for worker in assigned or [None]:
            key = worker or "none"
            block = RotaBlock(visit, f"v-{visit.id}-{key}", problems=list(own))
            grid[worker][visit.local_date].append(block)
    for worker in workers:
        blocks = [b for day in week_days for b in grid[worker.id][day]]
        found = rules.week_problems(terms[worker.id], [stops[b.visit.id] for b in blocks])
        for before, after in zip(blocks, blocks[1:], strict=False):
            if before.visit.local_date == after.visit.local_date:
                after.gap_min, after.travel_needed_min, _ = rules.gap_and_travel(
                    terms[worker.id], stops[before.visit.id], stops[after.visit.id])
        for block in blocks:
            block.problems += found.get(block.visit.id, [])
    days = week_days if view == "week" else [any_day]
    area = db.session.get(Area, area_id) if area_id else None
    if area_id and area is None:
        raise Invalid("No such area.", field="area")
    rows = []
    if worker_id is None:
        unassigned = {d: [b for b in grid[None][d] if area is None
                          or b.visit.package.service_user.area_id == area.id] for d in days}
        rows.append(RotaRow(None, "", unassigned))
    for worker in workers:
        if (worker_id is not None and str(worker.id) != str(worker_id)) or \
                (area is not None and area not in areas[worker.id]):
            continue
        detail = " · ".join([worker.staff_ref or str(worker.id)[:8]]
                            + [a.name for a in areas[worker.id]])
        rows.append(RotaRow(worker, detail, {d: grid[worker.id][d] for d in days}))
    problems = []
    for row in rows:
        for day in days:
            if problems_only:
                row.by_day[day] = [b for b in row.by_day[day] if b.problems]
            for block in row.by_day[day]:
                row.problem_count += len(block.problems)
                problems += [ProblemLine(p.code, rules.CODES[p.code], p.message, block.visit,
                                         row.worker, block.anchor) for p in block.problems]
    if problems_only:
        rows = [r for r in rows if r.problem_count]
    else:
        rows = [r for r in rows if r.worker is not None or any(r.by_day.values())]
    order = list(rules.CODES)
    problems.sort(key=lambda p: (order.index(p.code), p.visit.planned_start))
    all_areas = sorted({a for theirs in areas.values() for a in theirs}, key=lambda a: a.name)
    return RotaWeek(monday, days, rows, continuity_this_month(user, any_day), problems,
                    all_areas, area)


def continuity_this_month(user: User, day: date) -> dict:
    """Distinct carers each person has had this calendar month so far (fewer is better)."""
    first = day.replace(day=1)
    rows = db.session.execute(
        sa.select(CarePackage.service_user_id,
                  sa.func.count(sa.distinct(VisitAssignment.worker_id)))
        .join(Visit, Visit.package_id == CarePackage.id)
        .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
        .where(visible(user, Visit), Visit.local_date.between(first, day),
               Visit.status != VisitStatus.CANCELLED)
        .group_by(CarePackage.service_user_id)).all()
    return {person_id: count for person_id, count in rows}
