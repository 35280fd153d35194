"""Helpers for the monitoring tests: events as the mobile API records them."""
from datetime import UTC, datetime, timedelta

from backend.extensions import db
from backend.models import EventKind, VisitEvent
from backend.services.attendance import visit_state


def utc(*args) -> datetime:
    """An aware UTC instant."""
    return datetime(*args, tzinfo=UTC)


def record(visit, worker, kind: EventKind, device_time: datetime,
           server_time: datetime | None = None, verified: bool | None = True, **kw) -> VisitEvent:
    """Append an event the way the check-in service does, then refresh the visit's cache."""
    event = VisitEvent(visit_id=visit.id, worker_id=worker.id, recorded_by_id=worker.id,
                       kind=kind, device_time=device_time,
                       server_time=server_time or device_time + timedelta(seconds=5),
                       verified=verified, **kw)
    db.session.add(event)
    db.session.flush()
    db.session.refresh(visit, ["events"])
    visit_state.refresh(visit)
    db.session.flush()
    return event


def check_in(visit, worker, at, **kw):
    """A check-in event."""
    return record(visit, worker, EventKind.CHECK_IN, at, **kw)


def check_out(visit, worker, at, **kw):
    """A check-out event."""
    return record(visit, worker, EventKind.CHECK_OUT, at, **kw)
