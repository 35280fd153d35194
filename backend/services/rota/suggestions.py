"""Who could take a visit: the provider's care workers ranked, each with why.

A worker is offered only when free at that time, trained in the skills the visit's
pattern line requires, not on leave and working then (the rota's own problems,
rota/problems.py, on their week with the visit added). Among those, fewer extra
travel minutes rank first; a carer the person already knows is worth
KNOWN_WORTH_MIN minutes of travel (and a minute more per earlier visit, up to ten);
a warning the assignment would bring (a tight travel gap, over the day's or the
week's hours) ranks the worker below every worker without one; then more hours
left this week.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.errors import Forbidden
from backend.extensions import db
from backend.models import CarePackage, Role, User, Visit, VisitAssignment
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.rota import problems as rules
from backend.services.rota.optimiser import KNOWN_WORTH_MIN
from backend.services.rota.assignments import BUSY_STATUSES, care_workers
from backend.services.rota.travel import speed_kmh, trip_minutes
from backend.services.rota.week import worker_areas

CONTINUITY_WEEKS = 4  # how far back "has visited the person before" looks
# Problems that rule a worker out: they cannot be there, or may not do the visit.
RULED_OUT = {"overlap", "on_leave", "skill_missing", "outside_working_hours"}


@dataclass
class Suggestion:
    """A worker who could take the visit, how much it costs, and why."""

    worker: User
    detail: str
    extra_travel_min: int
    known_visits: int
    minutes_left_week: int | None
    warnings: list = field(default_factory=list)  # rules.Problem the assignment would bring
    reasons: list[str] = field(default_factory=list)

    @property
    def rank_key(self) -> tuple:
        """Lower ranks first."""
        bonus = KNOWN_WORTH_MIN + min(self.known_visits, 10) if self.known_visits else 0
        left = self.minutes_left_week if self.minutes_left_week is not None else 10_000
        return (len(self.warnings), self.extra_travel_min - bonus, -left)


def _week_visits(worker_ids: list, visit: Visit) -> dict:
    """Each worker's live visits in the visit's Monday-to-Sunday week, by start."""
    monday = visit.local_date - timedelta(days=visit.local_date.weekday())
    rows = db.session.execute(
        sa.select(VisitAssignment.worker_id, Visit)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(VisitAssignment.worker_id.in_(worker_ids),
               Visit.local_date.between(monday, monday + timedelta(days=6)),
               Visit.status.in_(BUSY_STATUSES), Visit.id != visit.id)
        .options(selectinload(Visit.package).selectinload(CarePackage.service_user),
                 selectinload(Visit.package).selectinload(CarePackage.contract))
        .order_by(Visit.planned_start)).all()
    found = defaultdict(list)
    for worker_id, other in rows:
        found[worker_id].append(other)
    return found


def _known(worker_ids: list, visit: Visit) -> Counter:
    """Visits each worker made (or is planned to make) to the person in recent weeks."""
    since = visit.local_date - timedelta(weeks=CONTINUITY_WEEKS)
    return Counter(dict(db.session.execute(
        sa.select(VisitAssignment.worker_id, sa.func.count())
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .where(VisitAssignment.worker_id.in_(worker_ids),
               CarePackage.service_user_id == visit.package.service_user_id,
               Visit.local_date.between(since, visit.local_date), Visit.id != visit.id,
               Visit.status.in_(BUSY_STATUSES))
        .group_by(VisitAssignment.worker_id)).all()))


def _extra_travel(terms: rules.CarerTerms, worker: User, day: list[rules.Stop],
                  stop: rules.Stop) -> tuple[int, str]:
    """Minutes the visit adds to the worker's day of travel, and from where."""
    speed = speed_kmh(terms.travel_mode, stop.contract_speed_kmh)
    before = [s for s in day if s.end <= stop.start]
    after = [s for s in day if s.start >= stop.end]
    home = (worker.home_lat, worker.home_lon) if worker.home_lat is not None else None
    start = before[-1].home if before else home
    end = after[0].home if after else None
    if start is None:
        return 0, "first visit of the day"
    added = trip_minutes(start, stop.home, speed)
    if end is not None:
        added += trip_minutes(stop.home, end, speed) - trip_minutes(start, end, speed)
    zone = clock.zone()
    where = f"after the {before[-1].start.astimezone(zone):%H:%M} visit" if before \
        else "from home"
    return max(added, 0), where


def suggest_carers(actor: User, visit_id, replacing_id=None, limit: int = 8) -> list[Suggestion]:
    """The best `limit` workers for the visit (not those already on it), each with why."""
    if actor.role not in (Role.PROVIDER_MANAGER, Role.ADMIN):
        raise Forbidden("Only provider managers assign workers.")
    visit = access.get_changeable(actor, Visit, visit_id, "visit")
    on_it = {a.worker_id for a in visit.assignments} - {replacing_id}
    workers = [w for w in care_workers(actor)
               if w.id not in on_it and w.organisation_id == visit.package.provider_id]
    ids = [w.id for w in workers]
    terms = rules.carer_terms(workers)
    weeks = _week_visits(ids, visit)
    known = _known(ids, visit)
    areas = worker_areas(workers)
    skills = rules.line_skills([visit, *(v for theirs in weeks.values() for v in theirs)])
    stop = rules.stop_of(visit, skills[visit.id])
    person = visit.package.service_user.name
    found = []
    for worker in workers:
        others = [rules.stop_of(v, skills[v.id]) for v in weeks[worker.id]]
        added = rules.added_problems(terms[worker.id], others, stop)
        if any(p.code in RULED_OUT for p in added):
            continue
        day = [s for s in others if s.local_date == stop.local_date]
        extra, where = _extra_travel(terms[worker.id], worker, day, stop)
        planned = sum(s.minutes for s in others) + stop.minutes
        limit_week = worker.max_weekly_minutes or worker.contracted_weekly_minutes
        left = limit_week - planned if limit_week is not None else None
        reasons = [f"free then ({len(day)} other visit{'s' if len(day) != 1 else ''} "
                   "that day)", f"+{extra} min travel {where}"]
        if stop.skills:
            reasons.append("trained: " + ", ".join(sorted(s.replace("_", " ")
                                                          for s in stop.skills)))
        if known[worker.id]:
            reasons.append(f"has visited {person} {known[worker.id]} time"
                           f"{'s' if known[worker.id] != 1 else ''} in the last "
                           f"{CONTINUITY_WEEKS} weeks")
        if left is not None:
            reasons.append(f"{left // 60} h {left % 60:02d} left this week after this")
        found.append(Suggestion(
            worker, " · ".join([worker.staff_ref or str(worker.id)[:8]]
                               + [a.name for a in areas[worker.id]]),
            extra, known[worker.id], left, added, reasons))
    found.sort(key=lambda s: s.rank_key)
    return found[:limit]
