"""The attendance pipeline: the one way a check-in, check-out or no-access is recorded.

Live events from the phone (`record`), queued events from offline sync (`store`) and
managers' corrections (`corrections.correct_visit`, through `apply`) all go the same
way:

1. find the visit as the worker may see it (the one access module), with what judging
   needs, locked for this transaction: one statement (`_read`);
2. judge the event (pure functions in judging.py: offline window, state, location,
   spoofing signs);
3. append it to the event log (event_log.append_one, the only writer of events);
4. rewrite the visit's cached state from its events (visit_state), in the same
   statement as the event where the database can carry both;
5. react: alerts raised or resolved at once, an urgent concern, the tasks' outcomes,
   goal progress, a hint that the home's map pin may be wrong. Each is a step of this
   one pipeline, taken only when the event calls for it.

Concurrency: PostgreSQL locks the visit row in the read; when the lock had to be
waited for, what the read saw of the visit may be older than the row it locked
(dialect.locked_as_seen), and the visit's state is read again. SQLite has one write
lock for the whole database, taken after judging (transactions.writing) so the other
worker process waits as briefly as it can; the state is read again only if another
connection committed since the first read.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from backend.errors import Conflict, DomainError, NotFound
from backend.extensions import db
from backend.models import (
    Alert, CarePackage, Contract, EventKind, MonitoringRule, Role, ServiceUser, User, Visit,
    VisitEvent,
)
from backend.services.attendance import after_event, event_log, judging, visit_state
from backend.services.attendance.spoofing import NEIGHBOUR_SIDES
from backend.services.database import compiled, transactions
from backend.services.database.dialect import locked_as_seen
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.monitoring import monitor, reactions, rules


@dataclass
class Outcome:
    """What happened to one event: "accepted" (stored now) or "duplicate" (stored before).

    `event`: the stored event's columns (a VisitEvent, or a mapping of its columns);
    `visit`: the visit's id and cached state as the event left it.
    """

    result: str
    event: object
    visit: object

    def __getitem__(self, name: str):
        return _by_name(self, name)


def _by_name(answer, name: str):
    # The API's schemas read an answer's parts by name first, and only then as
    # attributes (an object that cannot be read by name costs an error caught per part).
    return answer.__dict__[name]


class _Columns(SimpleNamespace):
    """An answer's columns: read as attributes (offline sync) or by name (the API)."""

    __getitem__ = _by_name


_SIDES = tuple(zip(("before", "after"), NEIGHBOUR_SIDES, strict=True))
_SIDE_COLUMNS = ("lat", "lon", "accuracy_m", "device_time")
# Each side's columns as (name, the read's column): ("lat", "before_lat") ...
_SIDE_KEYS = tuple(tuple((name, f"{part}_{name}") for name in _SIDE_COLUMNS)
                   for part, _side in _SIDES)
_EVENT_COLUMNS = [column for column in visit_state.STATE_READ.selected_columns
                  if getattr(column, "table", None) is VisitEvent.__table__]
# What judging an event needs of the visit's contract and person.
_PLACE = (Contract.offline_window_hours, Contract.geofence_radius_m,
          Contract.accuracy_allowance_max_m, Contract.early_checkin_warn_min,
          ServiceUser.home_lat, ServiceUser.home_lon,
          ServiceUser.geofence_radius_m.label("person_radius_m"), ServiceUser.geofence_off)


_READS: dict[tuple[str, bool], sa.TextualSelect] = {}


def _read(dialect: Dialect, scoped: bool) -> sa.TextualSelect:
    """_visit_read(), compiled once per database (compiled.as_text)."""
    key = (dialect.name, scoped)
    if key not in _READS:
        _READS[key] = compiled.as_text(_visit_read(dialect.name, scoped), dialect)
    return _READS[key]


def _visit_read(dialect: str, scoped: bool) -> sa.Select:
    """The visit, in one statement built once per database: its status and plan; what
    judging needs of its contract and person; its monitoring rule row for its priority
    (if its contract has one); the worker's located events either side of the new one
    (columns "before_lat" ... "after_device_time"); then a row for each of its events
    and alerts. The visit is locked FOR UPDATE.

    `scoped`: as the care worker may see it (access.scoped_by_id); else by id alone, for
    a correction, whose maker's access the corrections service has checked."""
    visits = (access.scoped_by_id(Role.CARE_WORKER, Visit) if scoped
              else sa.select(Visit).where(Visit.id == sa.bindparam("access_object_id")))
    visit = visits.with_only_columns(
        Visit.id.label("visit_id"), Visit.status.label("visit_status"), Visit.priority,
        Visit.planned_start, Visit.planned_end, Visit.duration_min, Visit.carers_required,
        Visit.contract_id, CarePackage.service_user_id, *_PLACE)
    return (
        visit.join(CarePackage, CarePackage.id == Visit.package_id)
        .join(Contract, Contract.id == CarePackage.contract_id)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .add_columns(MonitoringRule.id.label("rule_id"),
                     *(getattr(MonitoringRule, name) for name in rules.RULE_COLUMNS),
                     *(side.c[name].label(f"{part}_{name}") for part, side in _SIDES
                       for name in _SIDE_COLUMNS),
                     *_EVENT_COLUMNS, Alert.kind.label("alert_kind"),
                     Alert.status.label("alert_status"),
                     locked_as_seen(Visit.__table__, dialect).label("locked_as_seen"))
        .outerjoin(MonitoringRule, sa.and_(MonitoringRule.contract_id == Visit.contract_id,
                                           MonitoringRule.priority == Visit.priority))
        .outerjoin(_SIDES[0][1], sa.true()).outerjoin(_SIDES[1][1], sa.true())
        .outerjoin(VisitEvent, VisitEvent.visit_id == Visit.id)
        .outerjoin(Alert, Alert.visit_id == Visit.id)
        .with_for_update(of=Visit))


# The visit's status, events and alerts again, for when _read()'s were read before its
# lock was granted.
_STATE = sa.union_all(
    visit_state.STATE_READ.add_columns(
        sa.type_coerce(sa.null(), Alert.kind.type).label("alert_kind"),
        sa.type_coerce(sa.null(), Alert.status.type).label("alert_status")),
    sa.select(*[sa.null()] * len(visit_state.STATE_READ.selected_columns), Alert.kind,
              Alert.status).where(Alert.visit_id == sa.bindparam("visit_id")),
)


class _Visit(SimpleNamespace):
    """The visit as read: its plan, place, rule and neighbours (first row), and its
    status, events and alerts (all rows)."""

    @classmethod
    def of(cls, rows: list) -> "_Visit":
        first = dict(zip(rows[0]._fields, rows[0], strict=True))
        for per_event in ("id", "alert_kind", "alert_status"):
            del first[per_event]
        visit = cls(**first)
        visit.neighbours = [SimpleNamespace(**{name: first[key] for name, key in side})
                            for side in _SIDE_KEYS if first[side[0][1]] is not None]
        visit.rule = first if first["rule_id"] is not None else None
        visit.take_state(rows)
        return visit

    def take_state(self, rows: list) -> None:
        """Status, events and alerts from rows of _read() or _STATE."""
        self.visit_status = next(
            (row.visit_status for row in rows if row.visit_status is not None), None)
        self.events = list({row.id: row for row in rows if row.id is not None}.values())
        self.alerts = {row.alert_kind: row.alert_status for row in rows
                       if row.alert_kind is not None}


def _uuid(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("No visit with that id.") from None


def find(worker: User, visit_id: uuid.UUID, device_time: datetime,
         scoped: bool = True) -> _Visit:
    """Step 1: the visit with what judging needs, locked; NotFound for a visit the worker
    may not see (`scoped`) or no visit at all."""
    connection = db.session.connection()
    rows = connection.execute(_read(connection.dialect, scoped), {
        **access.by_id_parameters(worker, visit_id), "worker_id": worker.id,
        "device_time": device_time}).all()
    if not rows:
        raise NotFound("No visit with that id.")
    return _Visit.of(rows)


def record(worker: User, visit_id, kind: EventKind, data: dict,
           now: datetime | None = None) -> Outcome:
    """One event sent live from the phone: strict about order (409 says why); a replay
    of an event stored before answers "duplicate"."""
    return store(worker, visit_id, kind, data, now or clock.now(), strict=True,
                 device_clock=data["device_time"])


def store(worker: User, visit_id, kind: EventKind, data: dict, now: datetime, strict: bool,
          device_clock: datetime | None, isolated: bool = False) -> Outcome:
    """Judge, append and apply one event exactly once.

    `worker`: a User, or the API caller's users row (mobile_api.auth.caller()): only its
    id, role and organisation are asked for.

    `strict`: refuse an event out of order (live); offline sync stores it.
    `isolated`: in a savepoint, so a refusal undoes this event alone (sync applies a
    batch in one unit of work); a single live event's refusal ends its request.
    A refusal of an event this device already stored answers "duplicate" instead.
    """
    judging.require_care_worker(worker.role)
    kind = EventKind(kind)
    visit_id = _uuid(visit_id)
    try:
        return _store(worker, visit_id, kind, data, now, strict, device_clock, isolated)
    except DomainError:
        replay = event_log.find_replay(worker.id, data)
        if replay is None:
            raise
    event_log.check_same_event(replay, visit_id, kind)
    return Outcome("duplicate", replay, db.session.get(Visit, replay.visit_id))


def _store(worker, visit_id, kind, data, now, strict, device_clock, isolated) -> Outcome:
    seen = transactions.changes_seen()
    visit = find(worker, visit_id, data["device_time"])
    judging.check_device_time(visit, data["device_time"], now)
    event = judging.judge_event(worker.id, visit_id, visit, kind, data, now, device_clock,
                                visit.neighbours)
    with transactions.savepoint() if isolated else transactions.writing():
        if not visit.locked_as_seen and transactions.changed_since(seen):
            again = db.session.connection().execute(_STATE, {"visit_id": visit_id}).all()
            visit.take_state(again)
        if visit.visit_status is None:
            raise NotFound("No visit with that id.")  # removed since it was read
        judging.check_state(worker.id, visit.visit_status, kind, strict, visit.events)
        after_event.check_payload(worker, visit, kind, data)
        state = apply(visit, event, now)
        if state is None:
            # A unique index holds the same event: this device's replay (store() answers
            # it as a duplicate), or the worker's second check-in or check-out.
            raise Conflict(f"Your {kind.value.replace('_', '-')} for this visit is already "
                           "recorded.", code="already_recorded")
    return Outcome("accepted", _Columns(**event), _Columns(
        id=visit_id, status=state.status, location_verified=state.location_verified,
        flags=state.flags))


def apply(visit, event: dict, now: datetime) -> visit_state.VisitState | None:
    """Steps 3 to 5 for a judged event: append it with the visit's cached state rewritten
    from all its events (one statement where the database can), then take what the event
    calls for (alerts, concern, tasks, goals, pin). None, with nothing written, when a
    unique index already holds the event.

    `visit`: the visit as read (`_Visit`: its plan, rule, status, events and alerts)."""
    state = visit_state.derive(SimpleNamespace(status=visit.visit_status),
                               [*visit.events, SimpleNamespace(**event)])
    values = visit_state.state_values(state, reviewed=True)
    if not event_log.append_one(event, visit_state.UPDATE_STATE,
                                visit_state.update_parameters(visit.visit_id, values)):
        return None
    visit_state.written(visit.visit_id, values)
    judged = SimpleNamespace(planned_start=visit.planned_start, planned_end=visit.planned_end,
                             duration_min=visit.duration_min,
                             carers_required=visit.carers_required, **vars(state))
    if reactions.reaction_needed(judged, now, visit.alerts,
                                 lambda: rules.tolerances(visit.rule, visit.priority)):
        monitor.react_to_visit_event(db.session.get(Visit, visit.visit_id), now)
    after_event.react(visit, event, now)
    return state


def statuses(visit_ids: set) -> dict:
    """The visits' statuses as the events left them (sync answers with the status each
    visit has once the whole batch is applied)."""
    if not visit_ids:
        return {}
    return dict(db.session.execute(sa.select(Visit.id, Visit.status).where(
        Visit.id.in_(list(visit_ids)))).all())
