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
    """Geodesic distance in metres between two (lat, lon) points on WGS-84.

    Points near each other (every check-in beside a home): Vincenty's formula, within a
    millimetre of geographiclib's geodesic at a tenth of its cost; points far apart,
    or where Vincenty's iteration does not settle (almost opposite sides of the Earth):
    geographiclib."""
    if distance_at_most_m(a, b) <= _VINCENTY_UP_TO_M:
        near = _vincenty_m(a[0], a[1], b[0], b[1])
        if near is not None:
            return near
    return _WGS84.Inverse(a[0], a[1], b[0], b[1], Geodesic.DISTANCE)["s12"]


# Vincenty's inverse formula on the same ellipsoid (T. Vincenty, Survey Review 23, 1975).
_A, _F = _WGS84.a, _WGS84.f
_B = _A * (1 - _F)
_E2 = (_A * _A - _B * _B) / (_B * _B)  # second eccentricity squared
_VINCENTY_UP_TO_M = 100_000
_SETTLED_RAD = 1e-12


def _vincenty_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float | None:
    """Vincenty's geodesic distance in metres, or None when its iteration does not settle."""
    u1 = math.atan((1 - _F) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - _F) * math.tan(math.radians(lat2)))
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lon_gap = math.radians((lon2 - lon1 + 180) % 360 - 180)
    lam = lon_gap
    for _ in range(20):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0:
            return 0.0  # the same point
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha * sin_alpha
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
        previous = lam
        lam = lon_gap + (1 - c) * _F * sin_alpha * (sigma + c * sin_sigma * (
            cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm * cos_2sm)))
        if abs(lam - previous) < _SETTLED_RAD:
            break
    else:
        return None
    u_sq = cos2_alpha * _E2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = big_b * sin_sigma * (cos_2sm + big_b / 4 * (
        cos_sigma * (-1 + 2 * cos_2sm * cos_2sm) - big_b / 6 * cos_2sm
        * (-3 + 4 * sin_sigma * sin_sigma) * (-3 + 4 * cos_2sm * cos_2sm)))
    return _B * big_a * (sigma - delta_sigma)


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
