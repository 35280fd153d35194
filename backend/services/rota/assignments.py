"""Assigning care workers to visits, with checks that say why an assignment is wrong.

Refusals stop the assignment: the worker is double-booked, is not a care worker of
the visit's provider, is already on the visit, the visit is full or no longer open.
Warnings let it through but are shown before saving: too little travel time from
the previous visit or to the next (geodesic distance between the homes at the
contract's travel_speed_kmh), over the worker's daily limit, a double-up visit
still short of a second worker.
"""
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import (
    Contract, Role, ServiceUser, User, Visit, VisitAssignment, VisitStatus,
)
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.attendance.geo import distance_m, travel_minutes

OPEN_STATUSES = (VisitStatus.SCHEDULED,)
BUSY_STATUSES = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED)


@dataclass(frozen=True)
class Problem:
    """One reason, with a stable code for screens and a sentence for people."""

    code: str
    message: str


@dataclass
class AssignmentCheck:
    """Refusals block the assignment; warnings are shown and may be accepted."""

    refusals: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """No refusal."""
        return not self.refusals


class AssignmentRefused(Invalid):
    """The assignment breaks a rule; fields name each reason."""

    code = "assignment_refused"


def _day_visits(worker: User, visit: Visit, ignore_visit_id=None) -> list[Visit]:
    """The worker's other live visits on the same local day, by start."""
    query = (sa.select(Visit).join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
             .where(VisitAssignment.worker_id == worker.id, Visit.local_date == visit.local_date,
                    Visit.status.in_(BUSY_STATUSES), Visit.id != visit.id)
             .order_by(Visit.planned_start))
    return [v for v in db.session.scalars(query) if v.id != ignore_visit_id]


def _home(visit: Visit) -> tuple[float, float]:
    person = db.session.get(ServiceUser, visit.package.service_user_id)
    return person.home_lat, person.home_lon


def _travel_problem(a: Visit, b: Visit, speed_kmh: int) -> Problem | None:
    """A warning when the gap from visit a's end to visit b's start is shorter than the trip."""
    km = distance_m(_home(a), _home(b)) / 1000
    needed = timedelta(minutes=travel_minutes(_home(a), _home(b), max(speed_kmh, 1)))
    gap = b.planned_start - a.planned_end
    if gap >= needed:
        return None
    return Problem("travel_time", (
        f"{km:.1f} km between visits needs {round(needed.total_seconds() / 60)} min at "
        f"{speed_kmh} km/h; the gap is {round(gap.total_seconds() / 60)} min."))


def check_assignment(visit: Visit, worker: User, replacing: User | None = None) -> AssignmentCheck:
    """Everything wrong or questionable about putting `worker` on `visit` (changes nothing)."""
    check = AssignmentCheck()
    assigned = {a.worker_id for a in visit.assignments}
    if replacing is not None:
        assigned.discard(replacing.id)
    if worker.role != Role.CARE_WORKER or not worker.active:
        check.refusals.append(Problem("not_a_care_worker", "Only active care workers visit."))
    if worker.organisation_id != visit.package.provider_id:
        check.refusals.append(Problem("other_provider",
                                      "The worker belongs to another provider."))
    if visit.status not in OPEN_STATUSES:
        check.refusals.append(Problem("visit_not_open", f"The visit is {visit.status.value}."))
    if worker.id in assigned:
        check.refusals.append(Problem("already_assigned", "The worker is already on this visit."))
    elif len(assigned) >= visit.carers_required:
        check.refusals.append(Problem("visit_full", f"The visit needs {visit.carers_required} "
                                                    "worker(s) and has them."))
    others = _day_visits(worker, visit)
    for other in others:
        if other.planned_start < visit.planned_end and visit.planned_start < other.planned_end:
            local = other.planned_start.astimezone(clock.zone())
            check.refusals.append(Problem("double_booked", (
                f"The worker is on another visit at {local:%H:%M} that overlaps this one.")))
    contract = db.session.get(Contract, visit.package.contract_id)
    before = [v for v in others if v.planned_end <= visit.planned_start]
    after = [v for v in others if v.planned_start >= visit.planned_end]
    for a, b in ((before[-1] if before else None, visit), (visit, after[0] if after else None)):
        if a is not None and b is not None:
            problem = _travel_problem(a, b, contract.travel_speed_kmh)
            if problem:
                check.warnings.append(problem)
    if worker.max_daily_minutes is not None:
        total = sum(v.duration_min for v in others) + visit.duration_min
        if total > worker.max_daily_minutes:
            check.warnings.append(Problem("over_daily_limit", (
                f"{total} planned minutes that day; the worker's limit is "
                f"{worker.max_daily_minutes}.")))
    if visit.carers_required > len(assigned) + 1:
        check.warnings.append(Problem("double_up_incomplete", (
            f"The visit needs {visit.carers_required} workers; "
            f"{len(assigned) + 1} assigned after this.")))
    return check


def _load(actor: User, visit_id, worker_id) -> tuple[Visit, User]:
    if actor.role not in (Role.PROVIDER_MANAGER, Role.ADMIN):
        raise Forbidden("Only provider managers assign workers.")
    visit = access.get_changeable(actor, Visit, visit_id, "visit")
    worker = access.get_visible(actor, User, worker_id, "worker")
    return visit, worker


def preview_assignment(actor: User, visit_id, worker_id, replacing_id=None) -> AssignmentCheck:
    """What the rota page shows before saving."""
    visit, worker = _load(actor, visit_id, worker_id)
    replacing = access.get_visible(actor, User, replacing_id, "worker") if replacing_id else None
    return check_assignment(visit, worker, replacing)


def assign_worker(actor: User, visit_id, worker_id, replacing_id=None) -> AssignmentCheck:
    """Put a worker on a visit (instead of `replacing_id` for a reassignment).

    Raises AssignmentRefused (422, each reason in fields) on a refusal; otherwise
    saves and returns the check, whose warnings the caller shows. Flushes only.
    """
    visit, worker = _load(actor, visit_id, worker_id)
    replacing = access.get_visible(actor, User, replacing_id, "worker") if replacing_id else None
    if replacing is not None and replacing.id not in {a.worker_id for a in visit.assignments}:
        raise Invalid("That worker is not on this visit.", field="replacing_id")
    check = check_assignment(visit, worker, replacing)
    if not check.allowed:
        raise AssignmentRefused("The assignment is refused: " + " ".join(
            p.message for p in check.refusals), fields={"worker_id": [
                f"{p.code}: {p.message}" for p in check.refusals]})
    if replacing is not None:
        visit.assignments = [a for a in visit.assignments if a.worker_id != replacing.id]
    visit.assignments.append(VisitAssignment(worker_id=worker.id))
    db.session.flush()
    return check


def unassign_worker(actor: User, visit_id, worker_id) -> None:
    """Take a worker off a visit that has not started."""
    visit, worker = _load(actor, visit_id, worker_id)
    if visit.status not in OPEN_STATUSES:
        raise Invalid(f"The visit is {visit.status.value}.", field="visit_id")
    visit.assignments = [a for a in visit.assignments if a.worker_id != worker.id]
    db.session.flush()


def care_workers(actor: User) -> list[User]:
    """The active care workers the actor may assign (their own provider's)."""
    return list(db.session.scalars(
        access.scoped(actor, User).where(User.role == Role.CARE_WORKER, User.active.is_(True))
        .order_by(User.display_name)))
