"""Roll last week forward: this week's visits get the carers the same calls had last week.

The same call is the same package at the same local wall-clock time seven days
before (visit generation's own identity of a planned call). A carer is put on only
where the assignment checks find nothing against it: no refusal (double-booked, on
leave, ...) and no new problem (a skill missing, outside working hours, a travel gap
too short, over the day's or week's hours). What could not be rolled forward is
returned with why, for the manager (the rota page lists it as problems too).
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.errors import Forbidden
from backend.extensions import db
from backend.models import Role, User, Visit, VisitAssignment, VisitStatus
from backend.services.identity import access
from backend.services.rota.assignments import check_assignment, put_on


@dataclass
class RollForward:
    """What was copied and what is left."""

    copied: int = 0
    left: list = field(default_factory=list)  # (visit, worker or None, why)


def roll_forward(actor: User, any_day: date) -> RollForward:
    """Copy last week's carers onto the open seats of the week containing any_day."""
    if actor.role != Role.PROVIDER_MANAGER:
        raise Forbidden("Only provider managers roll their rota forward.")
    monday = any_day - timedelta(days=any_day.weekday())
    week = db.session.scalars(
        sa.select(Visit).where(access.visible(actor, Visit),
                               Visit.local_date.between(monday, monday + timedelta(days=6)),
                               Visit.status == VisitStatus.SCHEDULED)
        .options(selectinload(Visit.assignments), selectinload(Visit.package))
        .order_by(Visit.planned_start)).all()
    open_visits = [v for v in week if len(v.assignments) < v.carers_required]
    last_week: dict = {}  # (package, this week's day, wall-clock time) -> carers
    for package_id, day, at, worker_id in db.session.execute(
            sa.select(Visit.package_id, Visit.local_date, Visit.local_time,
                      VisitAssignment.worker_id)
            .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
            .where(access.visible(actor, Visit),
                   Visit.local_date.between(monday - timedelta(days=7),
                                            monday - timedelta(days=1)),
                   Visit.status != VisitStatus.CANCELLED)):
        last_week.setdefault((package_id, day + timedelta(days=7), at), set()).add(worker_id)
    workers = {w.id: w for w in db.session.scalars(sa.select(User).where(
        User.id.in_({w for ws in last_week.values() for w in ws})))}
    result = RollForward()
    for visit in open_visits:
        carers = last_week.get((visit.package_id, visit.local_date, visit.local_time), set())
        carers -= {a.worker_id for a in visit.assignments}
        if not carers:
            result.left.append((visit, None, "nobody had this call last week"))
            continue
        for worker_id in sorted(carers, key=str):
            if len(visit.assignments) >= visit.carers_required:
                break
            worker = workers[worker_id]
            check = check_assignment(visit, worker)
            reasons = check.refusals + [p for p in check.warnings
                                        if p.code != "double_up_incomplete"]
            if reasons:
                result.left.append((visit, worker, reasons[0].message))
                continue
            put_on(visit, worker.id)
            result.copied += 1
    return result
