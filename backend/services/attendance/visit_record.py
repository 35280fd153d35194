"""Everything recorded about one visit, for the manager's and commissioner's visit page."""
from dataclasses import dataclass

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, EventKind, Goal, GoalProgress, User, Visit, VisitEvent
from backend.services.audit import access_log
from backend.services.attendance import visit_state
from backend.services.identity.access import get_visible
from backend.services.identity.names import told_apart
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
    notes: list[tuple[str, str, str]]  # (carer, what it is, the carer's words)
    concerns: list[tuple[str, str]]
    progress: list[tuple[Goal, GoalProgress]]
    alerts: list[Alert]
    radius_m: int | None


# What each piece of a carer's own words is, by where the event keeps it.
_WORDS = {"manual_reason": "Why the location was typed in",
          "start_reason": "Why the visit started early or out of order"}


def carers_words(line: EventLine) -> list[tuple[str, str, str]]:
    """Every note and reason an event carries, as (carer, what it is, the words): the
    check-out or no-access note, why there was no access, why a check-in was early,
    out of order or typed in, a correction's note."""
    event, details = line.event, line.event.details or {}
    found = []
    if event.kind == EventKind.NO_ACCESS and event.reason_code:
        found.append((line.worker, "No access", event.reason_code.replace("_", " ")))
    for key, what in _WORDS.items():
        if (details.get(key) or "").strip():
            found.append((line.worker, what, details[key].strip()))
    if (event.note or "").strip():
        what = {EventKind.CHECK_OUT: "Check-out note", EventKind.NO_ACCESS: "No-access note",
                EventKind.CORRECTION: f"Correction note by {line.recorded_by}"}.get(
            event.kind, "Note")
        found.append((line.worker, what, event.note.strip()))
    return found


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
    people = told_apart([*db.session.scalars(sa.select(User).where(User.id.in_(
        {e.worker_id for e in events} | {e.recorded_by_id for e in events}
        | {a.worker_id for a in visit.assignments})))])
    lines = [EventLine(e, people.get(e.worker_id, "?"), people.get(e.recorded_by_id, "?"),
                       bearing_deg(home, (e.lat, e.lon)) if e.lat is not None else None)
             for e in events]
    checkouts = [line for line in lines if line.event.kind == EventKind.CHECK_OUT]
    notes = [note for line in lines for note in carers_words(line)]
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
