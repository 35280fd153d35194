"""The carer's paid day and the payroll CSV, on hand-computed cases."""
import csv
import io
from datetime import date, time

import pytest

from backend.errors import Invalid
from backend.extensions import db
from backend.models import TravelMode, WageRate
from backend.services.dates import clock
from backend.services.rota.pay import paid_days
from tests.factories import HOME

DAY = date(2026, 11, 24)  # GMT; the National Living Wage is £12.71 from April 2026


@pytest.fixture
def day(make):
    """Two 60-minute visits 10 km apart (0.09 degrees of latitude: 10,007 m), 45 minutes
    between them, and one on the next day; the carer is paid £12.00 an hour of contact."""
    db.session.add_all([WageRate(effective_from=date(2025, 4, 1), hourly_pence=1221),
                        WageRate(effective_from=date(2026, 4, 1), hourly_pence=1271)])
    w = make.world()
    w.worker.hourly_pay_pence, w.worker.staff_ref = 1200, "CW0007"
    far = make.service_user(home_lat=HOME[0] + 0.09, home_lon=HOME[1])
    make.visit(w.package, start=clock.local_to_utc(DAY, time(9)), minutes=60,
               workers=[w.worker])
    make.visit(make.package(far, contract=w.contract),
               start=clock.local_to_utc(DAY, time(10, 45)), minutes=60, workers=[w.worker])
    make.visit(w.package, start=clock.local_to_utc(DAY.replace(day=25), time(9)),
               minutes=30, workers=[w.worker])
    return w


def test_paid_day_by_hand(day):
    w = day
    first, second, total = [p for p in paid_days(w.manager, DAY, DAY.replace(day=25))
                            if p.worker == w.worker]
    # 10.007 km at 20 km/h = 30.02 min: 31 min of travel; 45 - 31 = 14 min waiting.
    assert (first.contact_min, first.travel_min, first.waiting_min) == (120, 31, 14)
    assert first.mileage_km == 10.01
    # Paid £12.00 x 2 h = £24.00 for 151 minutes of contact and travel: £9.54 an hour,
    # below £12.71; the minimum for 151 minutes is ceil(1271 x 151 / 60) = 3199p.
    assert (first.pay_pence, first.floor_pence) == (2400, 3199)
    assert round(first.effective_pence_per_hour) == 954 and first.below_minimum
    # One 30-minute visit, no travel: £6.00 against ceil(1271 / 2) = 636p, still below.
    assert (second.contact_min, second.travel_min, second.pay_pence, second.floor_pence) == (
        30, 0, 600, 636)
    assert (total.day, total.contact_min, total.travel_min, total.pay_pence,
            total.floor_pence) == (None, 150, 31, 3000, 3835)


def test_paid_fairly_passes_and_walkers_claim_no_mileage(day):
    w = day
    w.worker.hourly_pay_pence, w.worker.travel_mode = 1700, TravelMode.WALKING
    first = paid_days(w.manager, DAY, DAY)[0]
    # Walking 10 km at 5 km/h: 121 minutes, more than the 45-minute gap: no waiting.
    assert (first.travel_min, first.waiting_min, first.mileage_km) == (121, 0, 0)
    # £34.00 for 241 minutes = £8.46 an hour: below; at £25.60 an hour it passes.
    assert first.below_minimum
    w.worker.hourly_pay_pence = 2560
    assert not paid_days(w.manager, DAY, DAY)[0].below_minimum


def test_payroll_csv_and_bad_input(day, make, client, auth):
    w = day
    make.commit()
    auth.login(w.manager.username)
    response = client.get(f"/rota/payroll.csv?from={DAY}&to={DAY.replace(day=25)}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # like every export: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    mine = [r for r in rows if r["staff_ref"] == "CW0007"]
    assert [r["date"] for r in mine] == ["2026-11-24", "2026-11-25",
                                         "total 2026-11-24..2026-11-25"]
    assert mine[0]["pay"] == "24.00" and mine[0]["minimum_for_contact_and_travel"] == "31.99"
    assert mine[0]["effective_hourly"] == "9.54" and mine[0]["below_minimum_wage"] == "yes"
    assert mine[0]["minimum_wage_rate"] == "12.71" and mine[0]["mileage_km"] == "10.01"
    bad = client.get(f"/rota/payroll.csv?from=soon&to={DAY}")
    assert bad.status_code == 422 and "from" in bad.get_data(as_text=True)
    assert client.get(f"/rota/payroll.csv?from={DAY}&to=2026-01-01").status_code == 422
    with pytest.raises(Invalid, match="at most 32 days"):
        paid_days(w.manager, DAY, DAY.replace(year=2027))
    make.visit(w.package, start=clock.local_to_utc(date(2025, 1, 6), time(9)),
               workers=[w.worker])
    with pytest.raises(Invalid, match="No minimum wage rate is recorded for 2025-01-06"):
        paid_days(w.manager, date(2025, 1, 6), date(2025, 1, 6))
