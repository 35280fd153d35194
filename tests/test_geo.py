"""Distances: the cheap bound the speed check uses never falls below the geodesic."""
from datetime import UTC, datetime, timedelta

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


def test_speed_judged_only_for_journeys_worth_judging():
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    home = (52.2405, -0.9027)
    assert implied_speed_kmh(home, at, 10, (52.2455, -0.9027), at + timedelta(minutes=1),
                             10) is None  # 556 m: within GPS jitter, never judged
    speed = implied_speed_kmh(home, at, 10, (52.3405, -0.9027), at + timedelta(minutes=6), 10)
    assert 110 < speed < 112  # 11.1 km less 20 m of accuracy in six minutes
