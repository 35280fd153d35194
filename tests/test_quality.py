"""Quality indicators per provider, each computed by hand."""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import current_app

from backend.extensions import db
from backend.models import Alert, AlertKind, Priority, Role, VisitStatus
from backend.services.dates import periods
from backend.services.attendance.corrections import correct_visit
from backend.services.audit.corrections_report import corrections_report
from backend.services.audit.quality import quality_report
from tests.audit_support import attend


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def w(make):
    return make.world()


MARCH = periods.Period(date(2026, 3, 1), date(2026, 3, 31), at(2026, 3, 1), at(2026, 4, 1))


def test_indicators(make, w):
    pkg = w.package
    punctual = make.visit(pkg, start=at(2026, 3, 2, 8), minutes=30, workers=[w.worker])
    attend(punctual, w.worker, at(2026, 3, 2, 8, 10), 30, verified=True)
    late = make.visit(pkg, start=at(2026, 3, 3, 8), minutes=30, workers=[w.worker])
    attend(late, w.worker, at(2026, 3, 3, 8, 20), 30, verified=False)
    critical = make.visit(pkg, start=at(2026, 3, 4, 8), minutes=30, priority=Priority.CRITICAL)
    attend(critical, w.other_worker, at(2026, 3, 4, 8, 10), 30, verified=True)  # 10 > 5 min
    short = make.visit(pkg, start=at(2026, 3, 5, 8), minutes=45)
    attend(short, w.worker, at(2026, 3, 5, 8), 29, verified=None)  # 29 < 45 - 15
    make.visit(pkg, start=at(2026, 3, 6, 8), minutes=15, status=VisitStatus.MISSED)
    make.visit(pkg, start=at(2026, 3, 7, 8), minutes=30, status=VisitStatus.CANCELLED)
    for visit, minutes in ((punctual, 10), (late, 20), (short, 60)):
        db.session.add(Alert(visit_id=visit.id, kind=AlertKind.LATE, raised_at=at(2026, 3, 9),
                             acknowledged_at=at(2026, 3, 9) + timedelta(minutes=minutes)))
    db.session.flush()
    (row,) = quality_report(w.commissioner, MARCH)["rows"]
    assert row["visits_due"] == 5 and row["started"] == 4
    assert row["punctuality_pct"] == Decimal("50.00")   # 2 of 4 started within tolerance
    assert row["missed_pct"] == Decimal("20.00")        # 1 of 5 due
    assert row["short_pct"] == Decimal("25.00")         # 1 of 4 completed
    assert row["under_30_pct"] == Decimal("20.00")      # the 15-minute call
    assert row["home_logging_pct"] == Decimal("66.67")  # 2 of 3 judged
    assert row["home_logging_target_pct"] == 85 and row["home_logging_met"] is False
    assert row["continuity_mean_carers"] == Decimal("2.00")  # 2 carers, 1 person-month
    assert row["alert_response_median_min"] == Decimal("20.00")
    assert row["alert_response_mean_min"] == Decimal("30.00")


def test_a_time_critical_call_is_judged_by_its_own_defaults_without_rule_rows(make, w):
    """A contract with no monitoring rule rows: a time-critical call takes the time-critical
    defaults (late after 5 minutes, short margin 10), as detection judges it, not the
    normal ones. Checked in 8 minutes late, 18 of 30 minutes delivered: late, and short
    (18 < 30 - 10)."""
    bare = make.contract(funder=w.council, provider=w.provider)
    bare.rules.clear()
    db.session.flush()
    package = make.package(make.service_user(), contract=bare)
    critical = make.visit(package, start=at(2026, 3, 2, 8), minutes=30,
                          priority=Priority.CRITICAL, workers=[w.worker])
    attend(critical, w.worker, at(2026, 3, 2, 8, 8), 18, verified=True)
    (row,) = quality_report(w.commissioner, MARCH)["rows"]
    assert (row["completed"], row["short"]) == (1, 1)
    assert (row["started"], row["punctual"]) == (1, 0)


def test_travel_gap_between_consecutive_visits(make, w):
    far = make.service_user(home_lat=52.2405 + 0.045, home_lon=-0.9027)  # ~5 km north
    far_pkg = make.package(far, contract=w.contract)
    near = make.service_user()
    near_pkg = make.package(near, contract=w.contract)
    # 5 km at 20 km/h needs 15 minutes: a 5-minute gap is too little, 20 minutes is enough.
    make.visit(w.package, start=at(2026, 3, 2, 8), minutes=30, workers=[w.worker])
    make.visit(far_pkg, start=at(2026, 3, 2, 8, 35), minutes=30, workers=[w.worker])
    make.visit(w.package, start=at(2026, 3, 2, 9, 25), minutes=30, workers=[w.worker])
    make.visit(near_pkg, start=at(2026, 3, 2, 9, 55), minutes=30, workers=[w.worker])  # same spot
    make.visit(w.package, start=at(2026, 3, 3, 8), minutes=30, workers=[w.worker])  # next day
    (row,) = quality_report(w.manager, MARCH)["rows"]
    assert (row["travel_pairs"], row["travel_short_pairs"]) == (3, 1)
    assert row["travel_short_pct"] == Decimal("33.33")


def test_empty_period_has_the_right_shape(w):
    result = quality_report(w.commissioner, MARCH)
    assert result["rows"] == []
    assert result["total"]["visits_due"] == 0 and result["total"]["punctuality_pct"] is None


def test_corrections_report_lists_who_when_why_and_minutes(make, w):
    start = at(2026, 3, 2, 9)
    visit = attend(make.visit(w.package, start=start, minutes=45), w.worker, start, 28)
    correct_visit(visit, w.worker, w.manager, None, start + timedelta(minutes=45),
                  "phone_failure", "confirmed_by_service_user", "Phone died",
                  now=at(2026, 3, 3, 10))
    other = attend(make.visit(w.other_package, start=start), w.foreign_worker, start, 30)
    correct_visit(other, w.foreign_worker, w.other_manager, start + timedelta(minutes=5), None,
                  "carer_error", "confirmed_by_rota", now=at(2026, 3, 3, 10))
    mine = corrections_report(w.commissioner, MARCH)
    (row,) = mine["rows"]
    assert row["corrected_by"] == w.manager.display_name and row["worker"] == w.worker.display_name
    assert row["corrected_at"] == at(2026, 3, 3, 10)
    assert (row["reason_code"], row["resolution_code"]) == ("phone_failure",
                                                            "confirmed_by_service_user")
    assert (row["minutes_before"], row["minutes_after"], row["minutes_changed"]) == (28, 45, 17)
    assert mine["by_provider"] == [{"provider": {"id": str(w.provider.id), "name": "Caring Hands"},
                                    "corrections": 1, "minutes_changed": 17,
                                    "by_reason": {"phone_failure": 1}}]
    everyone = corrections_report(w.admin, MARCH)
    assert everyone["total"] == {"corrections": 2, "minutes_changed": 17 - 5}


NORTH = 0.01  # degrees of latitude: 1,112.7 m at the test homes (geodesic)


def test_share_of_travel_time_the_rota_allows_for(make, w, monkeypatch):
    """Rota travel by rota/travel.py's rule: 1,112.7 m takes a walker (5 km/h) 13.35 ->
    14 minutes and a driver (the contract's 20 km/h) 3.34 -> 4. A gap allows the trip,
    or only the gap when shorter, or nothing when the visits overlap."""
    north = make.package(make.service_user(home_lat=52.2405 + NORTH), contract=w.contract)
    walker = make.user(Role.CARE_WORKER, w.provider, travel_mode="walking")
    day = (2026, 3, 2)
    make.visit(w.package, start=at(*day, 8), minutes=30, workers=[walker])
    make.visit(north, start=at(*day, 8, 40), minutes=30, workers=[walker])      # gap 10 of 14
    make.visit(w.package, start=at(*day, 9, 30), minutes=30, workers=[walker])  # gap 20: 14
    make.visit(w.package, start=at(*day, 12), minutes=30, workers=[w.worker])
    make.visit(north, start=at(*day, 12, 32), minutes=28, workers=[w.worker])   # gap 2 of 4
    make.visit(w.package, start=at(*day, 13, 10), minutes=30, workers=[w.worker])  # 10: 4
    make.visit(north, start=at(*day, 13, 20), minutes=30, workers=[w.worker])   # overlap: 0
    # Another funder's visit between two of the council's: the commissioner counts the
    # trip into their own visit (from the NHS one), not the trip into the NHS visit.
    chc = make.package(make.service_user(home_lat=52.2405 + NORTH),
                       contract=make.contract(funder=w.nhs, provider=w.provider))
    make.visit(chc, start=at(*day, 14), minutes=30, workers=[w.worker])         # not theirs
    make.visit(w.package, start=at(*day, 14, 40), minutes=30, workers=[w.worker])  # 10: 4
    make.visit(w.package, start=at(2026, 3, 3, 8), minutes=30, workers=[w.worker])  # next day
    (row,) = quality_report(w.commissioner, MARCH)["rows"]
    assert (row["travel_pairs"], row["travel_short_pairs"]) == (6, 3)
    assert row["travel_needed_min"] == 14 + 14 + 4 + 4 + 4 + 4
    assert row["travel_allowed_min"] == 10 + 14 + 2 + 4 + 0 + 4
    assert row["travel_allowed_pct"] == Decimal("77.27")  # 34 of 44
    # The manager sees every visit of the provider: the trip into the NHS visit too (from
    # the 13:20 visit at the same home: none needed).
    (managed,) = quality_report(w.manager, MARCH)["rows"]
    assert (managed["travel_pairs"], managed["travel_needed_min"],
            managed["travel_allowed_min"]) == (7, 44, 34)
    # The road factor stretches every trip: 1,446.5 m, walking 17.36 -> 18, driving 4.34 -> 5.
    monkeypatch.setitem(current_app.config, "ROTA_ROAD_FACTOR", 1.3)
    (row,) = quality_report(w.commissioner, MARCH)["rows"]
    assert row["travel_needed_min"] == 18 + 18 + 5 + 5 + 5 + 5
    assert row["travel_allowed_min"] == 10 + 18 + 2 + 5 + 0 + 5
    assert row["travel_allowed_pct"] == Decimal("71.43")  # 40 of 56
    assert quality_report(w.nhs_commissioner, MARCH)["total"]["travel_allowed_pct"] is None
