"""Corrections: a manager's or commissioner's fix to a worker's times, as a new event.

The original events stay; a correction is appended naming the worker whose times
it corrects, with a reason code, a resolution code and who made it. Provider
managers may correct until the visit locks (contract.lock_after_days after the
planned end); after that only a commissioner of the funder, or an admin.
"""
import enum
import uuid
from datetime import datetime, timedelta

from backend.errors import Conflict, Forbidden, Invalid
from backend.extensions import db
from backend.models import (
    LOCATION_ACCEPTED, NOT_DELIVERED, EventKind, EventMethod, Role, User, Visit, VisitEvent,
    VisitStatus,
)
from backend.services.attendance import pipeline, visit_state
from backend.services.database import transactions
from backend.services.dates import clock
from backend.services.identity.access import get_visible


class CorrectionReason(enum.StrEnum):
    """Why the record was wrong."""

    FORGOT_TO_CHECK_IN = "forgot_to_check_in"
    FORGOT_TO_CHECK_OUT = "forgot_to_check_out"
    PHONE_FAILURE = "phone_failure"
    NO_SIGNAL = "no_signal"
    WRONG_VISIT = "wrong_visit"
    CARER_ERROR = "carer_error"
    HOME_PIN_WRONG = "home_pin_wrong"
    SYSTEM_ERROR = "system_error"


class CorrectionResolution(enum.StrEnum):
    """What evidence settled the corrected record."""

    CONFIRMED_BY_SERVICE_USER = "confirmed_by_service_user"
    CONFIRMED_BY_FAMILY = "confirmed_by_family"
    CONFIRMED_BY_CARER_TIMESHEET = "confirmed_by_carer_timesheet"
    CONFIRMED_BY_ROTA = "confirmed_by_rota"
    LOCATION_ACCEPTED = LOCATION_ACCEPTED  # the location counts as in the home
    NOT_DELIVERED = NOT_DELIVERED  # the worker's time counts as nothing delivered


def locks_at(visit: Visit) -> datetime:
    """When the visit locks against provider corrections."""
    return visit.planned_end + timedelta(days=visit.package.contract.lock_after_days)


def check_may_correct(visit: Visit, by_user: User, now: datetime) -> None:
    """Forbidden (with why) unless by_user may correct this visit now; assumes it is visible."""
    if by_user.role in (Role.ADMIN, Role.COMMISSIONER):
        return
    if by_user.role != Role.PROVIDER_MANAGER:
        raise Forbidden("Only provider managers and commissioners correct visits.")
    if now >= locks_at(visit):
        raise Forbidden(f"This visit locked on {locks_at(visit).isoformat()} "
                        f"({visit.package.contract.lock_after_days} days after its planned end); "
                        "only a commissioner of its funder may correct it now.",
                        code="visit_locked")


def correction_refusal(visit: Visit, by_user: User, now: datetime) -> str | None:
    """Why by_user may not correct this visit now, or None when they may."""
    try:
        check_may_correct(visit, by_user, now)
    except Forbidden as refused:
        return refused.message
    return None


def _check_worker(visit: Visit, worker: User) -> None:
    if worker.role != Role.CARE_WORKER or worker.organisation_id != visit.package.provider_id:
        raise Invalid("The worker must be a care worker of the visit's provider.",
                      field="worker_id")


def _latest(events: list, worker_id):
    """The worker's latest event on the visit (by arrival), which a correction names."""
    theirs = [e for e in events if e.worker_id == worker_id]
    return max(theirs, key=lambda e: (e.server_time, str(e.id)), default=None)


def correction_event(visit_id, events: list, worker_id, recorded_by_id,
                     corrected_start: datetime | None, corrected_end: datetime | None,
                     reason_code: str, resolution_code: str, note: str | None,
                     now: datetime) -> dict:
    """A correction's columns, judged against the visit's events (rows or objects): the
    worker's minutes before and after it are kept on it, so the record shows what the
    correction changed."""
    before = visit_state.worker_times(events).get(worker_id, visit_state.WorkerTimes())
    start = corrected_start or before.start
    end = corrected_end or before.end
    if start is not None and end is not None and end < start:
        raise Invalid("The corrected end is before the start.", field="corrected_end")
    if corrected_start is None and corrected_end is None and resolution_code != LOCATION_ACCEPTED:
        raise Invalid("Give a corrected start or end, or accept the location.",
                      field="corrected_start")
    if start is not None and start > now or end is not None and end > now:
        raise Invalid("A corrected time cannot be in the future.", field="corrected_end")
    previous = _latest(events, worker_id)
    after = before.corrected(corrected_start, corrected_end, resolution_code)
    return dict(
        id=uuid.uuid4(), visit_id=visit_id, worker_id=worker_id, recorded_by_id=recorded_by_id,
        kind=EventKind.CORRECTION, device_time=now, server_time=now, lat=None, lon=None,
        accuracy_m=None, method=EventMethod.MANUAL, distance_m=None, verified=None,
        mock_location=False, device_id=None, client_event_id=None, reason_code=reason_code,
        resolution_code=resolution_code, note=note,
        corrects_event_id=previous.id if previous else None, corrected_start=corrected_start,
        corrected_end=corrected_end, flags=[],
        details={"minutes_before": before.minutes, "minutes_after": after.minutes})


def correct_visit(visit: Visit, worker: User, by_user: User, corrected_start: datetime | None,
                  corrected_end: datetime | None, reason_code: str, resolution_code: str,
                  note: str | None = None, now: datetime | None = None) -> VisitEvent:
    """Append a correction event for one worker's times on a visit, through the
    attendance pipeline: the visit's state is rewritten and monitoring reacts, as for
    any event."""
    now = now or clock.now()
    check_may_correct(visit, by_user, now)
    fields = {}
    for name, value, codes in (("reason_code", reason_code, CorrectionReason),
                               ("resolution_code", resolution_code, CorrectionResolution)):
        if not value:
            fields[name] = ["Required."]
        elif value not in set(codes):
            fields[name] = [f"Unknown code; expected one of: {', '.join(codes)}."]
    for name, value in (("corrected_start", corrected_start), ("corrected_end", corrected_end)):
        if value is not None and value.tzinfo is None:
            fields[name] = ["Give a time zone (e.g. 2026-11-23T08:00:00Z)."]
    if fields:
        raise Invalid("The correction is not valid.", fields=fields)
    _check_worker(visit, worker)
    with transactions.writing():
        read = pipeline.find(worker, visit.id, now, scoped=False)
        if read.visit_status == VisitStatus.CANCELLED:
            raise Conflict("This visit was cancelled; there is nothing to correct.")
        event = correction_event(visit.id, read.events, worker.id, by_user.id, corrected_start,
                                 corrected_end, reason_code, resolution_code, note, now)
        pipeline.apply(read, event, now)
    return db.session.get(VisitEvent, event["id"])


def correct_by_ids(by_user: User, visit_id, worker_id, **values) -> VisitEvent:
    """correct_visit for a visit the user may see and a worker named by id."""
    visit = get_visible(by_user, Visit, visit_id)
    worker = db.session.get(User, worker_id)
    if worker is None:
        raise Invalid("No care worker with that id.", field="worker_id")
    return correct_visit(visit, worker, by_user, **values)
