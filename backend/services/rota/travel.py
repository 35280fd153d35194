"""How long a care worker takes between two homes: the one travel rule of the rota.

Straight-line (geodesic) distance, stretched by the road factor setting
(ROTA_ROAD_FACTOR, default 1.0), at the speed of the worker's travel mode. A driver
goes at the contract's travel_speed_kmh (the commissioner's own assumption for its
area, already an average over real roads); walking, cycling and public transport
have the speeds below. The rota's problems, the assignment checks, suggestions, the
carer's paid day, the commissioners' travel-time share and the demo's rota all ask
this module.
"""
from datetime import datetime
from functools import lru_cache

from flask import current_app, has_app_context

from backend.models import TravelMode
from backend.services.attendance.geo import travel_minutes

# Door-to-door average speeds over a straight line, km/h (walking 5 is the usual
# planning figure; a bus with its waits averages little better than a bicycle).
MODE_SPEEDS_KMH = {TravelMode.WALKING: 5, TravelMode.CYCLING: 12,
                   TravelMode.PUBLIC_TRANSPORT: 10}


def road_factor() -> float:
    """The setting that stretches straight lines into roads (1.0 outside an app)."""
    return current_app.config.get("ROTA_ROAD_FACTOR", 1.0) if has_app_context() else 1.0


def speed_kmh(travel_mode: str | None, contract_speed_kmh: int) -> float:
    """The worker's speed in km/h: driving (or not recorded) at the contract's speed."""
    if travel_mode and travel_mode != TravelMode.DRIVING:
        return MODE_SPEEDS_KMH[TravelMode(travel_mode)]
    return max(contract_speed_kmh, 1)


def trip_minutes(a: tuple[float, float], b: tuple[float, float], speed: float,
                 factor: float | None = None) -> int:
    """Whole minutes (rounded up) from a to b at `speed` km/h along the road factor."""
    factor = road_factor() if factor is None else factor
    return _cached_minutes(a, b, speed / factor)


def gap_minutes(end: datetime, start: datetime) -> int:
    """Whole minutes from one visit's planned end to the next's planned start (negative
    when they overlap)."""
    return int((start - end).total_seconds() // 60)


def allowed_minutes(gap: int, needed: int) -> int:
    """The travel time a gap between two visits allows for: all that is needed when the
    gap is long enough, only the gap when it is shorter, nothing when the visits overlap."""
    return max(0, min(gap, needed))


# A geodesic costs tens of microseconds; a week (and the optimiser's matrices) repeat
# the same trips between the same homes many times, so each is computed once.
_cached_minutes = lru_cache(maxsize=262_144)(travel_minutes)
