"""Signs that a location may be spoofed: stored as flags on the event, never used to reject.

Flags: "mock_location" (the phone says a mock-location app is on),
"impossible_speed" (reaching this point from the worker's previous or next located
event would need a speed no road journey reaches), and the accuracy flags that
geo.judge_location raises ("poor_accuracy", "no_location").
"""
from datetime import datetime

import sqlalchemy as sa

from backend.models import VisitEvent
from backend.services.attendance.geo import distance_at_most_m, distance_m

# A physical plausibility limit, not a contract rule: no care worker drives between
# homes faster than this, so a faster implied journey means one location is wrong.
MAX_PLAUSIBLE_SPEED_KMH = 150
# Journeys shorter than this are never judged: GPS jitter alone can cover it.
MIN_JUDGED_DISTANCE_M = 1000


def _neighbour_sides() -> tuple[sa.Subquery, sa.Subquery]:
    """The worker's located event just before, and just after, a device time (bound as
    "worker_id" and "device_time"): each an index range scan on (worker_id, device_time)
    that stops at one row, with only the columns judged."""
    columns = (VisitEvent.lat, VisitEvent.lon, VisitEvent.accuracy_m, VisitEvent.device_time)
    located = sa.select(*columns).where(
        VisitEvent.worker_id == sa.bindparam("worker_id"), VisitEvent.lat.is_not(None),
        VisitEvent.lon.is_not(None))
    at = sa.bindparam("device_time")
    before = (located.where(VisitEvent.device_time <= at)
              .order_by(VisitEvent.device_time.desc()).limit(1).subquery())
    after = (located.where(VisitEvent.device_time > at)
             .order_by(VisitEvent.device_time.asc()).limit(1).subquery())
    return before, after


# Built once: the attendance pipeline joins both sides to its read of the visit.
NEIGHBOUR_SIDES = _neighbour_sides()


def implied_speed_kmh(a: tuple[float, float], a_time: datetime, a_accuracy: float | None,
                      b: tuple[float, float], b_time: datetime,
                      b_accuracy: float | None) -> float | None:
    """Speed needed to get from a to b, giving both points the benefit of their accuracy.

    None when the journey is too short to judge; infinity for a jump at the same instant.
    """
    credit = (a_accuracy or 0.0) + (b_accuracy or 0.0)
    if distance_at_most_m(a, b) - credit < MIN_JUDGED_DISTANCE_M:
        return None  # certainly too short, known without the geodesic (most events)
    metres = distance_m(a, b) - credit
    if metres < MIN_JUDGED_DISTANCE_M:
        return None
    hours = abs((b_time - a_time).total_seconds()) / 3600
    return float("inf") if hours == 0 else metres / 1000 / hours


def location_flags(lat: float | None, lon: float | None, accuracy_m: float | None,
                   device_time: datetime, mock_location: bool, neighbours: list) -> list[str]:
    """Spoofing flags for a new event of a worker, judged against their located events
    either side of it (`neighbours`, read with NEIGHBOUR_SIDES)."""
    flags = ["mock_location"] if mock_location else []
    if lat is None or lon is None:
        return flags
    for other in neighbours:
        speed = implied_speed_kmh((other.lat, other.lon), other.device_time, other.accuracy_m,
                                  (lat, lon), device_time, accuracy_m)
        if speed is not None and speed > MAX_PLAUSIBLE_SPEED_KMH:
            flags.append("impossible_speed")
            break
    return flags
