"""Visit-level actuals with times: per visit and carer, the recorded check-in and check-out
(UTC and local), method, distance, verified, flags, corrections and the bill; and the US EVV
six elements in one file."""
import csv
import io
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import EventMethod, VisitStatus
from backend.services.attendance.corrections import correct_visit
from backend.services.audit.payment import billed_visits, visit_line
from backend.services.audit.visit_times import evv_csv, visit_times, visit_times_csv
from backend.services.dates import periods
from tests.monitoring_helpers import check_in, check_out, utc

DAY = utc(2026, 7, 6, 0, 0)  # summer time: local is UTC + 1
PERIOD = periods.resolve("custom", first=DAY.date(), last=DAY.date())
HOME = dict(lat=52.2405, lon=-0.9027)


@pytest.fixture
def w(make):
    w = make.world()
    w.worker.staff_ref = "CW-001"
    single = make.visit(w.package, start=DAY.replace(hour=8), minutes=45, workers=[w.worker])
    check_in(single, w.worker, DAY.replace(hour=8, minute=2), method=EventMethod.GPS,
             distance_m=35.44, accuracy_m=12.0, **HOME)
    check_out(single, w.worker, DAY.replace(hour=8, minute=49), method=EventMethod.GPS,
              distance_m=20.0, **HOME)
    double = make.visit(w.package, start=DAY.replace(hour=12), minutes=30, carers_required=2,
                        workers=[w.worker, w.other_worker])
    check_in(double, w.worker, DAY.replace(hour=12), method=EventMethod.QR)
    check_out(double, w.worker, DAY.replace(hour=12, minute=30), method=EventMethod.QR)
    check_in(double, w.other_worker, DAY.replace(hour=12, minute=5), verified=False,
             method=EventMethod.GPS, distance_m=640.0, flags=["poor_accuracy"])
    check_out(double, w.other_worker, DAY.replace(hour=12, minute=30), verified=False)
    correct_visit(double, w.other_worker, w.manager, DAY.replace(hour=12), None,
                  "phone_failure", "confirmed_by_rota", "Phone froze at the door",
                  now=DAY + timedelta(days=1))
    make.visit(w.package, start=DAY.replace(hour=17), minutes=30, workers=[w.worker],
               status=VisitStatus.MISSED)
    make.visit(w.other_package, start=DAY.replace(hour=9), workers=[w.foreign_worker])
    w.single, w.double = single, double
    return w


def test_each_carer_with_recorded_and_counted_times(w):
    visits = list(visit_times(w.commissioner, PERIOD))
    assert [v["visit_id"] for v in visits][:2] == [str(w.single.id), str(w.double.id)]
    assert len(visits) == 3  # the other funder's visit is not the council's
    single = visits[0]["carers"][0]
    assert single["staff_ref"] == "CW-001"
    assert single["check_in"]["utc"] == DAY.replace(hour=8, minute=2)
    assert single["check_in"]["local"].isoformat() == "2026-07-06T09:02:00+01:00"
    assert (single["check_in"]["method"], single["check_in"]["distance_m"],
            single["check_in"]["verified"]) == ("gps", 35.4, True)
    assert single["check_out"]["local"].isoformat() == "2026-07-06T09:49:00+01:00"
    assert single["delivered_seconds"] == 47 * 60 and single["corrections"] == []
    first, second = sorted(visits[1]["carers"], key=lambda c: c["worker"] != w.worker.display_name)
    assert first["check_in"]["method"] == "qr"
    # The recorded check-in stays as it was; the correction moves the counted start.
    assert second["check_in"]["utc"] == DAY.replace(hour=12, minute=5)
    assert second["check_in"]["verified"] is False and second["flags"] == ["poor_accuracy"]
    assert second["start_utc"] == DAY.replace(hour=12)
    assert second["start_local"].isoformat() == "2026-07-06T13:00:00+01:00"
    [fix] = second["corrections"]
    assert (fix["reason_code"], fix["resolution_code"], fix["by"]) == (
        "phone_failure", "confirmed_by_rota", w.manager.display_name)
    missed = visits[2]
    assert missed["status"] == "missed" and missed["carers"][0]["check_in"] is None
    assert missed["carers"][0]["worker"] == w.worker.display_name


def test_the_bill_is_the_payment_rule(w):
    """The same bill as the payment lines, never a second rule: 45 minutes planned, 47
    delivered, billed capped at 45 at £18.93 an hour = 1,419.75p, 1,420p."""
    by_times = {v["visit_id"]: v for v in visit_times(w.commissioner, PERIOD)}
    for row, bill in billed_visits(w.commissioner, PERIOD):
        line = visit_line(row, bill)
        mine = by_times[line["visit_id"]]
        assert {k: mine[k] for k in line} == line
    single = by_times[str(w.single.id)]
    assert (single["billed_minutes"], single["amount_pence"]) == (45, 1420)
    assert single["rule"]


def _rows(lines) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(lines).lstrip("\ufeff"))))


def test_csv_one_row_per_visit_and_carer(w):
    rows = _rows(visit_times_csv(w.commissioner, PERIOD))
    assert len(rows) == 4  # the single visit, the double-up's two carers, the missed visit
    assert rows[0]["Check-in (local)"] == "2026-07-06T09:02:00+01:00"
    assert rows[0]["Check-in (UTC)"] == "2026-07-06T08:02:00+00:00"
    assert rows[0]["Check-in distance (m)"] == "35.4"
    assert rows[0]["Visit billed minutes"] == "45" and rows[0]["Visit amount (£)"] == "14.20"
    corrected = next(r for r in rows if r["Corrections"])
    assert "phone_failure/confirmed_by_rota" in corrected["Corrections"]
    assert corrected["Check-in verified"] == "no" and corrected["Carer flags"] == "poor_accuracy"
    assert rows[-1]["Status"] == "missed" and rows[-1]["Check-in (UTC)"] == ""


def test_evv_six_elements(w):
    rows = _rows(evv_csv(w.commissioner, PERIOD))
    assert len(rows) == 3  # carers who attended; the missed visit is not an EVV record
    first = rows[0]
    assert (first["Service type"], first["Recipient ID"], first["Date of service"],
            first["Worker ID"]) == ("standard", w.person.council_ref, "2026-07-06", "CW-001")
    assert first["Location: check-in latitude"] == "52.2405"
    assert (first["Begin (UTC)"], first["End (local)"]) == (
        "2026-07-06T08:02:00+00:00", "2026-07-06T09:49:00+01:00")
    assert first["Location: in the home"] == "yes"
    edited = next(r for r in rows if r["Edit reason codes"])
    assert (edited["Edit reason codes"], edited["Edit resolution codes"]) == (
        "phone_failure", "confirmed_by_rota")
    assert edited["Begin (UTC)"] == "2026-07-06T12:00:00+00:00"
    assert edited["Location: in the home"] == "no"


def test_an_empty_period_gives_headers_only(w):
    quiet = periods.resolve("custom", first=DAY.date() - timedelta(days=30),
                            last=DAY.date() - timedelta(days=29))
    assert _rows(visit_times_csv(w.commissioner, quiet)) == []
    assert _rows(evv_csv(w.commissioner, quiet)) == []
    assert "".join(evv_csv(w.commissioner, quiet)).startswith("\ufeffService type,")


def test_api(client, bearer, w):
    db.session.commit()
    query = "from=2026-07-06&to=2026-07-06"
    body = client.get(f"/api/v1/reports/visit-times?{query}", headers=bearer(w.manager)).json
    assert len(body["visits"]) == 3
    assert body["visits"][0]["carers"][0]["check_in"]["local"] == "2026-07-06T09:02:00+01:00"
    page = client.get(f"/api/v1/reports/visit-times?{query}&per_page=1&page=2",
                      headers=bearer(w.commissioner)).json
    assert [v["visit_id"] for v in page["visits"]] == [str(w.double.id)]
    times = client.get(f"/api/v1/reports/visit-times.csv?{query}", headers=bearer(w.manager))
    assert times.status_code == 200 and times.mimetype == "text/csv"
    assert len(_rows([times.get_data(as_text=True)])) == 4
    evv = client.get(f"/api/v1/reports/evv.csv?{query}", headers=bearer(w.commissioner))
    assert len(_rows([evv.get_data(as_text=True)])) == 3
    assert client.get(f"/api/v1/reports/evv.csv?{query}", headers=bearer(w.worker)) \
        .status_code == 403
    foreign = client.get(f"/api/v1/reports/visit-times?{query}&provider_id="
                         f"{w.other_provider.id}", headers=bearer(w.commissioner))
    assert foreign.status_code == 404
    bad = client.get("/api/v1/reports/visit-times.csv?from=2026-07-06&to=someday",
                     headers=bearer(w.manager))
    assert bad.status_code == 422 and "to" in bad.json["error"]["fields"]
    other = client.get(f"/api/v1/reports/visit-times?{query}", headers=bearer(w.other_manager))
    assert len(other.json["visits"]) == 1


def test_payment_page_links_and_downloads(client, auth, w):
    db.session.commit()
    auth.login(w.commissioner.username)
    page = client.get("/payment?from=2026-07-06&to=2026-07-06").get_data(as_text=True)
    assert "/payment/visit-times.csv?from=2026-07-06" in page and "/payment/evv.csv?" in page
    times = client.get("/payment/visit-times.csv?from=2026-07-06&to=2026-07-06")
    assert times.status_code == 200 and len(_rows([times.get_data(as_text=True)])) == 4
    evv = client.get("/payment/evv.csv?from=2026-07-06&to=2026-07-06")
    assert len(_rows([evv.get_data(as_text=True)])) == 3
    assert client.get("/payment/evv.csv?from=2026-07-06&to=then").status_code == 422
