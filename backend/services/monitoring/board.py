"""The manager's day board: every visit of the day by care worker, with where it stands
now, each carer of a double-up with their own state, and the exceptions on top
(board_exceptions.py). Late, missed, no check-out and not verified are the rulebook's
judgements (rules.py), the same ones that raise the alerts and fill the reports."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import (
    Alert, AlertStatus, CarePackage, EventKind, User, Visit, VisitAssignment, VisitEvent,
    VisitStatus,
)
from backend.services.attendance.visit_state import worker_times
from backend.services.dates import clock
from backend.services.identity.access import visible
from backend.services.identity.names import told_apart
from backend.services.monitoring import rules

UNASSIGNED = "Not assigned"
# Cancelled visits nobody holds get their own row, so "Not assigned" lists only
# visits that still need a carer.
CANCELLED_ROW = "Cancelled, no carer"
# Board labels for statuses that need no clock: what the events already say.
SETTLED = {VisitStatus.COMPLETED: "done", VisitStatus.IN_PROGRESS: "in progress",
           VisitStatus.MISSED: "missed", VisitStatus.NO_ACCESS: "no access",
           VisitStatus.CANCELLED: "cancelled"}
# Every label a chip can carry, in the order the key and the filter show them.
LABELS = ("planned", "due", "late", "in progress", "done", "missed", "no access",
          "not arrived", "did not attend", "cancelled")


@dataclass
class BoardVisit:
    """One visit as one carer's row shows it: `label` is this carer's own state (for a
    double-up, a carer who has not arrived is not "in progress" because the other has)."""

    visit: Visit
    label: str
    co_workers: list[str] = field(default_factory=list)
    visit_label: str = ""

    @property
    def kind(self) -> str:
        """The label without its qualifier ("in progress (late)" -> "in progress")."""
        return self.label.split(" (")[0]


@dataclass
class BoardRow:
    """One worker's visits in time order."""

    worker: str
    worker_id: object
    visits: list[BoardVisit]


@dataclass
class JudgedVisit:
    """A visit of the day with the rulebook's judgements of it now and each carer's
    own attendance (start and end, from the event log)."""

    visit: Visit
    label: str
    late_now: bool  # a start now would be late: the late tolerance has passed
    no_checkout: bool
    unverified: bool
    names: dict  # worker id -> the name shown (same-named carers told apart)
    attendance: dict = field(default_factory=dict)  # worker id -> WorkerTimes
    alerts: list = field(default_factory=list)  # its unresolved alerts


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


def carer_label(judged: JudgedVisit, worker_id, now: datetime) -> str:
    """One assigned carer's own state on the visit. A carer who checked in is in progress
    or done by their own events; one who has not, while another carer has, has "not
    arrived" (late once the visit's late tolerance has passed) or "did not attend" when
    the visit is over; otherwise the carer shares the visit's label."""
    visit, times = judged.visit, judged.attendance.get(worker_id)
    if visit.carers_required <= 1 or visit.status not in (VisitStatus.IN_PROGRESS,
                                                          VisitStatus.COMPLETED):
        return judged.label
    if times is not None and times.start is not None:
        own = "done" if times.end is not None else "in progress"
        if judged.label.endswith("(late)") and times.start == visit.actual_start:
            own += " (late)"
        return own
    if visit.status == VisitStatus.COMPLETED:
        return "did not attend"
    if judged.late_now:
        return "not arrived (late)"
    return "not arrived" if visit.planned_start <= now else "planned"


def judge_day(user: User, day: date, now: datetime) -> list[JudgedVisit]:
    """The day's visits the user may see, judged now, in planned-start order: three
    statements (visits with their judgements, double-up carers' events, open alerts)."""
    judge = rules.Judgements()
    at = rules.at_instant(now)
    day_visits = sa.and_(visible(user, Visit), Visit.local_date == day)
    rows = db.session.execute(
        rules.with_rule(sa.select(Visit, judge.late(at), judge.missed(at), judge.late_by(at),
                                  judge.no_checkout(at), judge.location_unverified()))
        .where(day_visits)
        .options(selectinload(Visit.assignments).selectinload(VisitAssignment.worker),
                 selectinload(Visit.package).selectinload(CarePackage.service_user))
        .order_by(Visit.planned_start, Visit.id)).all()
    workers = {a.worker.id: a.worker for visit, *_ in rows for a in visit.assignments}
    names = told_apart(workers.values())
    judged = {visit.id: JudgedVisit(
        visit, visit_label(visit, bool(late), bool(missed), now), bool(late_now),
        bool(no_checkout), bool(unverified), names)
        for visit, late, missed, late_now, no_checkout, unverified in rows}
    # Only a visit with more than one carer needs its events read: a single carer's
    # state is the visit's own.
    shared = sa.select(Visit.id).where(day_visits, Visit.carers_required > 1)
    events = db.session.scalars(sa.select(VisitEvent).where(
        VisitEvent.visit_id.in_(shared), VisitEvent.kind.in_(
            [EventKind.CHECK_IN, EventKind.CHECK_OUT, EventKind.CORRECTION]))).all()
    by_visit: dict = {}
    for event in events:
        by_visit.setdefault(event.visit_id, []).append(event)
    for visit_id, visit_events in by_visit.items():
        if visit_id in judged:
            judged[visit_id].attendance = worker_times(visit_events)
    for alert in db.session.scalars(sa.select(Alert).where(
            Alert.visit_id.in_(sa.select(Visit.id).where(day_visits)),
            Alert.status != AlertStatus.RESOLVED).order_by(Alert.raised_at)):
        judged[alert.visit_id].alerts.append(alert)
    return list(judged.values())


def still_open(user: User, day: date, days: int) -> list[JudgedVisit]:
    """Visits of the `days` days before `day` whose alerts are not resolved yet (a call
    missed last night is still the manager's to deal with this morning), each with its
    unresolved alerts; one statement for the alerts, their visits loaded alongside."""
    alerts = db.session.scalars(
        sa.select(Alert).join(Visit, Visit.id == Alert.visit_id)
        .where(visible(user, Visit), Visit.local_date >= day - timedelta(days=days),
               Visit.local_date < day, Alert.status != AlertStatus.RESOLVED)
        .options(selectinload(Alert.visit).selectinload(Visit.assignments)
                 .selectinload(VisitAssignment.worker),
                 selectinload(Alert.visit).selectinload(Visit.package)
                 .selectinload(CarePackage.service_user))
        .order_by(Alert.raised_at)).all()
    names = told_apart({a.worker_id: a.worker for alert in alerts
                        for a in alert.visit.assignments}.values())
    found: dict = {}
    for alert in alerts:
        item = found.setdefault(alert.visit_id, JudgedVisit(
            alert.visit, SETTLED.get(alert.visit.status, "planned"), False, False, False, names))
        item.alerts.append(alert)
    return list(found.values())


def board_rows(judged: list[JudgedVisit], now: datetime) -> list[BoardRow]:
    """The judged visits grouped by assigned worker, each carer with their own state."""
    by_worker: dict = {}
    for item in judged:
        visit = item.visit
        workers = [a.worker for a in visit.assignments] or [None]
        for worker in workers:
            if worker:
                key, name = worker.id, item.names[worker.id]
                label = carer_label(item, worker.id, now)
            elif visit.status == VisitStatus.CANCELLED:
                key, name, label = CANCELLED_ROW, CANCELLED_ROW, item.label
            else:
                key, name, label = None, UNASSIGNED, item.label
            row = by_worker.setdefault(key, BoardRow(name, key, []))
            others = [item.names[w.id] for w in workers if w is not None and w is not worker]
            row.visits.append(BoardVisit(visit, label, others, item.label))
    # Not assigned first (it needs action), then workers by name, cancelled last.
    order = {None: 0, CANCELLED_ROW: 2}
    return sorted(by_worker.values(), key=lambda r: (order.get(r.worker_id, 1), r.worker))


def today_board(user: User, day: date | None = None, now: datetime | None = None
                ) -> list[BoardRow]:
    """The day's visits the user may see, grouped by assigned worker."""
    now = now or clock.now()
    return board_rows(judge_day(user, day or clock.today(), now), now)
