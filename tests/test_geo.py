"""Distances: the geodesic as geographiclib gives it, and a cheap bound the speed check uses
that never falls below it."""
from datetime import UTC, datetime, timedelta

from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.services.attendance.geo import distance_at_most_m, distance_m
from backend.services.attendance.spoofing import implied_speed_kmh

latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)
offsets = st.sampled_from([1e-5, 1e-3, 0.01, 0.1, 1.0, 30.0])


@settings(max_examples=2000, deadline=None)
@given(latitudes, longitudes, offsets, st.floats(-1, 1), st.floats(-1, 1))
def test_the_bound_is_never_below_the_geodesic(lat, lon, offset, north, east):
    a = (lat, lon)
    b = (max(-90.0, min(90.0, lat + north * offset)), (lon + east * offset + 180) % 360 - 180)
    assert distance_at_most_m(a, b) >= distance_m(a, b)


@settings(max_examples=1000, deadline=None)
@given(latitudes, longitudes, st.sampled_from([1e-6, 1e-4, 1e-3, 0.01, 0.1, 0.9, 5.0, 90.0]),
       st.floats(-1, 1), st.floats(-1, 1))
def test_distance_is_the_geodesic_within_a_millimetre(lat, lon, offset, north, east):
    """Near points take Vincenty's formula, far ones geographiclib: both as the geodesic."""
    b = (max(-90.0, min(90.0, lat + north * offset)), (lon + east * offset + 180) % 360 - 180)
    exact = Geodesic.WGS84.Inverse(lat, lon, b[0], b[1], Geodesic.DISTANCE)["s12"]
    assert abs(distance_m((lat, lon), b) - exact) < 0.001


def test_distance_at_the_poles_and_across_the_date_line():
    for a, b in (((90, 0), (89.9999, 10)), ((-90, 0), (-89.5, 180)), ((0, 179.9), (0, -179.9)),
                 ((52.2405, -0.9027), (52.2405, -0.9027)), ((0, 0), (0, 180))):
        exact = Geodesic.WGS84.Inverse(*a, *b, Geodesic.DISTANCE)["s12"]
        assert abs(distance_m(a, b) - exact) < 0.001


def test_speed_judged_only_for_journeys_worth_judging():
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    home = (52.2405, -0.9027)
    assert implied_speed_kmh(home, at, 10, (52.2455, -0.9027), at + timedelta(minutes=1),
                             10) is None  # 556 m: within GPS jitter, never judged
    speed = implied_speed_kmh(home, at, 10, (52.3405, -0.9027), at + timedelta(minutes=6), 10)
    assert 110 < speed < 112  # 11.1 km less 20 m of accuracy in six minutes
