"""Helpers for the audit tests: events as the mobile API would record them."""
from datetime import timedelta

from backend.extensions import db
from backend.models import EventKind, VisitEvent
from backend.services.attendance import visit_state


def attend(visit, worker, start, minutes, verified=True, received=None, check_out=True,
           seconds=0):
    """A worker's check-in (and check-out after `minutes` and `seconds`), then the visit's
    cache refreshed."""
    received = received or start
    db.session.add(VisitEvent(visit_id=visit.id, worker_id=worker.id, recorded_by_id=worker.id,
                              kind=EventKind.CHECK_IN, device_time=start, server_time=received,
                              verified=verified))
    if check_out:
        end = start + timedelta(minutes=minutes, seconds=seconds)
        db.session.add(VisitEvent(visit_id=visit.id, worker_id=worker.id,
                                  recorded_by_id=worker.id, kind=EventKind.CHECK_OUT,
                                  device_time=end, server_time=max(received, end)))
    db.session.flush()
    db.session.refresh(visit, ["events"])
    visit_state.refresh(visit)
    db.session.flush()
    return visit
