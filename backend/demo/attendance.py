"""What happened at one past visit: on time, late, short, missed, no access, wrong place.

Produces VisitEvent rows as the phone and the office would have written them,
judged by the attendance pipeline's own rules (judging.judge_event for a carer's
event, corrections.correction_event for a manager's correction) and appended by
its event log: device and server times, offline syncs, a forgotten check-out put
right by a manager's correction. Events the server had not received by `now` are
left out, so a visit in progress looks in progress.
"""
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend.demo.places import move
from backend.models import LOCATION_ACCEPTED
from types import SimpleNamespace

from backend.errors import Invalid
from backend.services.attendance.corrections import (
    CorrectionReason, CorrectionResolution, correction_event,
)
from backend.services.attendance.judging import judge_event


class Row(dict):
    """A row to insert that visit_state.derive can also read as an object."""

    __getattr__ = dict.__getitem__


@dataclass(frozen=True)
class Spot:
    """A place a carer's phone reports."""

    lat: float | None
    lon: float | None
    accuracy_m: float | None


class Spots:
    """Where carers check in at each home: a few spots each, drawn once."""

    def __init__(self, rng):
        self._rng = rng
        self._cache: dict = {}

    def for_package(self, package) -> dict[str, list[Spot]]:
        """Near (indoors, GPS noise), far (car park, next street) and no-location spots."""
        key = (package.person.id, package.contract.id)
        if key not in self._cache:
            rng, person = self._rng, package.person

            def around(low, high, accuracy):
                lat, lon = move(person.true_home, rng.uniform(low, high),
                                rng.uniform(0, 2 * math.pi))
                return Spot(lat, lon, round(accuracy, 1))

            near = [around(0, abs(rng.gauss(0, 30)) + 1, rng.uniform(5, 50)
                           if rng.random() < 0.9 else rng.uniform(60, 150)) for _ in range(7)]
            far = [around(260, 900, rng.uniform(5, 35)) for _ in range(3)]
            self._cache[key] = {"near": near, "far": far, "none": [Spot(None, None, None)]}
        return self._cache[key]


@dataclass
class Attendance:
    """The outcome of one visit: its own status, events and task results."""

    status: str = "scheduled"
    cancel_reason: str | None = None
    events: list = field(default_factory=list)
    task_results: list | None = None  # (done, reason) per task, once checked out


def cancelled(rng) -> Attendance | None:
    """A visit called off in advance (family visiting, day centre), now and then."""
    if rng.random() < 0.004:
        return Attendance(status="cancelled", cancel_reason=rng.choice(
            ("Family visiting", "At day centre", "Cancelled by the person")))
    return None


def attend(rng, visit: Row, tasks: tuple, package, workers: list, spots: dict, manager_id,
           now: datetime) -> Attendance:
    """Simulate a visit whose planned start has passed."""
    quality = package.provider.quality
    critical = visit.priority == "critical"
    place = _place(package)
    roll = rng.random()
    if roll < 0.008 + 0.03 * quality:  # nobody came
        return Attendance(status="missed" if visit.planned_end <= now else "scheduled")
    if roll < 0.016 + 0.03 * quality:  # nobody answered the door
        at = visit.planned_start + _minutes(rng.uniform(-5, 10))
        event = _event(rng, visit, place, workers[0], "no_access", at, rng.choice(spots["near"]),
                       reason="no_answer", note="No answer at the door; office told.")
        return Attendance(events=[event] if event.server_time <= now else [])
    late = rng.random() < (0.04 + 0.14 * quality) * (0.5 if critical else 1)
    start = visit.planned_start + _minutes(
        rng.uniform(16, 70) if late else max(-12.0, min(13.0, rng.gauss(1, 5))))
    short = rng.random() < 0.04 + 0.12 * quality
    minutes = visit.duration_min * (rng.uniform(0.3, 0.6) if short else rng.uniform(0.85, 1.1))
    forgot_checkout = rng.random() < 0.01
    offline = rng.random() < 0.03
    where = "far" if rng.random() < 0.04 + 0.06 * quality else \
        "none" if rng.random() < 0.03 else "near"
    sync_at = start + _minutes(minutes + rng.uniform(60, 1200)) if offline else None
    events, checked_out = [], False
    for n, worker in enumerate(workers):
        arrive = start + (_minutes(rng.uniform(0, 6)) if n else timedelta())
        leave = start + _minutes(minutes + (rng.uniform(-2, 2) if n else 0))
        check_in = _event(rng, visit, place, worker, "check_in", arrive,
                          rng.choice(spots[where]), sync_at=sync_at)
        if check_in.server_time > now:
            continue
        events.append(check_in)
        if check_in.verified is False and package.person.pin != package.person.true_home \
                and rng.random() < 0.5:  # the manager accepts: the home's pin is wrong
            events += _correction(rng, events, check_in, manager_id, now,
                                  resolution=LOCATION_ACCEPTED,
                                  reason=CorrectionReason.HOME_PIN_WRONG.value)
        if forgot_checkout:
            events += _correction(
                rng, events, check_in, manager_id, now,
                reason=CorrectionReason.FORGOT_TO_CHECK_OUT.value,
                resolution=CorrectionResolution.CONFIRMED_BY_CARER_TIMESHEET.value,
                end=arrive + _minutes(visit.duration_min),
                at=visit.planned_end + _minutes(rng.uniform(600, 1800)))
            continue
        check_out = _event(rng, visit, place, worker, "check_out", leave,
                           rng.choice(spots["none" if where == "none" else "near"]),
                           sync_at=sync_at and sync_at + timedelta(seconds=1))
        if check_out.server_time <= now and check_out.device_time > check_in.device_time:
            events.append(check_out)
            checked_out = True
    results = None
    if checked_out:
        results = [(False, "Declined by the person") if rng.random() < 0.04 else (True, None)
                   for _ in tasks]
        for event in events:
            if event.kind == "check_out":
                event["details"] = {"tasks": [
                    {"position": i, "done": done, **({"reason": why} if why else {})}
                    for i, (done, why) in enumerate(results)]}
    return Attendance(events=events, task_results=results)


def _minutes(value: float) -> timedelta:
    return timedelta(seconds=round(value * 60))


def _place(package) -> SimpleNamespace:
    """What a carer's event at this person's home is judged by (as the pipeline reads it)."""
    person, contract = package.person, package.contract
    return SimpleNamespace(
        home_lat=person.pin[0], home_lon=person.pin[1], person_radius_m=person.geofence_radius_m,
        geofence_radius_m=contract.geofence_radius_m,
        accuracy_allowance_max_m=contract.accuracy_allowance_max_m,
        geofence_off=person.geofence_off)


def _event(rng, visit, place, worker_id, kind, at, spot: Spot, sync_at=None, **extra) -> Row:
    """An event from a carer's phone, judged as the pipeline judges one; mock-location apps
    are rare but present."""
    mock = rng.random() < 0.001
    server = sync_at or at + timedelta(seconds=rng.randint(1, 40))
    data = dict(device_time=at, lat=spot.lat, lon=spot.lon, accuracy_m=spot.accuracy_m,
                method="telephony" if spot.lat is None else "gps", mock_location=mock,
                device_id=f"demo-phone-{str(worker_id)[:8]}", client_event_id=uuid.uuid4().hex,
                **extra)
    return Row(judge_event(worker_id, visit.id, place, kind, data, now=server,
                           device_clock=sync_at or server, neighbours=[]))


def _correction(rng, events: list, original: Row, manager_id, now, reason, resolution,
                end=None, at=None) -> list[Row]:
    """A manager's correction (a new event; the original stays), if made by now, made as
    the corrections service makes one."""
    at = at or original.server_time + _minutes(rng.uniform(120, 2880))
    if at > now:
        return []
    try:
        return [Row(correction_event(original.visit_id, events, original.worker_id, manager_id,
                                     None, end, reason, resolution, None, at))]
    except Invalid:
        return []  # a correction the service would refuse is not made
