"""Plan a day: a manager asks, the scheduler runs the optimiser, the manager accepts moves.

request_plan() queues a plan; the scheduler's rota_plans job claims it
(claim_next_plan), runs it (run_plan: the day read into an optimiser.Instance, solved,
the moves and the before/after figures written) reporting progress as it goes. Nothing
on the rota changes until accept_moves(), which applies the chosen moves through the
assignment service's own checks: a move whose visit has changed since is stale.
"""
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from itertools import zip_longest

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import (
    CarePackage, MoveDecision, PlanStatus, Role, RotaPlan, RotaPlanMove, User, Visit,
    VisitAssignment, VisitStatus,
)
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.rota import optimiser
from backend.services.rota import problems as rules
from backend.services.rota.assignments import (
    BUSY_STATUSES, AssignmentRefused, care_workers, check_assignment, put_on, take_off,
)
from backend.services.rota.suggestions import CONTINUITY_WEEKS

# Rules a proposal must never break (an unstaffed seat is reported, not a violation).
HARD = {"overlap", "travel_time", "skill_missing", "on_leave", "outside_working_hours",
        "over_daily_limit"}


def request_plan(actor: User, day: date, area_id=None) -> RotaPlan:
    """Queue a plan of the actor's provider's day (optionally one area); the scheduler runs it."""
    if actor.role != Role.PROVIDER_MANAGER:
        raise Forbidden("Only provider managers plan their rota.")
    if day < clock.today():
        raise Invalid("Only today or a day to come can be planned.", field="date")
    plan = RotaPlan(provider_id=actor.organisation_id, local_date=day, area_id=area_id,
                    requested_by_id=actor.id, status=PlanStatus.QUEUED, progress_pct=0,
                    seconds_limit=current_app.config["ROTA_PLAN_SECONDS"], before={}, after={})
    db.session.add(plan)
    db.session.flush()
    return plan


def get_plan(actor: User, plan_id) -> RotaPlan:
    """A plan of the actor's provider (404 for any other)."""
    return access.get_visible(actor, RotaPlan, plan_id, "plan")


def claim_next_plan(now) -> object | None:
    """The oldest queued plan, marked running (its id), or None when none waits."""
    plan = db.session.scalar(sa.select(RotaPlan).where(RotaPlan.status == PlanStatus.QUEUED)
                             .order_by(RotaPlan.created_at).limit(1))
    if plan is None:
        return None
    claimed = db.session.execute(
        sa.update(RotaPlan).where(RotaPlan.id == plan.id, RotaPlan.status == PlanStatus.QUEUED)
        .values(status=PlanStatus.RUNNING, started_at=now, progress_pct=1,
                message="Reading the day")).rowcount
    return plan.id if claimed else None


def set_progress(plan_id, pct: int, message: str) -> None:
    """Where a running plan has got to (the page polls it)."""
    db.session.execute(sa.update(RotaPlan).where(RotaPlan.id == plan_id)
                       .values(progress_pct=pct, message=message[:300]))


def fail_plan(plan_id, why: str) -> None:
    """A plan that could not be made, and why."""
    db.session.execute(sa.update(RotaPlan).where(RotaPlan.id == plan_id).values(
        status=PlanStatus.FAILED, message=why[:300], finished_at=clock.now()))


@dataclass
class Day:
    """A provider's day as the optimiser and the figures need it."""

    instance: optimiser.Instance
    visits: dict  # visit id -> Visit
    workers: dict  # worker id -> User
    terms: dict  # worker id -> rules.CarerTerms
    skills: dict  # visit id -> frozenset
    week_pairs: set = field(default_factory=set)  # (person, worker) on the week's other days


def read_day(requester: User, day: date, area_id=None) -> Day:
    """The day's visits (seats) and the provider's care workers, as the requester sees them."""
    visits = db.session.scalars(
        sa.select(Visit).where(access.visible(requester, Visit), Visit.local_date == day,
                               Visit.status.in_(BUSY_STATUSES))
        .options(selectinload(Visit.assignments),
                 selectinload(Visit.package).selectinload(CarePackage.service_user),
                 selectinload(Visit.package).selectinload(CarePackage.contract))
        .order_by(Visit.planned_start)).all()
    workers = care_workers(requester)
    by_id = {w.id: w for w in workers}
    terms = rules.carer_terms(workers)
    skills = rules.line_skills(visits)
    monday = day - timedelta(days=day.weekday())
    midnight = clock.local_to_utc(day, time(0))
    seats = []
    for visit in visits:
        person = visit.package.service_user
        movable = visit.status == VisitStatus.SCHEDULED and (
            area_id is None or person.area_id == area_id)
        assigned = sorted(visit.assignments, key=lambda a: str(a.worker_id))
        for seat in range(max(visit.carers_required, len(assigned))):
            held = assigned[seat] if seat < len(assigned) else None
            worker = held.worker_id if held and held.worker_id in by_id else None
            locked = worker if worker and (not movable or held.locked) else None
            start = int((visit.planned_start - midnight).total_seconds() // 60)
            seats.append(optimiser.Seat(
                visit.id, seat, person.id, start, visit.duration_min,
                (person.home_lat, person.home_lon), skills[visit.id],
                visit.package.contract.travel_speed_kmh, locked, worker))
    other_days = _week_minutes_and_pairs(list(by_id), day, monday)
    known = _known_people(list(by_id), day)
    this_week = defaultdict(set)
    for person_id, worker_id in other_days["pairs"]:
        this_week[worker_id].add(person_id)
    cap_setting = current_app.config["ROTA_MAX_CARERS_PER_PERSON_WEEK"]
    # The week's carers of each person: the other days' and today's as planned now (the
    # cap stops a plan adding new faces; it does not take away today's).
    per_person = defaultdict(set)
    for person_id, worker_id in other_days["pairs"] | {
            (s.person_id, s.current_worker) for s in seats if s.current_worker}:
        per_person[person_id].add(worker_id)
    carers = [optimiser.Carer(
        w.id, w.travel_mode, terms[w.id].skills, _windows(terms[w.id], day),
        terms[w.id].on_leave(day), _cap(w, other_days["minutes"].get(w.id, 0)),
        frozenset(known.get(w.id, ())),
        (w.home_lat, w.home_lon) if w.home_lat is not None else None,
        frozenset(this_week.get(w.id, ()))) for w in workers]
    instance = optimiser.Instance(
        day, seats, carers, current_app.config["ROTA_ROAD_FACTOR"],
        {p: frozenset(ws) for p, ws in per_person.items() if len(ws) >= cap_setting})
    return Day(instance, {v.id: v for v in visits}, by_id, terms, skills,
               set(other_days["pairs"]))


def _windows(terms: rules.CarerTerms, day: date) -> tuple:
    """The worker's windows that weekday in minutes after midnight; () if none recorded."""
    if not terms.windows:
        return ()
    return tuple((a.hour * 60 + a.minute, (b.hour * 60 + b.minute) or 24 * 60)
                 for a, b in terms.windows.get(day.weekday(), ()))  or ((0, 0),)


def _cap(worker: User, other_days_minutes: int) -> int | None:
    """The day's limit: the daily one, and what the weekly one leaves after the other days."""
    caps = [c for c in (worker.max_daily_minutes, None if worker.max_weekly_minutes is None
                        else max(0, worker.max_weekly_minutes - other_days_minutes))
            if c is not None]
    return min(caps) if caps else None


def _week_minutes_and_pairs(worker_ids: list, day: date, monday: date) -> dict:
    """Each worker's planned minutes on the week's other days, and (person, worker) pairs."""
    rows = db.session.execute(
        sa.select(VisitAssignment.worker_id, CarePackage.service_user_id, Visit.duration_min)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .where(VisitAssignment.worker_id.in_(worker_ids),
               Visit.local_date.between(monday, monday + timedelta(days=6)),
               Visit.local_date != day, Visit.status.in_(BUSY_STATUSES))).all()
    minutes = defaultdict(int)
    for worker_id, _, duration in rows:
        minutes[worker_id] += duration
    return {"minutes": minutes, "pairs": {(person, worker) for worker, person, _ in rows}}


def _known_people(worker_ids: list, day: date) -> dict:
    """The people each worker has visited in the last CONTINUITY_WEEKS weeks."""
    rows = db.session.execute(
        sa.select(VisitAssignment.worker_id, CarePackage.service_user_id).distinct()
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .where(VisitAssignment.worker_id.in_(worker_ids),
               Visit.local_date.between(day - timedelta(weeks=CONTINUITY_WEEKS),
                                        day - timedelta(days=1)),
               Visit.status.in_(BUSY_STATUSES))).all()
    known = defaultdict(set)
    for worker_id, person_id in rows:
        known[worker_id].add(person_id)
    return known


def figures(day: Day, assignment: dict) -> dict:
    """Travel, unstaffed seats, strangers, rule violations and weekly continuity."""
    cost, travel, strangers, _ = optimiser.evaluate(day.instance, assignment)
    days = defaultdict(list)
    pairs = set(day.week_pairs)
    for seat in day.instance.seats:
        worker = assignment.get(seat.key)
        if worker is not None:
            days[worker].append(day.visits[seat.visit_id])
            pairs.add((seat.person_id, worker))
    violations = 0
    for worker, visits in days.items():
        stops = sorted((rules.stop_of(v, day.skills[v.id]) for v in visits),
                       key=lambda s: s.start)
        found = rules.week_problems(day.terms[worker], stops)
        violations += sum(1 for ps in found.values() for p in ps if p.code in HARD)
    people = {s.person_id for s in day.instance.seats}
    carers_per_person = [len({w for p, w in pairs if p == person}) for person in people]
    return {"cost": cost, "travel_min": travel, "strangers": strangers,
            "home_min": optimiser.home_minutes(day.instance, assignment),
            "unassigned": sum(1 for s in day.instance.seats if assignment.get(s.key) is None),
            "violations": violations,
            "continuity": round(sum(carers_per_person) / max(1, len(carers_per_person)), 3)}


def run_plan(plan_id, progress: Callable[[int, str], None]) -> dict:
    """Solve a claimed plan and write its moves and figures (flushes; progress commits)."""
    plan = db.session.get(RotaPlan, plan_id)
    requester = db.session.get(User, plan.requested_by_id)
    day = read_day(requester, plan.local_date, plan.area_id)
    current = {s.key: s.current_worker for s in day.instance.seats}
    progress(10, f"Planning {len(day.instance.seats)} seats for {len(day.workers)} carers")
    last = [0.0]

    def solving(share: float) -> None:
        pct = 10 + int(85 * share)
        if pct >= last[0] + 5:  # a few writes, not one per improvement
            last[0] = pct
            progress(pct, "Improving the plan")

    solution = optimiser.solve(day.instance, plan.seconds_limit, solving)
    plan.before, plan.after = figures(day, current), figures(day, solution.assignment)
    plan.moves = _moves(day, current, solution)
    plan.status, plan.progress_pct, plan.finished_at = PlanStatus.READY, 100, clock.now()
    plan.message = f"{len(plan.moves)} moves proposed in {solution.seconds:.0f} s"
    db.session.flush()
    return {"plan": str(plan.id), "moves": len(plan.moves), **plan.after}


def _moves(day: Day, current: dict, solution: optimiser.Solution) -> list[RotaPlanMove]:
    """Per visit: who leaves and who joins (a worker staying on a double-up stays)."""
    seats = defaultdict(list)
    for seat in day.instance.seats:
        seats[seat.visit_id].append(seat)
    moves = []
    for visit_id, theirs in seats.items():
        before = {current[s.key] for s in theirs} - {None}
        after = {solution.assignment[s.key] for s in theirs} - {None}
        why = next((solution.unassigned[s.key] for s in theirs
                    if s.key in solution.unassigned), "")
        for leaving, joining in zip_longest(sorted(before - after, key=str),
                                            sorted(after - before, key=str)):
            person = theirs[0].person_id
            carer = next((c for c in day.instance.carers if c.id == joining), None)
            reason = (f"nobody can take it: {why}" if joining is None else
                      "a carer the person knows" if person in carer.known
                      else "a carer new to the person")
            moves.append(RotaPlanMove(position=len(moves), visit_id=visit_id,
                                      from_worker_id=leaving, to_worker_id=joining,
                                      reason=reason[:300], decision=MoveDecision.PROPOSED))
        if not before - after and not after - before and len(after) < len(theirs):
            moves.append(RotaPlanMove(position=len(moves), visit_id=visit_id,
                                      from_worker_id=None, to_worker_id=None,
                                      reason=f"stays short of a carer: {why}"[:300],
                                      decision=MoveDecision.PROPOSED))
    return moves


def accept_moves(actor: User, plan_id, move_ids: list | None = None) -> dict:
    """Apply the chosen proposed moves (all when move_ids is None) through the
    assignment checks; a refusal undoes the whole acceptance (422, reasons in fields)."""
    plan = access.get_changeable(actor, RotaPlan, plan_id, "plan")
    if plan.status != PlanStatus.READY:
        raise Invalid("The plan is not ready.", field="plan")
    wanted = {str(m) for m in move_ids} if move_ids is not None else None
    chosen = [m for m in plan.moves if m.decision == MoveDecision.PROPOSED
              and (m.to_worker_id or m.from_worker_id) and (wanted is None or str(m.id) in wanted)]
    if wanted is not None and len(chosen) != len(wanted):
        raise Invalid("Choose proposed moves of this plan.", field="move_ids")
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_([m.visit_id for m in chosen]))
        .options(selectinload(Visit.assignments)))}
    now, stale, applied = clock.now(), 0, []
    for move in chosen:
        visit = visits[move.visit_id]
        on_it = {a.worker_id for a in visit.assignments}
        if visit.status != VisitStatus.SCHEDULED or (
                move.from_worker_id is not None and move.from_worker_id not in on_it) or (
                move.from_worker_id is None and len(on_it) >= visit.carers_required):
            move.decision, stale = MoveDecision.STALE, stale + 1
            continue
        applied.append(move)
    # Everyone leaving first, so a carer moving between two visits is never double-booked.
    for move in applied:
        if move.from_worker_id is not None:
            take_off(visits[move.visit_id], move.from_worker_id)
    workers = {w.id: w for w in db.session.scalars(
        sa.select(User).where(User.id.in_([m.to_worker_id for m in applied])))}
    for move in applied:
        visit = visits[move.visit_id]
        move.decision, move.decided_at, move.decided_by_id = MoveDecision.ACCEPTED, now, actor.id
        if move.to_worker_id is None:
            continue  # the carer leaves and nobody takes the seat
        check = check_assignment(visit, workers[move.to_worker_id])
        if not check.allowed:
            raise AssignmentRefused("The move is refused: " + " ".join(
                p.message for p in check.refusals), fields={"move_ids": [
                    f"{p.code}: {p.message}" for p in check.refusals]})
        put_on(visit, move.to_worker_id)
    return {"accepted": len(applied), "stale": stale,
            "visits": sorted({m.visit_id for m in applied}, key=str)}


@dataclass
class MoveRow:
    """A move as the diff shows it."""

    move: RotaPlanMove
    visit: Visit
    from_worker: User | None
    to_worker: User | None


def plan_rows(actor: User, plan_id) -> tuple[RotaPlan, list[MoveRow]]:
    """A plan of the actor's provider and its moves, in time order, for the diff."""
    plan = get_plan(actor, plan_id)
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_([m.visit_id for m in plan.moves]))
        .options(selectinload(Visit.package).selectinload(CarePackage.service_user)))}
    ids = {m.from_worker_id for m in plan.moves} | {m.to_worker_id for m in plan.moves}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids - {None})))}
    rows = [MoveRow(m, visits[m.visit_id], users.get(m.from_worker_id), users.get(m.to_worker_id))
            for m in plan.moves]
    rows.sort(key=lambda r: (r.visit.planned_start, r.move.position))
    return plan, rows
