"""A care worker's rota: their visits on one local day, with what the phone needs offline.

The query count is fixed whatever the number of visits (the phone caches the whole
day): visits with package, person and contract in one query, then tasks, co-workers,
the worker's own events, and the people's active goals with their latest scores.
"""
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from backend.extensions import db
from backend.models import (
    MEASURE_RANGES,
    CarePackage,
    Channel,
    EventKind,
    Goal,
    GoalProgress,
    GoalStatus,
    Notification,
    ServiceUser,
    User,
    Visit,
    VisitAssignment,
    VisitEvent,
    VisitTask,
)
from backend.services.audit import access_log
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.identity.names import told_apart
from backend.services.rota.changes import KEY_PREFIX


@dataclass
class RotaGoal:
    """An active goal of the person, with the range its measure allows and the latest score."""

    goal: Goal
    scale_min: int
    scale_max: int
    latest_score: int | None = None
    latest_recorded_at: datetime | None = None


@dataclass(frozen=True)
class Home:
    """Where the person lives and the geofence in effect there."""

    lat: float
    lon: float
    geofence_radius_m: int | None  # the person's own, else the contract's; None when off
    geofence_off: bool


@dataclass
class RotaVisit:
    """One visit as the worker's phone shows it."""

    visit: Visit
    person: ServiceUser
    home: Home
    tasks: list[VisitTask]
    goals: list[RotaGoal] = field(default_factory=list)
    co_workers: list[str] = field(default_factory=list)
    checked_in_at: datetime | None = None
    # The worker's own check-in as judged when it arrived: metres from the home pin and
    # whether it was inside the geofence (None: no location sent, or the fence is off).
    check_in_distance_m: float | None = None
    check_in_verified: bool | None = None
    checked_out_at: datetime | None = None
    no_access_reported: bool = False


def _visits_on(worker: User, day: date) -> list[Visit]:
    start, end = clock.local_day_bounds(day)
    query = (
        access.scoped(worker, Visit)
        .where(Visit.planned_start >= start, Visit.planned_start < end)
        .options(
            joinedload(Visit.package).joinedload(CarePackage.service_user),
            joinedload(Visit.package).joinedload(CarePackage.contract),
            selectinload(Visit.tasks),
            selectinload(Visit.assignments).joinedload(VisitAssignment.worker),
        )
        .order_by(Visit.planned_start, Visit.id))
    return list(db.session.scalars(query).unique())


def _own_events(worker: User, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[VisitEvent]]:
    events = defaultdict(list)
    if visit_ids:
        query = (sa.select(VisitEvent)
                 .where(VisitEvent.visit_id.in_(visit_ids), VisitEvent.worker_id == worker.id,
                        VisitEvent.kind.in_([EventKind.CHECK_IN, EventKind.CHECK_OUT,
                                             EventKind.NO_ACCESS]))
                 .order_by(VisitEvent.server_time))
        for event in db.session.scalars(query):
            events[event.visit_id].append(event)
    return events


def _active_goals(worker: User, person_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[RotaGoal]]:
    """Each person's active goals with the latest recorded score, in two queries."""
    goals = defaultdict(list)
    if not person_ids:
        return goals
    query = (access.scoped(worker, Goal)
             .where(Goal.service_user_id.in_(person_ids), Goal.status == GoalStatus.ACTIVE)
             .order_by(Goal.created_at, Goal.id))
    found = list(db.session.scalars(query))
    latest = _latest_scores([goal.id for goal in found])
    for goal in found:
        low, high = MEASURE_RANGES[goal.measure]
        score, at = latest.get(goal.id, (None, None))
        goals[goal.service_user_id].append(RotaGoal(goal, low, high, score, at))
    return goals


def _latest_scores(goal_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, datetime]]:
    if not goal_ids:
        return {}
    ranked = (sa.select(GoalProgress.goal_id, GoalProgress.score, GoalProgress.recorded_at,
                        sa.func.row_number().over(
                            partition_by=GoalProgress.goal_id,
                            order_by=(GoalProgress.recorded_at.desc(), GoalProgress.id.desc()),
                        ).label("rank"))
              .where(GoalProgress.goal_id.in_(goal_ids))
              .subquery())
    rows = db.session.execute(
        sa.select(ranked.c.goal_id, ranked.c.score, ranked.c.recorded_at).where(ranked.c.rank == 1))
    return {row.goal_id: (row.score, row.recorded_at) for row in rows}


def _home(visit: Visit) -> Home:
    person = visit.package.service_user
    radius = person.geofence_radius_m
    if radius is None:
        radius = visit.package.contract.geofence_radius_m
    return Home(person.home_lat, person.home_lon, None if person.geofence_off else radius,
                person.geofence_off)


def rota_for(worker: User, day: date | None = None) -> list[RotaVisit]:
    """The worker's own visits starting on a local day (default today), in planned order."""
    visits = _visits_on(worker, day or clock.today())
    for visit in visits:
        access_log.record_read(worker, "rota_visit", visit.id, visit.package.service_user_id)
    events = _own_events(worker, [visit.id for visit in visits])
    goals = _active_goals(worker, {visit.package.service_user_id for visit in visits})
    # A co-worker who shares a name with a colleague is told apart (identity/names.py).
    names = told_apart({a.worker_id: a.worker for v in visits for a in v.assignments}.values())
    rota = []
    for visit in visits:
        entry = RotaVisit(
            visit=visit, person=visit.package.service_user, home=_home(visit),
            tasks=list(visit.tasks), goals=goals.get(visit.package.service_user_id, []),
            co_workers=sorted(names[a.worker_id] for a in visit.assignments
                              if a.worker_id != worker.id))
        for event in events.get(visit.id, []):
            if event.kind == EventKind.CHECK_IN and entry.checked_in_at is None:
                entry.checked_in_at = event.device_time
                entry.check_in_distance_m = event.distance_m
                entry.check_in_verified = event.verified
            elif event.kind == EventKind.CHECK_OUT and entry.checked_out_at is None:
                entry.checked_out_at = event.device_time
            elif event.kind == EventKind.NO_ACCESS:
                entry.no_access_reported = True
        rota.append(entry)
    return rota


def rota_changes(worker: User) -> list[Notification]:
    """The worker's unread "rota changed" notices, newest first (the app's banner)."""
    return list(db.session.scalars(
        access.scoped(worker, Notification)
        .where(Notification.recipient_user_id == worker.id,
               Notification.channel == Channel.INBOX, Notification.read_at.is_(None),
               Notification.dedupe_key.startswith(KEY_PREFIX))
        .order_by(Notification.created_at.desc()).limit(20)))
