"""Today's live board: every visit of the day by worker, with where it stands now."""
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import CarePackage, User, Visit, VisitAssignment, VisitStatus
from backend.services.dates import clock
from backend.services.identity.access import visible
from backend.services.monitoring import rules

UNASSIGNED = "Not assigned"
# Cancelled visits nobody holds get their own row, so "Not assigned" lists only
# visits that still need a carer.
CANCELLED_ROW = "Cancelled, no carer"
# Board labels for statuses that need no clock: what the events already say.
SETTLED = {VisitStatus.COMPLETED: "done", VisitStatus.IN_PROGRESS: "in progress",
           VisitStatus.MISSED: "missed", VisitStatus.NO_ACCESS: "no access",
           VisitStatus.CANCELLED: "cancelled"}


@dataclass
class BoardVisit:
    """One visit as the board shows it."""

    visit: Visit
    label: str
    co_workers: list[str] = field(default_factory=list)


@dataclass
class BoardRow:
    """One worker's visits in time order."""

    worker: str
    worker_id: object
    visits: list[BoardVisit]


def visit_label(visit: Visit, late: bool, missed: bool, now: datetime) -> str:
    """planned, due, late, in progress, done, missed, no access or cancelled.

    `late` and `missed`: the rulebook's judgements of the visit now, so the board says
    what the alerts and the reports say; "due" means the start has passed but not the
    late tolerance.
    """
    if visit.status in SETTLED:
        label = SETTLED[visit.status]
        if visit.status == VisitStatus.IN_PROGRESS and late:
            return "in progress (late)"
        return label
    if missed:
        return "missed"
    if late:
        return "late"
    return "planned" if visit.planned_start > now else "due"


def today_board(user: User, day: date | None = None, now: datetime | None = None
                ) -> list[BoardRow]:
    """The day's visits the user may see, grouped by assigned worker."""
    day = day or clock.today()
    now = now or clock.now()
    judge = rules.Judgements()
    at = rules.at_instant(now)
    rows = db.session.execute(
        rules.with_rule(sa.select(Visit, judge.late(at), judge.missed(at)))
        .where(visible(user, Visit), Visit.local_date == day)
        .options(selectinload(Visit.assignments).selectinload(VisitAssignment.worker),
                 selectinload(Visit.package).selectinload(CarePackage.service_user))
        .order_by(Visit.planned_start)).all()
    by_worker: dict = {}
    for visit, late, missed in rows:
        label = visit_label(visit, bool(late), bool(missed), now)
        workers = [a.worker for a in visit.assignments] or [None]
        for worker in workers:
            if worker:
                key, name = worker.id, worker.display_name
            elif visit.status == VisitStatus.CANCELLED:
                key, name = CANCELLED_ROW, CANCELLED_ROW
            else:
                key, name = None, UNASSIGNED
            row = by_worker.setdefault(key, BoardRow(name, key, []))
            others = [w.display_name for w in workers if w is not None and w is not worker]
            row.visits.append(BoardVisit(visit, label, others))
    # Not assigned first (it needs action), then workers by name, cancelled last.
    order = {None: 0, CANCELLED_ROW: 2}
    return sorted(by_worker.values(), key=lambda r: (order.get(r.worker_id, 1), r.worker))
