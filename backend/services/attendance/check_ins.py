"""Check-in, check-out and no-access events for a visit.

`record()` serves the single-event endpoints and is strict about the visit's state
(409 with the reason). `store()` is shared with offline sync, which is lenient about
order: a check-out that arrives before its check-in is stored, because the
check-in is still in flight and the visit's state is derived from all events anyway.
`apply_event()` is the ONE place an accepted event takes effect, except for the usual
live event, which quick_check_ins stores in fewer statements when there is nothing for
apply_event() to do beyond the visit's state (no tasks, goal progress, alert reaction
or pin hint), judged by this module's functions (judge_event, check_state).
"""
import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from backend.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.models import (
    CarePackage, Contract, EventKind, Goal, Role, ServiceUser, User, Visit, VisitEvent,
    VisitStatus,
)
from backend.models.contracts import MAX_OFFLINE_WINDOW_HOURS
from backend.services.attendance import pins, spoofing, visit_state
from backend.services.database import transactions
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.monitoring import monitor
from backend.services.outcomes import goal_progress
from backend.services.attendance.geo import judge_location
from backend.services.database.dialect import dialect_name, insert_ignoring_duplicates

# Phone clocks drift; a device time this far ahead of ours is still believed.
FUTURE_SKEW = timedelta(minutes=5)
# A device clock further than this from ours is flagged "clock_gap".
CLOCK_GAP = timedelta(minutes=5)


@dataclass
class Outcome:
    """What happened to one event: "accepted" (stored now) or "duplicate" (stored before)."""

    result: str
    event: VisitEvent
    visit: Visit


def require_care_worker(user: User) -> None:
    """Only care workers record attendance (an admin may read, not attend)."""
    if user.role != Role.CARE_WORKER:
        raise Forbidden("Only care workers check in and out of visits.")


def record(user: User, visit_id, kind: EventKind, data: dict,
           now: datetime | None = None) -> Outcome:
    """One event sent live from the phone: strict about order (409 says why)."""
    require_care_worker(user)
    now = now or clock.now()
    return once(user, visit_id, kind, data,
                lambda: store(user, visible_visit(user, visit_id), kind, data, now, strict=True,
                              device_clock=data["device_time"]))


def once(user: User, visit_id, kind: EventKind, data: dict, attempt) -> Outcome:
    """attempt() the event; if it is refused, a replay of a stored event answers "duplicate".

    A replay is the exception, so the duplicate is looked up only when the attempt
    fails a state, window or visit check that a replay would fail (store() itself
    looks it up when a unique index turns the insert away); the answer is the same as
    looking it up first.
    """
    try:
        return attempt()
    except DomainError:
        duplicate = find_duplicate(user, data)
        if duplicate is None:
            raise
    return as_duplicate(duplicate, visit_id, kind)


class LockedVisit(NamedTuple):
    """A visit locked for this transaction, with the columns of its contract and person
    that an event is judged by (offline window, geofence, home)."""

    visit: Visit
    place: sa.Row


def visible_visit(user: User, visit_id) -> LockedVisit:
    """The visit if the user may see it (NotFound otherwise), locked for this transaction
    so events for one visit are applied one at a time. One statement: the package,
    contract and person are not loaded as objects, only the few columns judged."""
    try:
        visit_id = uuid.UUID(str(visit_id))
    except ValueError:
        raise NotFound("No visit with that id.") from None
    row = db.session.execute(_visible_visit_statement(user.role),
                             access.by_id_parameters(user, visit_id)).first()
    if row is None:
        raise NotFound("No visit with that id.")
    return LockedVisit(row[0], row)  # the row names the place columns


# What judging an event needs of the visit's contract and person.
_PLACE = (Contract.offline_window_hours, Contract.geofence_radius_m,
          Contract.accuracy_allowance_max_m, ServiceUser.home_lat, ServiceUser.home_lon,
          ServiceUser.geofence_radius_m.label("person_radius_m"), ServiceUser.geofence_off)


def with_place(visits: sa.Select) -> sa.Select:
    """A statement of visits with the columns of their contract and person that an event
    is judged by (offline window, geofence, home)."""
    return (visits.add_columns(*_PLACE)
            .join(CarePackage, CarePackage.id == Visit.package_id)
            .join(Contract, Contract.id == CarePackage.contract_id)
            .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id))


@functools.cache
def _visible_visit_statement(role: Role) -> sa.Select:
    """The locked, scoped lookup of one visit with its place, built once per role."""
    return (with_place(access.scoped_by_id(role, Visit))
            .with_for_update(of=Visit).execution_options(populate_existing=True))


def find_duplicate(user: User, data: dict) -> VisitEvent | None:
    """The event already stored under this device's client event id, if any."""
    if not data.get("device_id") or not data.get("client_event_id"):
        return None
    event = db.session.scalar(sa.select(VisitEvent).where(
        VisitEvent.device_id == data["device_id"],
        VisitEvent.client_event_id == data["client_event_id"]))
    if event is not None and event.worker_id != user.id:
        raise Conflict("That client event id is already taken on this device.",
                       code="client_event_id_taken")
    return event


def as_duplicate(event: VisitEvent, visit_id, kind: EventKind) -> Outcome:
    """The earlier event as a "duplicate" answer, if the replay really is the same event."""
    if str(event.visit_id) != str(visit_id) or event.kind != kind:
        raise Conflict("That client event id was already used for a different event.",
                       code="client_event_id_reused")
    return Outcome("duplicate", event, event.visit)


def check_device_time(place: sa.Row, device_time: datetime, now: datetime) -> None:
    """Within the contract's offline window and not in the future beyond a small skew."""
    hours = min(place.offline_window_hours or 24, MAX_OFFLINE_WINDOW_HOURS)
    if device_time < now - timedelta(hours=hours):
        raise Invalid(f"This event is older than the {hours}-hour offline window; "
                      "ask your manager to record it as a correction.",
                      field="device_time", code="outside_offline_window")
    if device_time > now + FUTURE_SKEW:
        raise Invalid("This event's device time is in the future; check the phone's clock.",
                      field="device_time", code="device_time_in_future")


def check_state(worker_id: uuid.UUID, status: VisitStatus, kind: EventKind, strict: bool,
                events: list) -> None:
    """Conflict when the event cannot happen to the visit as it stands (its status and
    stored events, rows or objects).

    Only care workers record events and they see only visits they are assigned to,
    so the visit in hand is always one of the worker's own.
    """
    if status == VisitStatus.CANCELLED:
        raise Conflict("This visit was cancelled; nothing can be recorded on it.",
                       code="visit_cancelled")
    if not strict:
        return
    mine = {e.kind for e in events if e.worker_id == worker_id}
    if kind == EventKind.CHECK_IN and EventKind.CHECK_IN in mine:
        raise Conflict("You have already checked in to this visit.", code="already_checked_in")
    if kind == EventKind.CHECK_OUT and EventKind.CHECK_IN not in mine:
        raise Conflict("You cannot check out before checking in.", code="not_checked_in")
    if kind == EventKind.CHECK_OUT and EventKind.CHECK_OUT in mine:
        raise Conflict("You have already checked out of this visit.",
                       code="already_checked_out")
    if kind == EventKind.NO_ACCESS and EventKind.CHECK_IN in mine:
        raise Conflict("You are checked in to this visit; check out instead.",
                       code="already_checked_in")


def _details(kind: EventKind, data: dict) -> dict:
    """The payload kept on the event as received."""
    details = {}
    if data.get("manual_reason"):
        details["manual_reason"] = data["manual_reason"]
    if kind == EventKind.CHECK_OUT:
        details["tasks"] = [{"task_id": str(t["task_id"]), "done": t["done"],
                             "reason": t.get("reason")} for t in data.get("tasks") or []]
        details["goal_progress"] = [{"goal_id": str(g["goal_id"]), "score": g["score"],
                                     "note": g.get("note")}
                                    for g in data.get("goal_progress") or []]
        if data.get("concern"):
            details["concern"] = {"flag": bool(data["concern"].get("flag")),
                                  "text": data["concern"].get("text")}
    return details


def _check_payload(user: User, visit: Visit, kind: EventKind, data: dict) -> None:
    """Tasks belong to the visit; goals exist and belong to the person visited."""
    if kind != EventKind.CHECK_OUT:
        return
    tasks = data.get("tasks") or []
    task_ids = {t.id for t in visit.tasks} if tasks else set()
    seen = set()
    for n, task in enumerate(tasks):
        if task["task_id"] not in task_ids or task["task_id"] in seen:
            raise Invalid("That task is not on this visit (or is listed twice).",
                          fields={"tasks": {str(n): {"task_id": ["Not a task of this visit."]}}})
        seen.add(task["task_id"])
    for n, entry in enumerate(data.get("goal_progress") or []):
        goal = db.session.scalar(access.scoped(user, Goal).where(Goal.id == entry["goal_id"]))
        if goal is None or goal.service_user_id != visit.package.service_user_id:
            raise Invalid("That goal is not one of this person's goals.",
                          fields={"goal_progress": {str(n): {"goal_id": ["Unknown goal."]}}})
        try:
            goal_progress.check_progress(goal, entry["score"])
        except Invalid as exc:
            raise Invalid(exc.message, fields={"goal_progress": {str(n): exc.fields}}) from None


def judge_event(worker_id: uuid.UUID, visit_id: uuid.UUID, place, kind: EventKind,
                data: dict, now: datetime, device_clock: datetime | None,
                neighbours: list | None = None) -> dict:
    """A new event's columns, with its distance, verdict and every signal judged now.

    `neighbours`: the worker's located events either side of its device time, when the
    caller read them already (spoofing reads them otherwise)."""
    verdict = judge_location(
        (place.home_lat, place.home_lon), data.get("lat"), data.get("lon"),
        data.get("accuracy_m"), place.person_radius_m or place.geofence_radius_m,
        place.accuracy_allowance_max_m, place.geofence_off)
    flags = list(verdict.flags)
    if verdict.verified is False:
        flags.append("location_not_verified")
    flags += spoofing.location_flags(worker_id, data.get("lat"), data.get("lon"),
                                     data.get("accuracy_m"), data["device_time"],
                                     bool(data.get("mock_location")), neighbours)
    if device_clock is not None and abs(now - device_clock) > CLOCK_GAP:
        flags.append("clock_gap")
    return dict(
        id=uuid.uuid4(), visit_id=visit_id, worker_id=worker_id, recorded_by_id=worker_id,
        kind=kind, device_time=data["device_time"], server_time=now, lat=data.get("lat"),
        lon=data.get("lon"), accuracy_m=data.get("accuracy_m"), method=data.get("method"),
        distance_m=verdict.distance_m, verified=verdict.verified,
        mock_location=bool(data.get("mock_location")), device_id=data.get("device_id"),
        client_event_id=data.get("client_event_id"), reason_code=data.get("reason"),
        note=data.get("note"), flags=sorted(set(flags)), details=_details(kind, data),
        # Every column set here, so the event needs no reload once inserted.
        resolution_code=None, corrects_event_id=None, corrected_start=None,
        corrected_end=None)


def build_event(user: User, visit: Visit, place: sa.Row, kind: EventKind, data: dict,
                now: datetime, device_clock: datetime | None) -> VisitEvent:
    """judge_event() as a new VisitEvent."""
    return VisitEvent(**judge_event(user.id, visit.id, place, kind, data, now, device_clock))


def store(user: User, locked: LockedVisit, kind: EventKind, data: dict, now: datetime,
          strict: bool, device_clock: datetime | None, isolated: bool = False) -> Outcome:
    """Judge, store and apply one event exactly once; a replay answers "duplicate".

    `locked` comes from visible_visit(): the visit, locked for this transaction.
    `isolated`: apply it in a savepoint, so a refusal undoes this event alone (offline
    sync applies a batch in one transaction); a single event's refusal ends its request.
    """
    visit, place = locked
    kind = EventKind(kind)
    db.session.expire(visit, ["events"])  # never trust a collection a failed savepoint touched
    check_device_time(place, data["device_time"], now)
    # Judged before the write lock: it reads only the worker's other events.
    event = build_event(user, visit, place, kind, data, now, device_clock)
    stored = False
    try:
        with transactions.savepoint() if isolated else transactions.writing():
            events = visit_state.stored_events(visit)  # under the lock: as the visit stands
            check_state(user.id, visit.status, kind, strict, events)
            _check_payload(user, visit, kind, data)
            stored = insert_event(event)
            if stored:
                apply_event(user, visit, event, [*events, event])
    except BaseException:
        if stored and not isolated:
            # A single event is its request's whole unit of work, which now fails after
            # its row was written: end it now, so once() never takes the refusal for a
            # replay of that row.
            db.session.rollback()
        db.session.expire(visit)  # its cached columns may have been set in the savepoint
        raise
    if stored:
        return Outcome("accepted", event, visit)
    # A unique index holds the same event: this device's replay, or a second check-in.
    duplicate = find_duplicate(user, data)
    if duplicate is not None:
        return as_duplicate(duplicate, visit.id, kind)
    raise Conflict(f"Your {kind.value.replace('_', '-')} for this visit is already "
                   "recorded.", code="already_recorded")


@functools.cache
def _insert_event_statement(dialect: str) -> sa.Insert:
    """Built once per dialect: the event INSERT runs on every check-in, check-out and
    synced event. A row clashing with a unique index (a replayed client event id, a
    second check-in) is skipped rather than failing the transaction, so the replay can
    be looked up with no savepoint to roll back to."""
    return insert_ignoring_duplicates(VisitEvent.__table__).returning(VisitEvent.id)


_EVENT_COLUMNS = [column.key for column in VisitEvent.__table__.columns]


def insert_event(event: VisitEvent) -> bool:
    """INSERT the new event with one Core statement, then keep the object in the session
    as stored (persistent, nothing pending): the unit of work's flush of one row costs
    more than the row. Every column is set by build_event(). False when a unique index
    already holds the same event (nothing stored)."""
    if not insert_event_row({key: getattr(event, key) for key in _EVENT_COLUMNS}):
        return False
    make_transient_to_detached(event)
    db.session.add(event)
    return True


def insert_event_row(values: dict) -> bool:
    """INSERT one event's columns; False when a unique index already holds the same event."""
    inserted = db.session.connection().execute(_insert_event_statement(dialect_name()), values)
    return inserted.first() is not None


def apply_event(user: User, visit: Visit, event: VisitEvent,
                events: list | None = None) -> visit_state.VisitState:
    """Everything an accepted event changes: tasks, goal progress, visit state, pin hint.

    The one place to hang reactions to a new event: alerts react here at once (a
    late alert resolves on check-in, a short call is flagged on check-out).
    `events`: all the visit's events including this one (rows or objects), when the
    caller has them; otherwise the visit's collection is used.
    """
    if events is None and "events" in visit.__dict__ and event not in visit.events:
        visit.events.append(event)  # already loaded: no need to read them again
    if event.kind == EventKind.CHECK_OUT:
        if event.details.get("tasks"):
            # A check-out that reports no task leaves every task's cached outcome as it was.
            _cache_task_outcomes(visit)
        _record_goal_progress(user, visit, event)
    state = visit_state.refresh(visit, events, reviewed=True)  # the reaction reviews it now
    monitor.react_to_visit_event(visit)
    if event.kind == EventKind.CHECK_IN and event.verified is False:
        person, contract = visit.package.service_user, visit.package.contract
        pins.consider(person, person.geofence_radius_m or contract.geofence_radius_m,
                      near=(event.lat, event.lon))
    return state


def _cache_task_outcomes(visit: Visit) -> None:
    """Each task's outcome from the latest check-out (by device time) that mentions it."""
    outcomes: dict[str, dict] = {}
    check_outs = sorted((e for e in visit.events if e.kind == EventKind.CHECK_OUT),
                        key=lambda e: (e.device_time, str(e.worker_id)))
    for event in check_outs:
        for task in (event.details or {}).get("tasks", []):
            outcomes[task["task_id"]] = task
    for task in visit.tasks:
        outcome = outcomes.get(str(task.id))
        if outcome is not None:
            task.done = outcome["done"]
            task.not_done_reason = None if outcome["done"] else outcome.get("reason")


def _record_goal_progress(user: User, visit: Visit, event: VisitEvent) -> None:
    """Each progress entry of the check-out (checked by _check_payload before storing)."""
    for entry in event.details.get("goal_progress", []):
        goal = db.session.get(Goal, uuid.UUID(entry["goal_id"]))
        goal_progress.record_progress(goal, user, entry["score"], entry.get("note"),
                                      visit=visit, event=event, recorded_at=event.device_time)
