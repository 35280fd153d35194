"""Where a check-in happened relative to the person's home."""
import math
from dataclasses import dataclass

from geographiclib.geodesic import Geodesic

# The WGS-84 ellipsoid built once (geopy's geodesic() builds one per call, which was
# a third of the cost of a distance).
_WGS84 = Geodesic.WGS84


@dataclass(frozen=True)
class LocationVerdict:
    """Distance to the home and whether the location counts as "in the home"."""

    distance_m: float | None
    verified: bool | None  # None: no location given, or the geofence is off
    flags: tuple[str, ...] = ()


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres between two (lat, lon) points."""
    return _WGS84.Inverse(a[0], a[1], b[0], b[1], Geodesic.DISTANCE)["s12"]


# The mean Earth radius, and how far a distance on that sphere may fall short of the
# WGS-84 geodesic: the ellipsoid's radii of curvature lie within 0.6% of it, so 1%, and
# a metre for the rounding of haversine (worst near antipodes).
_MEAN_RADIUS_M = 6_371_008.8
_SPHERE_SHORTFALL = 1.01
_ROUNDING_M = 1.0


def distance_at_most_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """An upper bound of distance_m(a, b) at a twentieth of its cost (haversine)."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2)
    return 2 * _MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) * _SPHERE_SHORTFALL + _ROUNDING_M


def judge_location(home: tuple[float, float], lat: float | None, lon: float | None,
                   accuracy_m: float | None, radius_m: int, allowance_max_m: int,
                   geofence_off: bool = False) -> LocationVerdict:
    """Verified when within the radius, crediting the reported accuracy up to a cap.

    Outside the fence the event is still accepted: the verdict only flags it.
    Accuracy worse than the cap is still credited up to the cap (indoor GPS is poor,
    and carers must not be told "out of range" in the kitchen) but is flagged;
    a missing accuracy earns no credit and is flagged.
    """
    if lat is None or lon is None:
        return LocationVerdict(None, None, ("no_location",))
    distance = distance_m(home, (lat, lon))
    flags = []
    if accuracy_m is None or accuracy_m > allowance_max_m:
        flags.append("poor_accuracy")
    if geofence_off:
        return LocationVerdict(distance, None, tuple(flags))
    allowance = min(accuracy_m or 0.0, allowance_max_m)
    return LocationVerdict(distance, distance <= radius_m + allowance, tuple(flags))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Initial compass bearing from a to b, 0..360 degrees (0 = north)."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def travel_minutes(a: tuple[float, float], b: tuple[float, float], speed_kmh: float) -> int:
    """Minutes needed to get from a to b at a steady speed (straight-line, so a floor)."""
    return math.ceil(distance_m(a, b) / 1000 / speed_kmh * 60)
