"""What happened at one past visit: on time, late, short, missed, no access, wrong place.

Produces VisitEvent rows as the phone and the office would have written them:
device and server times, location judged with geo.judge_location, offline syncs,
a forgotten check-out put right by a manager's correction. Events the server had
not received by `now` are left out, so a visit in progress looks in progress.
"""
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend.demo.places import move
from backend.models import LOCATION_ACCEPTED
from backend.services.attendance.corrections import CorrectionReason, CorrectionResolution
from backend.services.attendance.geo import judge_location


class Row(dict):
    """A row to insert that visit_state.derive can also read as an object."""

    __getattr__ = dict.__getitem__


@dataclass(frozen=True)
class Spot:
    """A place a carer's phone reports, already judged against the person's home."""

    lat: float | None
    lon: float | None
    accuracy_m: float | None
    distance_m: float | None
    verified: bool | None
    flags: tuple[str, ...]


class Spots:
    """Where carers check in at each home, judged once per spot (geodesic maths is slow)."""

    def __init__(self, rng):
        self._rng = rng
        self._cache: dict = {}

    def for_package(self, package) -> dict[str, list[Spot]]:
        """Near (indoors, GPS noise), far (car park, next street) and no-location spots."""
        key = (package.person.id, package.contract.id)
        if key not in self._cache:
            rng, person, contract = self._rng, package.person, package.contract

            def judged(lat, lon, accuracy):
                verdict = judge_location(
                    person.pin, lat, lon, accuracy,
                    person.geofence_radius_m or contract.geofence_radius_m,
                    contract.accuracy_allowance_max_m, person.geofence_off)
                return Spot(lat, lon, accuracy, verdict.distance_m, verdict.verified,
                            verdict.flags)

            def around(low, high, accuracy):
                lat, lon = move(person.true_home, rng.uniform(low, high),
                                rng.uniform(0, 2 * math.pi))
                return judged(lat, lon, round(accuracy, 1))

            near = [around(0, abs(rng.gauss(0, 30)) + 1, rng.uniform(5, 50)
                           if rng.random() < 0.9 else rng.uniform(60, 150)) for _ in range(7)]
            far = [around(260, 900, rng.uniform(5, 35)) for _ in range(3)]
            self._cache[key] = {"near": near, "far": far, "none": [judged(None, None, None)]}
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
    roll = rng.random()
    if roll < 0.008 + 0.03 * quality:  # nobody came
        return Attendance(status="missed" if visit.planned_end <= now else "scheduled")
    if roll < 0.016 + 0.03 * quality:  # nobody answered the door
        at = visit.planned_start + _minutes(rng.uniform(-5, 10))
        event = _event(rng, visit, workers[0], "no_access", at, rng.choice(spots["near"]),
                       reason_code="no_answer", note="No answer at the door; office told.")
        return Attendance(events=[event] if event.server_time <= now else [])
    late = rng.random() < (0.04 + 0.14 * quality) * (0.5 if critical else 1)
    start = visit.planned_start + _minutes(
        rng.uniform(16, 70) if late else max(-12.0, min(13.0, rng.gauss(1, 5))))
    short = rng.random() < 0.04 + 0.12 * quality
    minutes = visit.duration_min * (rng.uniform(0.3, 0.6) if short else rng.uniform(0.85, 1.1))
    forgot_checkout = rng.random() < 0.01
    offline = rng.random() < 0.03
    place = "far" if rng.random() < 0.04 + 0.06 * quality else \
        "none" if rng.random() < 0.03 else "near"
    sync_at = start + _minutes(minutes + rng.uniform(60, 1200)) if offline else None
    events, checked_out = [], False
    for n, worker in enumerate(workers):
        arrive = start + (_minutes(rng.uniform(0, 6)) if n else timedelta())
        leave = start + _minutes(minutes + (rng.uniform(-2, 2) if n else 0))
        check_in = _event(rng, visit, worker, "check_in", arrive, rng.choice(spots[place]),
                          sync_at=sync_at)
        if check_in.server_time > now:
            continue
        events.append(check_in)
        if check_in.verified is False and package.person.pin != package.person.true_home \
                and rng.random() < 0.5:  # the manager accepts: the home's pin is wrong
            events += _correction(rng, check_in, manager_id, now, resolution=LOCATION_ACCEPTED,
                                  reason=CorrectionReason.HOME_PIN_WRONG.value)
        if forgot_checkout:
            events += _correction(
                rng, check_in, manager_id, now, reason=CorrectionReason.FORGOT_TO_CHECK_OUT.value,
                resolution=CorrectionResolution.CONFIRMED_BY_CARER_TIMESHEET.value,
                end=arrive + _minutes(visit.duration_min),
                at=visit.planned_end + _minutes(rng.uniform(600, 1800)))
            continue
        check_out = _event(rng, visit, worker, "check_out", leave,
                           rng.choice(spots["none" if place == "none" else "near"]),
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


def _event(rng, visit, worker_id, kind, at, spot: Spot, sync_at=None, **extra) -> Row:
    """An event from a carer's phone; mock-location apps are rare but present."""
    mock = rng.random() < 0.001
    server = sync_at or at + timedelta(seconds=rng.randint(1, 40))
    return Row(
        id=uuid.uuid4(), visit_id=visit.id, worker_id=worker_id, recorded_by_id=worker_id,
        kind=kind, device_time=at, server_time=server, lat=spot.lat, lon=spot.lon,
        accuracy_m=spot.accuracy_m, method="telephony" if spot.lat is None else "gps",
        distance_m=None if spot.distance_m is None else round(spot.distance_m, 1),
        verified=spot.verified, mock_location=mock,
        device_id=f"demo-phone-{str(worker_id)[:8]}", client_event_id=uuid.uuid4().hex,
        reason_code=extra.get("reason_code"), resolution_code=None, note=extra.get("note"),
        corrects_event_id=None, corrected_start=None, corrected_end=None,
        flags=sorted({*spot.flags, *(["mock_location"] if mock else [])}), details={})


def _correction(rng, original: Row, manager_id, now, reason, resolution, end=None,
                at=None) -> list[Row]:
    """A manager's correction (a new event; the original stays), if made by now."""
    at = at or original.server_time + _minutes(rng.uniform(120, 2880))
    if at > now:
        return []
    return [Row(
        id=uuid.uuid4(), visit_id=original.visit_id, worker_id=original.worker_id,
        recorded_by_id=manager_id, kind="correction", device_time=at, server_time=at,
        lat=None, lon=None, accuracy_m=None, method="manual", distance_m=None, verified=None,
        mock_location=False, device_id=None, client_event_id=None, reason_code=reason,
        resolution_code=resolution, note=None, corrects_event_id=original.id,
        corrected_start=None, corrected_end=end, flags=[], details={})]
