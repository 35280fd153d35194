"""A provider's week of visits by worker and day, with the problems a manager must see."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import CarePackage, User, Visit, VisitAssignment, VisitStatus
from backend.services.audit import access_log
from backend.services.dates import clock
from backend.services.identity.access import visible
from backend.services.rota.assignments import care_workers
from backend.services.attendance.geo import travel_minutes

# A geodesic costs about a millisecond; a week repeats the same trips between the same
# homes many times (rounds), so each distinct trip is computed once.
_travel_minutes = lru_cache(maxsize=65536)(travel_minutes)


@dataclass
class RotaBlock:
    """One visit in a worker's day, and how it follows the previous one."""

    visit: Visit
    gap_min: int | None = None  # minutes since the previous visit ended
    travel_needed_min: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class RotaWeek:
    """Rows of workers, columns of days."""

    monday: date
    days: list[date]
    rows: list[tuple[User | None, dict[date, list[RotaBlock]]]]
    continuity: dict  # service user name -> distinct carers this month
    problem_count: int


def week_start(day: date) -> date:
    """The Monday of the week a day falls in."""
    return day - timedelta(days=day.weekday())


def _annotate(blocks: list[RotaBlock]) -> None:
    """Travel gaps, overlaps and short travel between consecutive visits of one day."""
    for before, after in zip(blocks, blocks[1:], strict=False):
        a, b = before.visit, after.visit
        after.gap_min = int((b.planned_start - a.planned_end).total_seconds() // 60)
        here = (a.package.service_user.home_lat, a.package.service_user.home_lon)
        there = (b.package.service_user.home_lat, b.package.service_user.home_lon)
        after.travel_needed_min = _travel_minutes(here, there,
                                                 b.package.contract.travel_speed_kmh)
        if after.gap_min < 0:
            after.problems.append(f"overlaps the {a.planned_start.astimezone(clock.zone()):%H:%M}"
                                  " visit")
        elif after.gap_min < after.travel_needed_min:
            after.problems.append(f"{after.gap_min} min gap, {after.travel_needed_min} min "
                                  "travel needed")


def rota_week(user: User, any_day: date) -> RotaWeek:
    """The week containing any_day, for the visits the user may see (not cancelled)."""
    monday = week_start(any_day)
    access_log.record_read(user, "rota_week", user.organisation_id, week=monday)
    days = [monday + timedelta(days=i) for i in range(7)]
    visits = db.session.scalars(
        sa.select(Visit).where(visible(user, Visit), Visit.local_date.between(days[0], days[-1]),
                               Visit.status != VisitStatus.CANCELLED)
        .options(selectinload(Visit.assignments).selectinload(VisitAssignment.worker),
                 selectinload(Visit.package).selectinload(CarePackage.service_user),
                 selectinload(Visit.package).selectinload(CarePackage.contract))
        .order_by(Visit.planned_start)).all()
    workers = care_workers(user)
    grid: dict = defaultdict(lambda: defaultdict(list))
    for visit in visits:
        assigned = [a.worker for a in visit.assignments]
        for worker in assigned or [None]:
            block = RotaBlock(visit)
            if len(assigned) < visit.carers_required:
                block.problems.append(
                    f"needs {visit.carers_required} carers, {len(assigned)} assigned")
            grid[worker.id if worker else None][visit.local_date].append(block)
    for by_day in grid.values():
        for blocks in by_day.values():
            _annotate(blocks)
    rows = [(None, grid[None])] if None in grid else []
    rows += [(w, grid.get(w.id, {})) for w in workers]
    problems = sum(len(b.problems) for _, by_day in rows for bl in by_day.values() for b in bl)
    return RotaWeek(monday, days, rows, continuity_this_month(user, any_day), problems)


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
