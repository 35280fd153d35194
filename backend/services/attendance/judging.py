"""What a new check-in, check-out or no-access is judged by: pure functions, no reads.

The pipeline reads what these need (the visit, its contract's offline window and
geofence, the person's home, the worker's located events either side) and calls
them before anything is written, so a refusal never leaves a row behind.
"""
import uuid
from datetime import datetime, timedelta

from backend.errors import Conflict, Forbidden, Invalid
from backend.models import EventKind, Role, VisitStatus
from backend.models.contracts import MAX_OFFLINE_WINDOW_HOURS
from backend.services.attendance import spoofing
from backend.services.attendance.geo import judge_location

# Phone clocks drift; a device time this far ahead of ours is still believed.
FUTURE_SKEW = timedelta(minutes=5)
# A device clock further than this from ours is flagged "clock_gap".
CLOCK_GAP = timedelta(minutes=5)


def require_care_worker(role: Role) -> None:
    """Only care workers record attendance (an admin may read, not attend)."""
    if role != Role.CARE_WORKER:
        raise Forbidden("Only care workers check in and out of visits.")


def check_device_time(place, device_time: datetime, now: datetime) -> None:
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

    `strict` is for a live event: the phone shows the visit as it stands, so an event
    out of order is a mistake to report. Offline sync is lenient: a check-out that
    arrives before its check-in is stored, because the check-in is still in flight and
    the visit's state is derived from all its events anyway.
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


def early_start(place, kind: EventKind, device_time: datetime) -> bool:
    """A check-in more than the contract's early check-in time (60 minutes unless it says
    otherwise) before the visit's planned start: an "early start"."""
    planned = getattr(place, "planned_start", None)
    minutes = getattr(place, "early_checkin_warn_min", None)
    if kind != EventKind.CHECK_IN or planned is None or minutes is None:
        return False  # a place without the plan (the demo's generated arrivals) is not judged
    return device_time < planned - timedelta(minutes=minutes)


def start_flags(place, kind: EventKind, data: dict) -> list[str]:
    """"early_start" when the check-in is early (judged here from the contract's time);
    "out_of_order" when the phone warned that this was not the carer's next visit and
    the carer went on (only the phone knows what it showed as next)."""
    flags = []
    if early_start(place, kind, data["device_time"]):
        flags.append("early_start")
    if kind == EventKind.CHECK_IN and data.get("out_of_order"):
        flags.append("out_of_order")
    return flags


def details(kind: EventKind, data: dict) -> dict:
    """The payload kept on the event as received."""
    kept = {}
    if data.get("manual_reason"):
        kept["manual_reason"] = data["manual_reason"]
    if kind == EventKind.CHECK_IN and (data.get("start_reason") or "").strip():
        kept["start_reason"] = data["start_reason"].strip()
    if kind == EventKind.CHECK_OUT:
        kept["tasks"] = [{"task_id": str(t["task_id"]), "done": t["done"],
                          "reason": t.get("reason")} for t in data.get("tasks") or []]
        kept["goal_progress"] = [{"goal_id": str(g["goal_id"]), "score": g["score"],
                                  "note": g.get("note")} for g in data.get("goal_progress") or []]
        if data.get("concern"):
            kept["concern"] = {"flag": bool(data["concern"].get("flag")),
                               "text": data["concern"].get("text")}
    return kept


def raises_concern(event: dict) -> bool:
    """Whether the carer ticked "Raise a concern" on this check-out."""
    return bool(((event.get("details") or {}).get("concern") or {}).get("flag"))


def judge_event(worker_id: uuid.UUID, visit_id: uuid.UUID, place, kind: EventKind,
                data: dict, now: datetime, device_clock: datetime | None,
                neighbours: list) -> dict:
    """A new event's columns, with its distance, verdict and every signal judged now.

    `place`: the visit's home, geofence and accuracy allowance; `neighbours`: the
    worker's located events either side of this one's device time (for the speed
    check). A location the phone itself reports as mocked never verifies: it is kept
    and flagged, but it is no evidence that the carer was in the home.
    """
    mocked = bool(data.get("mock_location"))
    verdict = judge_location(
        (place.home_lat, place.home_lon), data.get("lat"), data.get("lon"),
        data.get("accuracy_m"), place.person_radius_m or place.geofence_radius_m,
        place.accuracy_allowance_max_m, place.geofence_off)
    verified = verdict.verified
    if mocked and data.get("lat") is not None:
        verified = False
    flags = list(verdict.flags)
    if verified is False:
        flags.append("location_not_verified")
    flags += spoofing.location_flags(data.get("lat"), data.get("lon"), data.get("accuracy_m"),
                                     data["device_time"], mocked, neighbours)
    if device_clock is not None and abs(now - device_clock) > CLOCK_GAP:
        flags.append("clock_gap")
    flags += start_flags(place, kind, data)
    return dict(
        id=uuid.uuid4(), visit_id=visit_id, worker_id=worker_id, recorded_by_id=worker_id,
        kind=kind, device_time=data["device_time"], server_time=now, lat=data.get("lat"),
        lon=data.get("lon"), accuracy_m=data.get("accuracy_m"), method=data.get("method"),
        distance_m=verdict.distance_m, verified=verified, mock_location=mocked,
        device_id=data.get("device_id"), client_event_id=data.get("client_event_id"),
        reason_code=data.get("reason"), note=data.get("note"), flags=sorted(set(flags)),
        details=details(kind, data), resolution_code=None, corrects_event_id=None,
        corrected_start=None, corrected_end=None)
