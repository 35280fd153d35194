"""The usual check-in, check-out or no-access, in four statements and no ORM objects.

Most events a phone sends are plain: its own visit, in the home, in order, nothing for
monitoring to raise or resolve. `record()` stores such an event by the same rules as
check_ins.record() (it calls the same judging, state and reaction functions) and answers
exactly what that would. Anything else it declines before writing, rolling back what
it read, and check_ins.record() takes the event the full way: a refusal and its reason,
a replay, a check-out with tasks or goal progress, an alert to raise or resolve, a pin
hint to consider. So every answer other than "accepted" has one source.

Statements: the visit with its place, rule and the signed-in worker (PostgreSQL locks
it FOR UPDATE); its events, the worker's located events either side of the new one and
the visit's alerts; the event's INSERT; the visit's UPDATE. On SQLite the write lock
is taken after the event is judged, as on the full path, and the visit's status and
events are read again under it (one more statement): a lock held for the whole request
would make the other worker process wait on SQLite's busy handler, which sleeps.
"""
import functools
import uuid
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa

from backend.errors import DomainError
from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, Alert, EventKind, MonitoringRule, Role, User, Visit, VisitEvent,
)
from backend.services import access, check_ins, clock, monitoring, tokens, transactions
from backend.services.spoofing import NEIGHBOUR_SIDES
from backend.services.sql_dialect import insert_ignoring_duplicates, writes_in_with
from backend.services.visit_state import (
    STATE_COLUMNS, derive, read_stored, state_values, write,
)

_RULE_COLUMNS = ("short_margin_min", "early_finish_min", "no_checkout_after_min")

# The visit as the worker may see it, with what judging an event needs of its contract
# and person, its monitoring rule (if its contract has one) and the worker's account.
_VISIT = (
    check_ins.with_place(access.scoped_by_id(Role.CARE_WORKER, Visit).with_only_columns(
        Visit.id, Visit.status, Visit.priority, Visit.planned_end, Visit.duration_min))
    .add_columns(MonitoringRule.id.label("rule_id"),
                 *(getattr(MonitoringRule, name) for name in _RULE_COLUMNS),
                 User.role, User.active, tokens.REVOKED)
    .outerjoin(MonitoringRule, sa.and_(MonitoringRule.contract_id == Visit.contract_id,
                                       MonitoringRule.priority == Visit.priority))
    .join(User, User.id == sa.bindparam("access_user_id"))
    .with_for_update(of=Visit))


def _part(name: str):
    return sa.literal_column(f"'{name}'", sa.String).label("part")


# Read under the lock: the visit's events (as visit_state.stored_events reads them),
# the worker's located events either side of the new one (spoofing), and the visit's
# alerts (monitoring), as one result told apart by "part".
_EVENT_COLUMNS = (VisitEvent.id, VisitEvent.worker_id, VisitEvent.kind, VisitEvent.device_time,
                  VisitEvent.server_time, VisitEvent.verified, VisitEvent.flags,
                  VisitEvent.corrected_start, VisitEvent.corrected_end,
                  VisitEvent.resolution_code)
_NULLS = [sa.null()] * len(_EVENT_COLUMNS)
_AROUND = sa.union_all(
    sa.select(_part("event"), *_EVENT_COLUMNS, VisitEvent.lat, VisitEvent.lon,
              VisitEvent.accuracy_m, sa.type_coerce(sa.null(), Alert.kind.type).label("alert_kind"),
              sa.type_coerce(sa.null(), Alert.status.type).label("alert_status"))
    .where(VisitEvent.visit_id == sa.bindparam("visit_id")),
    *(sa.select(_part(name), *_NULLS[:3], side.c.device_time, *_NULLS[4:], side.c.lat,
                side.c.lon, side.c.accuracy_m, sa.null(), sa.null())
      for name, side in zip(("before", "after"), NEIGHBOUR_SIDES, strict=True)),
    sa.select(_part("alert"), *_NULLS, sa.null(), sa.null(), sa.null(), Alert.kind, Alert.status)
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
        db.session.rollback()
        return None
    db.session.commit()
    return answer


def _store(worker_id, family_id, visit_id, kind, data, now) -> dict:
    connection = db.session.connection()
    visit = connection.execute(_VISIT, {
        "access_user_id": worker_id, "access_organisation_id": None,
        "access_object_id": visit_id, "family_id": family_id}).first()
    if visit is None or visit.role != Role.CARE_WORKER or not visit.active or visit.revoked:
        raise Declined
    check_ins.check_device_time(visit, data["device_time"], now)
    rows = connection.execute(_AROUND, {"visit_id": visit_id, "worker_id": worker_id,
                                        "device_time": data["device_time"]}).all()
    # Judged before SQLite's write lock, as the full path does: it reads only the
    # worker's other events.
    values = check_ins.judge_event(
        worker_id, visit_id, visit, kind, data, now, device_clock=data["device_time"],
        neighbours=[row for row in rows if row.part in ("before", "after")])
    if kind == EventKind.CHECK_IN and values["verified"] is False:
        raise Declined  # pins.consider() may suggest a corrected home location
    status, events = visit.status, [row for row in rows if row.part == "event"]
    with transactions.writing() as locked_now:
        if locked_now:  # SQLite: the visit as it stands now that no one else can write
            status, events = read_stored(visit_id)
        check_ins.check_state(worker_id, status, kind, True, events)
        state = derive(SimpleNamespace(status=status), [*events, SimpleNamespace(**values)])
        judged = SimpleNamespace(planned_end=visit.planned_end, duration_min=visit.duration_min,
                                 **vars(state))
        alerts = {row.alert_kind: row.alert_status for row in rows if row.part == "alert"}
        if monitoring.reaction_needed(judged, now, alerts, lambda: _rules(visit)):
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
    visit's state WHERE the event was inserted, built once."""
    events, visits = VisitEvent.__table__, Visit.__table__
    inserted = (insert_ignoring_duplicates(events)
                .values({c.key: sa.bindparam(f"event_{c.key}", type_=c.type) for c in events.c})
                .returning(events.c.id).cte("inserted"))
    return (sa.update(visits)
            .values({name: sa.bindparam(f"state_{name}", type_=visits.c[name].type)
                     for name in STATE_COLUMNS})
            .where(visits.c.id == sa.bindparam("state_visit"), sa.exists(sa.select(inserted.c.id)))
            .returning(visits.c.id).add_cte(inserted))


def _rules(visit: sa.Row) -> dict:
    """The visit's tolerances, as monitoring reads them (its rule row, else the defaults)."""
    if visit.rule_id is None:
        return dict(DEFAULT_RULES[visit.priority])
    return {name: getattr(visit, name) for name in _RULE_COLUMNS}
