"""Everything recorded about one visit, for the manager's and commissioner's visit page."""
from dataclasses import dataclass

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, EventKind, Goal, GoalProgress, User, Visit, VisitEvent
from backend.services.audit import access_log
from backend.services.attendance import visit_state
from backend.services.identity.access import get_visible
from backend.services.attendance.geo import bearing_deg


@dataclass
class EventLine:
    """An event with who recorded it and where, relative to the home."""

    event: VisitEvent
    worker: str
    recorded_by: str
    bearing: float | None


@dataclass
class VisitRecord:
    """A visit, its events, tasks, notes, goal progress and alerts."""

    visit: Visit
    events: list[EventLine]
    state: visit_state.VisitState
    notes: list[tuple[str, str]]
    concerns: list[tuple[str, str]]
    progress: list[tuple[Goal, GoalProgress]]
    alerts: list[Alert]
    radius_m: int | None


def radius_for(visit: Visit) -> int | None:
    """The geofence radius in effect for the visit's person, or None when off."""
    person = visit.package.service_user
    if person.geofence_off:
        return None
    return person.geofence_radius_m or visit.package.contract.geofence_radius_m


def visit_record(user: User, visit_id) -> VisitRecord:
    """The visit if the user may see it (NotFound otherwise), with all that was recorded."""
    visit = get_visible(user, Visit, visit_id, "visit")
    person = visit.package.service_user
    access_log.record_read(user, "visit", visit.id, person.id)
    home = (person.home_lat, person.home_lon)
    events = db.session.scalars(
        sa.select(VisitEvent).where(VisitEvent.visit_id == visit.id)
        .order_by(VisitEvent.server_time)).all()
    people = {u.id: u.display_name for u in db.session.scalars(
        sa.select(User).where(User.id.in_(
            {e.worker_id for e in events} | {e.recorded_by_id for e in events})))}
    lines = [EventLine(e, people.get(e.worker_id, "?"), people.get(e.recorded_by_id, "?"),
                       bearing_deg(home, (e.lat, e.lon)) if e.lat is not None else None)
             for e in events]
    checkouts = [line for line in lines if line.event.kind == EventKind.CHECK_OUT]
    notes = [(line.worker, line.event.details.get("note")) for line in checkouts
             if (line.event.details or {}).get("note")]
    concerns = [(line.worker, (line.event.details.get("concern") or {}).get("text", ""))
                for line in checkouts
                if ((line.event.details or {}).get("concern") or {}).get("flag")]
    progress = db.session.execute(
        sa.select(Goal, GoalProgress).join(GoalProgress, GoalProgress.goal_id == Goal.id)
        .where(GoalProgress.visit_id == visit.id).order_by(GoalProgress.recorded_at)).all()
    alerts = db.session.scalars(
        sa.select(Alert).where(Alert.visit_id == visit.id).order_by(Alert.raised_at)).all()
    return VisitRecord(visit, lines, visit_state.derive(visit, events), notes, concerns,
                       [tuple(row) for row in progress], list(alerts), radius_for(visit))
