"""The usual check-in, check-out or no-access, in three or four statements, no ORM objects.

Most events a phone sends are plain: its own visit, in the home, in order, nothing for
monitoring to raise or resolve. `record()` stores such an event by the same rules as
check_ins.record() (it calls the same judging, state and reaction functions) and answers
exactly what that would. Anything else it declines before writing, rolling back what
it read, and check_ins.record() takes the event the full way: a refusal and its reason,
a replay, a check-out with tasks or goal progress, an alert to raise or resolve, a pin
hint to consider. So every answer other than "accepted" has one source.

Statements: one read of the visit with its place, rule, the signed-in worker, the
worker's located events either side of the new one, and the visit's events and alerts
(PostgreSQL locks the visit FOR UPDATE in it); the event's INSERT and the visit's
UPDATE, one statement on PostgreSQL. On SQLite the write lock is taken after the event
is judged, as on the full path, and the visit's status, events and alerts are read
again under it: the other worker process waits for that lock, so it is held as
briefly as it can be. PostgreSQL reads them again only if the visit changed while its
row lock was awaited (sql_dialect.locked_as_seen).
"""
import functools
import uuid
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa

from backend.errors import DomainError
from backend.extensions import db
from backend.models import (
    Alert, EventKind, MonitoringRule, Role, User, Visit, VisitEvent,
)
from backend.services.attendance import check_ins
from backend.services.database import transactions
from backend.services.dates import clock
from backend.services.identity import access, tokens
from backend.services.monitoring import reactions, rules
from backend.services.attendance.spoofing import NEIGHBOUR_SIDES
from backend.services.database.dialect import (
    insert_ignoring_duplicates, locked_as_seen, writes_in_with,
)
from backend.services.attendance.visit_state import (
    STATE_COLUMNS, STATE_READ, derive, state_values, write,
)

_SIDES = tuple(zip(("before", "after"), NEIGHBOUR_SIDES, strict=True))
_SIDE_COLUMNS = ("lat", "lon", "accuracy_m", "device_time")

_EVENT_COLUMNS = [column for column in STATE_READ.selected_columns
                  if getattr(column, "table", None) is VisitEvent.__table__]


@functools.cache
def _read(dialect: str) -> sa.Select:
    """The visit as the worker may see it, in one statement built once per dialect: its
    status; what judging an event needs of its contract and person; its monitoring rule
    (if its contract has one); the worker's account; the worker's located events either
    side of the new one (spoofing; at most one row each, as columns "before_lat" ...
    "after_device_time"); then a row for each of its events and alerts (the event
    columns as visit_state.STATE_READ reads them)."""
    visit = access.scoped_by_id(Role.CARE_WORKER, Visit).with_only_columns(
        Visit.status.label("visit_status"), Visit.priority, Visit.planned_start,
        Visit.planned_end, Visit.duration_min, Visit.carers_required)
    return (
        check_ins.with_place(visit)
        .add_columns(MonitoringRule.id.label("rule_id"),
                     *(getattr(MonitoringRule, name) for name in rules.RULE_COLUMNS),
                     User.role, User.active, tokens.REVOKED,
                     *(side.c[name].label(f"{part}_{name}") for part, side in _SIDES
                       for name in _SIDE_COLUMNS),
                     *_EVENT_COLUMNS, Alert.kind.label("alert_kind"),
                     Alert.status.label("alert_status"),
                     locked_as_seen(Visit.__table__, dialect).label("locked_as_seen"))
        .outerjoin(MonitoringRule, sa.and_(MonitoringRule.contract_id == Visit.contract_id,
                                           MonitoringRule.priority == Visit.priority))
        .join(User, User.id == sa.bindparam("access_user_id"))
        .outerjoin(_SIDES[0][1], sa.true()).outerjoin(_SIDES[1][1], sa.true())
        .outerjoin(VisitEvent, VisitEvent.visit_id == Visit.id)
        .outerjoin(Alert, Alert.visit_id == Visit.id)
        .with_for_update(of=Visit))


# The visit's status, events and alerts again, for when _read()'s were read before its
# lock was granted (see sql_dialect.locked_as_seen).
_STATE = sa.union_all(
    STATE_READ.add_columns(sa.type_coerce(sa.null(), Alert.kind.type).label("alert_kind"),
                           sa.type_coerce(sa.null(), Alert.status.type).label("alert_status")),
    sa.select(*[sa.null()] * len(STATE_READ.selected_columns), Alert.kind, Alert.status)
    .where(Alert.visit_id == sa.bindparam("visit_id")),
)


class Declined(Exception):
    """The event is not the usual one: check_ins.record() takes it."""


def record(token: str, visit_id: uuid.UUID, kind: EventKind, data: dict,
           now: datetime | None = None) -> dict | None:
    """Store the usual event and return the answer (result, event, visit) as
    check_ins.record() would; None, with nothing written, for any other event."""
    if kind == EventKind.CHECK_OUT and (data.get("tasks") or data.get("goal_progress")):
        return None  # tasks and goals are written through the ORM (check_ins.apply_event)
    try:
        worker_id, family_id = tokens.bearer(token)
        answer = _store(worker_id, family_id, visit_id, kind, data, now or clock.now())
    except (Declined, DomainError):
        db.session.rollback()  # what was read (and locked) goes; the full path starts afresh
        return None
    return answer  # committed with the request, as every request's writes are


def _store(worker_id, family_id, visit_id, kind, data, now) -> dict:
    connection = db.session.connection()
    seen = transactions.changes_seen()
    rows = connection.execute(_read(connection.dialect.name), {
        "access_user_id": worker_id, "access_organisation_id": None,
        "access_object_id": visit_id, "family_id": family_id, "worker_id": worker_id,
        "device_time": data["device_time"], "visit_id": visit_id}).all()
    if not rows:
        raise Declined  # not the worker's visit, or no such visit
    visit = rows[0]
    if visit.role != Role.CARE_WORKER or not visit.active or visit.revoked:
        raise Declined
    check_ins.check_device_time(visit, data["device_time"], now)
    values = check_ins.judge_event(
        worker_id, visit_id, visit, kind, data, now, device_clock=data["device_time"],
        neighbours=[SimpleNamespace(**{name: visit._mapping[f"{part}_{name}"]
                                       for name in _SIDE_COLUMNS})
                    for part, _side in _SIDES if visit._mapping[f"{part}_lat"] is not None])
    if kind == EventKind.CHECK_IN and values["verified"] is False:
        raise Declined  # pins.consider() may suggest a corrected home location
    # SQLite's write lock is taken only now, after the judging, as on the full path:
    # the other worker process waits for it (see transactions).
    with transactions.writing():
        if not visit.locked_as_seen and transactions.changed_since(seen):
            # Read before the lock (SQLite) or while awaiting it (PostgreSQL), and
            # something was committed meanwhile: read the visit's state again.
            rows = connection.execute(_STATE, {"visit_id": visit_id}).all()
        status = next((row.visit_status for row in rows if row.visit_status is not None), None)
        if status is None:
            raise Declined  # deleted since
        events = list({row.id: row for row in rows if row.id is not None}.values())
        check_ins.check_state(worker_id, status, kind, True, events)
        state = derive(SimpleNamespace(status=status), [*events, SimpleNamespace(**values)])
        judged = SimpleNamespace(planned_start=visit.planned_start,
                                 planned_end=visit.planned_end, duration_min=visit.duration_min,
                                 carers_required=visit.carers_required, **vars(state))
        alerts = {row.alert_kind: row.alert_status for row in rows if row.alert_kind is not None}
        rule = visit._mapping if visit.rule_id is not None else None
        if reactions.reaction_needed(judged, now, alerts,
                                     lambda: rules.tolerances(rule, visit.priority)):
            raise Declined
        if not _write(values, visit_id, state):
            raise Declined  # a replay, or a second check-in racing this one
    return {"result": "accepted", "event": values,
            "visit": {"id": visit_id, "status": state.status,
                      "location_verified": state.location_verified, "flags": state.flags}}


def _write(values: dict, visit_id: uuid.UUID, state) -> bool:
    """INSERT the event and, if it was stored, UPDATE the visit's state (reviewed: nothing
    for monitoring to judge); False when a unique index already holds the event. One
    statement where a WITH clause may write (PostgreSQL), else two."""
    if not writes_in_with():
        if not check_ins.insert_event_row(values):
            return False
        write(visit_id, state, reviewed=True)
        return True
    parameters = {f"event_{key}": value for key, value in values.items()}
    parameters.update({f"state_{key}": value for key, value in state_values(state, True).items()},
                      state_visit=visit_id)
    return db.session.connection().execute(_event_then_state(), parameters).first() is not None


@functools.cache
def _event_then_state() -> sa.Update:
    """WITH inserted AS (INSERT event ... ON CONFLICT DO NOTHING RETURNING id) UPDATE the
    visit's state WHERE the event was inserted: PostgreSQL only (writes_in_with()), built
    once."""
    events, visits = VisitEvent.__table__, Visit.__table__
    inserted = (insert_ignoring_duplicates(events)
                .values({c.key: sa.bindparam(f"event_{c.key}", type_=c.type) for c in events.c})
                .returning(events.c.id).cte("inserted"))
    return (sa.update(visits)
            .values({name: sa.bindparam(f"state_{name}", type_=visits.c[name].type)
                     for name in STATE_COLUMNS})
            .where(visits.c.id == sa.bindparam("state_visit"), sa.exists(sa.select(inserted.c.id)))
            .returning(visits.c.id).add_cte(inserted))

