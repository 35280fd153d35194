"""Delivered time: seconds from start to end, shown as whole minutes half up, everywhere."""
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.services.attendance.delivered import as_text, carer_seconds, shown_minutes
from backend.services.attendance.visit_state import WorkerTimes
from backend.services.audit.drilldown import package_visits
from backend.services.audit.hours import hours_report
from backend.services.audit.payment import billed_visits, visit_line
from backend.services.audit.report_scope import parse_grouping
from backend.services.dates import periods
from tests.audit_support import attend

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("seconds, minutes", [
    (0, 0), (29, 0), (30, 1), (1709, 28), (1710, 29), (1711, 29), (1770, 30), (1769, 29),
    (884, 15), (900, 15), (None, None),
])
def test_seconds_are_shown_as_minutes_half_up(seconds, minutes):
    assert shown_minutes(seconds) == minutes


def test_a_carers_time_is_whole_seconds_from_start_to_end():
    assert carer_seconds(T0, T0 + timedelta(minutes=28, seconds=30, microseconds=999999)) == 1710
    assert carer_seconds(T0, None) is None and carer_seconds(T0, T0 - timedelta(1)) is None
    assert as_text(884) == "14 min 44 s" and as_text(2820) == "47 min"


@pytest.mark.parametrize("seconds, minutes", [(28 * 60 + 30, 29), (29 * 60 + 30, 30)])
def test_half_minutes_round_up_for_a_carer(seconds, minutes):
    times = WorkerTimes(start=T0, end=T0 + timedelta(seconds=seconds))
    assert (times.seconds, times.minutes) == (seconds, minutes)


def test_visits_hours_payment_and_drilldown_give_the_same_half_up_minutes(make):
    """Hand-computed: 28:30 -> 29, 29:30 -> 30, a double-up of 10:30 + 10:30 = 21:00 -> 21
    (rounded once on the sum, not 11 + 11). The hours report's SQL sums the same."""
    w = make.world()
    first = make.visit(w.package, start=T0, minutes=30)
    attend(first, w.worker, T0, 28, seconds=30)
    second = make.visit(w.package, start=T0 + timedelta(days=1), minutes=30)
    attend(second, w.worker, T0 + timedelta(days=1), 29, seconds=30)
    double = make.visit(w.package, start=T0 + timedelta(days=2), minutes=30, carers_required=2)
    attend(double, w.worker, T0 + timedelta(days=2), 10, seconds=30)
    attend(double, w.other_worker, T0 + timedelta(days=2), 10, seconds=30)
    assert [(v.delivered_seconds, v.delivered_minutes) for v in (first, second, double)] == [
        (1710, 29), (1770, 30), (1260, 21)]

    period = periods.resolve("custom", first=date(2026, 3, 2), last=date(2026, 3, 8))
    total = hours_report(w.commissioner, period, parse_grouping("provider"))["total"]
    assert total["delivered_minutes"] == 29 + 30 + 21
    lines = [visit_line(row, bill) for row, bill in billed_visits(w.commissioner, period)]
    assert [line["actual_minutes"] for line in lines] == [29, 30, 21]
    shown = package_visits(w.commissioner, w.package.id, period)
    assert shown["total"]["delivered_minutes"] == 29 + 30 + 21
