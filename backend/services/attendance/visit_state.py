"""A visit's actual times, status and flags, derived from its events alone.

The columns on Visit are a cache of `derive()`; `refresh()` rewrites the cache.
Per worker: the latest correction's times win over check-in/check-out device times.
Delivered time is counted in seconds and shown in minutes as delivered.py defines.
"""
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from backend.extensions import db
from backend.models import (
    LOCATION_ACCEPTED, NOT_DELIVERED, EventKind, Visit, VisitEvent, VisitStatus,
)
from backend.services.attendance import delivered


@dataclass
class WorkerTimes:
    """One worker's attendance at a visit."""

    start: datetime | None = None
    end: datetime | None = None
    verified: bool | None = None
    flags: set[str] = field(default_factory=set)
    not_delivered: bool = False  # a correction said this worker did not deliver the visit

    @property
    def seconds(self) -> int | None:
        """Whole seconds delivered by this worker, when both ends are known (none when a
        correction says they did not deliver the visit)."""
        if self.not_delivered:
            return 0
        return delivered.carer_seconds(self.start, self.end)

    @property
    def minutes(self) -> int | None:
        """This worker's delivered time shown as whole minutes (half up)."""
        return delivered.shown_minutes(self.seconds)

    def corrected(self, start: datetime | None, end: datetime | None,
                  resolution_code: str | None) -> "WorkerTimes":
        """These times as a correction leaves them: its times replace theirs; "not
        delivered" holds until a later correction with times and other evidence."""
        timed = start is not None or end is not None
        return replace(
            self, start=start or self.start, end=end or self.end,
            verified=True if resolution_code == LOCATION_ACCEPTED else self.verified,
            not_delivered=resolution_code == NOT_DELIVERED or (self.not_delivered and not timed))


@dataclass
class VisitState:
    """Everything the cache on Visit holds."""

    status: VisitStatus
    actual_start: datetime | None
    actual_end: datetime | None
    delivered_seconds: int | None
    delivered_minutes: int | None
    location_verified: bool | None
    flags: list[str]
    workers: dict


def worker_times(events: list[VisitEvent]) -> dict:
    """Each worker's start, end and verification from the events, in server order."""
    workers: dict = {}
    for event in sorted(events, key=lambda e: (e.server_time, str(e.id))):
        times = workers.setdefault(event.worker_id, WorkerTimes())
        times.flags.update(event.flags or [])
        if event.kind == EventKind.CHECK_IN:
            times.start = times.start or event.device_time
            times.verified = event.verified
        elif event.kind == EventKind.CHECK_OUT:
            times.end = times.end or event.device_time
        elif event.kind == EventKind.CORRECTION:
            workers[event.worker_id] = times.corrected(
                event.corrected_start, event.corrected_end, event.resolution_code)
    return workers


def derive(visit: Visit, events: list[VisitEvent] | None = None) -> VisitState:
    """The visit's state as its events say it is."""
    events = list(visit.events if events is None else events)
    workers = worker_times(events)
    attended = {w: t for w, t in workers.items() if t.start is not None}
    starts = [t.start for t in attended.values()]
    ends = [t.end for t in attended.values() if t.end is not None]
    seconds = [t.seconds for t in attended.values() if t.seconds is not None]
    delivered_seconds = sum(seconds) if seconds else None
    verdicts = [t.verified for t in attended.values()]
    flags = sorted(set().union(*(t.flags for t in attended.values())) if attended else set())

    if visit.status == VisitStatus.CANCELLED:
        status = VisitStatus.CANCELLED
    elif attended:
        open_workers = [t for t in attended.values() if t.end is None]
        status = VisitStatus.IN_PROGRESS if open_workers else VisitStatus.COMPLETED
    elif any(e.kind == EventKind.NO_ACCESS for e in events):
        status = VisitStatus.NO_ACCESS
    elif visit.status == VisitStatus.MISSED:
        status = VisitStatus.MISSED  # set by monitoring; a late check-in changes it
    else:
        status = VisitStatus.SCHEDULED

    if not verdicts or all(v is None for v in verdicts):
        location_verified = None
    else:
        location_verified = all(v is not False for v in verdicts)
    return VisitState(
        status=status,
        actual_start=min(starts) if starts else None,
        actual_end=max(ends) if ends and len(ends) == len(attended) else None,
        delivered_seconds=delivered_seconds,
        delivered_minutes=delivered.shown_minutes(delivered_seconds),
        location_verified=location_verified,
        flags=flags,
        workers=workers,
    )


# Built once: run on every accepted event. The visit's status as it stands, and only
# what derive() and the state checks read of its events (one row of NULLs: no events).
STATE_READ = sa.select(
    Visit.status.label("visit_status"), VisitEvent.id, VisitEvent.worker_id, VisitEvent.kind,
    VisitEvent.device_time, VisitEvent.server_time, VisitEvent.verified, VisitEvent.flags,
    VisitEvent.corrected_start, VisitEvent.corrected_end, VisitEvent.resolution_code,
).select_from(Visit.__table__.outerjoin(VisitEvent.__table__, VisitEvent.visit_id == Visit.id)
              ).where(Visit.id == sa.bindparam("visit_id"))
_CACHED = ("status", "actual_start", "actual_end", "delivered_seconds", "delivered_minutes",
           "location_verified", "flags")
STATE_COLUMNS = (*_CACHED, "review_pending")  # what refresh() and write() rewrite
_VISITS = Visit.__table__
# Its parameters are named "state_<column>" ("state_visit": the visit's id), apart from
# an event's columns, so the event log can carry it in the event's INSERT (event_log).
UPDATE_STATE = sa.update(_VISITS).where(
    _VISITS.c.id == sa.bindparam("state_visit", type_=_VISITS.c.id.type)).values({
        name: sa.bindparam(f"state_{name}", type_=_VISITS.c[name].type)
        for name in STATE_COLUMNS})


def refresh(visit: Visit, events: list | None = None, reviewed: bool = False) -> VisitState:
    """Rewrite the visit's cached columns from its events (the visit's collection unless
    given). A stored visit is written with one Core UPDATE and its attributes set as
    committed, so no unit-of-work flush is needed; a new visit is left to the flush.

    The new state is flagged for monitoring's next pass to judge, unless `reviewed`: the
    caller has it judged now (monitoring.react_to_visit_event), in this transaction."""
    state = derive(visit, events)
    instance = sa.inspect(visit)
    if not instance.persistent or instance.modified:
        for name, value in state_values(state, reviewed).items():
            setattr(visit, name, value)
        return state
    for name, value in write(visit.id, state, reviewed).items():
        set_committed_value(visit, name, value)
    return state


def state_values(state: VisitState, reviewed: bool) -> dict:
    """The visit's columns for this state (STATE_COLUMNS)."""
    values = {name: getattr(state, name) for name in _CACHED}
    values["review_pending"] = not reviewed
    return values


def update_parameters(visit_id, values: dict) -> dict:
    """UPDATE_STATE's parameters for the visit's columns `values` (state_values)."""
    return {"state_visit": visit_id, **{f"state_{name}": value for name, value in values.items()}}


def write(visit_id, state: VisitState, reviewed: bool) -> dict:
    """Rewrite a stored visit's cached columns with one Core UPDATE; returns the values.
    A visit object the session holds is given the same values (as committed)."""
    values = state_values(state, reviewed)
    db.session.connection().execute(UPDATE_STATE, update_parameters(visit_id, values))
    written(visit_id, values)
    return values


def written(visit_id, values: dict) -> None:
    """After UPDATE_STATE: a visit object the session holds is given the same values (as
    committed), and its events are read again when next asked for."""
    held = db.session.identity_map.get((Visit, (visit_id,), None))  # Visit's identity key
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)
        db.session.expire(held, ["events"])
