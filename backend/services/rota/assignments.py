"""Assigning care workers to visits, with checks that say why an assignment is wrong.

Refusals stop the assignment: the worker is double-booked, on leave, is not a care
worker of the visit's provider, is already on the visit, the visit is full or no
longer open. Warnings let it through but are shown before saving: the problems the
assignment would add to the worker's week (rota/problems.py: too little travel time
from the previous visit or to the next, over the daily or weekly limit, a skill
missing, outside working hours) and a double-up visit still short of a worker.
"""
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import Role, User, Visit, VisitAssignment, VisitStatus
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.rota import problems as rules
from backend.services.rota.changes import tell_carers
from backend.services.rota.problems import Problem

OPEN_STATUSES = (VisitStatus.SCHEDULED,)
BUSY_STATUSES = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED)


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


def _week_visits(worker: User, visit: Visit) -> list[Visit]:
    """The worker's other live visits in the visit's Monday-to-Sunday week, by start."""
    monday = visit.local_date - timedelta(days=visit.local_date.weekday())
    query = (sa.select(Visit).join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
             .where(VisitAssignment.worker_id == worker.id,
                    Visit.local_date.between(monday, monday + timedelta(days=6)),
                    Visit.status.in_(BUSY_STATUSES), Visit.id != visit.id)
             .order_by(Visit.planned_start))
    return list(db.session.scalars(query))


def caused_problems(terms: rules.CarerTerms, others: list[Visit], visit: Visit) -> list[Problem]:
    """The worker's problems that putting them on `visit` would add, overlaps left to
    the double-booking refusal."""
    skills = rules.line_skills([*others, visit])
    added = rules.added_problems(terms, [rules.stop_of(v, skills[v.id]) for v in others],
                                 rules.stop_of(visit, skills[visit.id]))
    return [p for p in added if p.code != "overlap"]


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
    others = _week_visits(worker, visit)
    for other in others:
        if other.planned_start < visit.planned_end and visit.planned_start < other.planned_end:
            local = other.planned_start.astimezone(clock.zone())
            check.refusals.append(Problem("double_booked", (
                f"The worker is on another visit at {local:%H:%M} that overlaps this one.")))
    terms = rules.carer_terms([worker])[worker.id]
    for problem in caused_problems(terms, others, visit):
        # Leave is a refusal: no visit may be given to a worker who is away.
        (check.refusals if problem.code == "on_leave" else check.warnings).append(problem)
    check.warnings += rules.visit_problems(visit.carers_required, len(assigned) + 1)
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
    put_on(visit, worker.id, replacing.id if replacing is not None else None)
    return check


def put_on(visit: Visit, worker_id, replacing_id=None) -> None:
    """The one way a worker goes onto a visit (checked by the caller): the worker it
    replaces comes off, and both are told when the visit is today or tomorrow."""
    removed = set()
    if replacing_id is not None:
        take_off(visit, replacing_id, tell=False)
        removed.add(replacing_id)
    visit.assignments.append(VisitAssignment(worker_id=worker_id))
    db.session.flush()
    tell_carers(visit, {worker_id}, removed)


def take_off(visit: Visit, worker_id, tell: bool = True) -> None:
    """The one way a worker comes off a visit; they are told when it is today or tomorrow."""
    visit.assignments = [a for a in visit.assignments if a.worker_id != worker_id]
    db.session.flush()
    if tell:
        tell_carers(visit, set(), {worker_id})


def unassign_worker(actor: User, visit_id, worker_id) -> None:
    """Take a worker off a visit that has not started."""
    visit, worker = _load(actor, visit_id, worker_id)
    if visit.status not in OPEN_STATUSES:
        raise Invalid(f"The visit is {visit.status.value}.", field="visit_id")
    take_off(visit, worker.id)


def care_workers(actor: User) -> list[User]:
    """The active care workers the actor may assign (their own provider's)."""
    return list(db.session.scalars(
        access.scoped(actor, User).where(User.role == Role.CARE_WORKER, User.active.is_(True))
        .order_by(User.display_name)))
