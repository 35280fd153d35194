"""The payment page: billed minutes and amounts per provider and week; CSVs add up to it."""
import csv
import io
import re
from datetime import time, timedelta
from decimal import Decimal

from backend.services.dates import clock
from backend.services.audit.overview import last_full_week
from tests.monitoring_helpers import check_in, check_out


def _visit(make, package, worker, day, delivered):
    start = clock.local_to_utc(day, time(9, 0))
    visit = make.visit(package, start=start, minutes=60, workers=[worker])
    check_in(visit, worker, start)
    check_out(visit, worker, start + timedelta(minutes=delivered))
    return visit


def _rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _footer(page: str, table_id: str) -> list[str]:
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    return re.findall(r"<td[^>]*>([^<]*)</td>", table.split("<tfoot>")[1])


def test_payment_page_and_every_csv_agree(make, client, auth):
    w = make.world()
    monday, sunday = last_full_week()
    second = make.provider(name="Second Care")
    worker2 = make.user("care_worker", second)
    package2 = make.package(make.service_user(), funder=w.council, provider=second)
    _visit(make, w.package, w.worker, monday, 45)
    _visit(make, w.package, w.worker, monday + timedelta(days=2), 75)  # capped at 60
    _visit(make, package2, worker2, monday + timedelta(days=1), 30)
    _visit(make, w.other_package, w.foreign_worker, monday, 50)  # NHS-funded: not shown
    make.commit()
    auth.login(w.commissioner.username)
    args = f"from={monday}&to={sunday}"
    response = client.get(f"/payment?{args}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Caring Hands" in page and "Second Care" in page and "Elsewhere" not in page
    assert "<svg" in page and "Billed" in page
    # Default contract: actual capped at planned, £18.93 an hour.
    visits, billed_visits, actual, raw, billed, _hours, amount, *_held = _footer(
        page, "payment-providers")
    assert (actual, raw, billed) == ("150", "135", "135")
    assert amount == "£42.60"  # 45 min 1419.75p -> 1420p, 60 min 1893p, 30 min 946.5p -> 947p
    for table in ("providers", "weeks"):
        assert _footer(page, f"payment-{table}") == _footer(page, "payment-providers")
        rows = _rows(client.get(f"/payment/{table}.csv?{args}"))
        assert sum(int(r["Billed minutes"]) for r in rows) == int(billed)
        assert sum(int(r["Raw minutes"]) for r in rows) == int(raw)
        assert sum(Decimal(r["Amount (£)"]) for r in rows) == Decimal(amount[1:].replace(",", ""))
    every = _rows(client.get(f"/payment/visits.csv?{args}"))
    assert len(every) == 3
    assert sum(Decimal(r["Amount (£)"]) for r in every) == Decimal(amount[1:].replace(",", ""))


def test_payment_is_scoped_to_the_commissioners_funding(make, client, auth):
    w = make.world()
    monday, _ = last_full_week()
    _visit(make, w.package, w.worker, monday, 45)
    make.commit()
    auth.login(w.nhs_commissioner.username)
    page = client.get("/payment").get_data(as_text=True)
    assert "Caring Hands" not in page
    assert all(w.provider.name not in r.values()
               for r in _rows(client.get("/payment/visits.csv")))


def test_managers_do_not_get_the_payment_page(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get("/payment").status_code == 404
    assert client.get("/payment/providers.csv").status_code == 404


def test_bad_period_keeps_the_typed_dates(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    response = client.get("/payment?from=2025-01-01&to=2026-11-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="2025-01-01"' in page and 'id="to-error"' in page and "at most" in page
    refused = client.get("/payment/providers.csv?from=nonsense")
    assert refused.status_code == 422 and "YYYY-MM-DD" in refused.get_data(as_text=True)
    # Every download of the commissioner's pages says what is wrong the same way.
    for url in ("/overview/hours.csv?to=nonsense", "/outcomes.csv?from=nonsense"):
        refused = client.get(url)
        assert refused.status_code == 422 and "YYYY-MM-DD" in refused.get_data(as_text=True)


def test_half_minutes_double_ups_and_struck_out_visits_agree_everywhere(make, client, auth):
    """Default contract (actual capped at planned, £18.93/h, whole minutes, nearest):
    28:30 -> 29 min, 914.95p; a double-up of 10:30 + 10:30 is 21 min delivered and each
    carer billed 11 min, 347.05p each; a visit corrected "not delivered" delivers and
    bills nothing. Page, CSVs and the hours report: 50 min delivered, 51 billed, £16.09."""
    from backend.services.attendance.corrections import correct_visit
    from tests.audit_support import attend

    w = make.world()
    monday, sunday = last_full_week()
    start = clock.local_to_utc(monday, time(9, 0))
    half = make.visit(w.package, start=start, minutes=60, workers=[w.worker])
    attend(half, w.worker, start, 28, seconds=30)
    pair = make.visit(w.package, start=start + timedelta(days=1), minutes=30, carers_required=2,
                      workers=[w.worker, w.other_worker])
    for carer in (w.worker, w.other_worker):
        attend(pair, carer, start + timedelta(days=1), 10, seconds=30)
    struck = make.visit(w.package, start=start + timedelta(days=2), workers=[w.worker])
    attend(struck, w.worker, start + timedelta(days=2), 30)
    correct_visit(struck, w.worker, w.manager, None, start + timedelta(days=2, minutes=30),
                  "wrong_visit", "not_delivered", now=start + timedelta(days=3))
    make.commit()
    auth.login(w.commissioner.username)
    args = f"from={monday}&to={sunday}"

    page = client.get(f"/payment?{args}").get_data(as_text=True)
    _visits, _billed_visits, actual, raw, billed, _hours, amount, *_held = _footer(
        page, "payment-providers")
    assert (actual, raw, billed, amount) == ("50", "50", "51", "£16.09")
    every = _rows(client.get(f"/payment/visits.csv?{args}"))
    assert [(r["Actual minutes"], r["Raw time"], r["Raw minutes"], r["Billed minutes"],
             r["Amount (£)"]) for r in every] == [
        ("29", "28 min 30 s", "29", "29", "9.15"),
        ("21", "21 min", "21", "22", "6.94"),
        ("0", "0 min", "0", "0", "0.00")]
    for column, total in (("Actual minutes", actual), ("Raw minutes", raw),
                          ("Billed minutes", billed)):
        assert sum(int(r[column]) for r in every) == int(total)
    hours = _rows(client.get(f"/overview/hours.csv?{args}"))
    assert hours[-1]["Delivered hours"] == "0.83"  # 50 min, the same minutes as billed from


def test_council_and_icb_pages_show_their_shares_of_one_package(make, client, auth):
    """Council 70% / ICB 30%: 50 minutes at £18.93/h bill 1578p, split 1105p and 473p."""
    from backend.services.administration.contracts import set_funders
    w = make.world()
    monday, sunday = last_full_week()
    set_funders(w.admin, w.contract.id, {w.council.id: 70, w.nhs.id: 30})
    _visit(make, w.package, w.worker, monday, 50)
    make.commit()
    args = f"from={monday}&to={sunday}"
    shown = {}
    for user in (w.commissioner, w.nhs_commissioner, w.admin):
        auth.login(user.username)
        page = client.get(f"/payment?{args}").get_data(as_text=True)
        assert "Northshire County Council 70.00% (lead), Northshire ICB 30.00%" in page
        table = page.split('id="payment-providers"')[1].split("</table>")[0]
        assert "Caring Hands" in table
        shown[user.username] = _footer(page, "payment-providers")[6]  # the amount
        funders = _rows(client.get(f"/payment/funders.csv?{args}"))
        shown[user.username, "funders"] = {r["Funder"]: r["Amount (£)"] for r in funders}
        auth.logout()
    assert shown[w.commissioner.username] == "£11.05"
    assert shown[w.nhs_commissioner.username] == "£4.73"
    assert shown[w.admin.username] == "£15.78"  # whole, with the shares shown
    assert shown[w.admin.username, "funders"] == {
        "Northshire County Council": "11.05", "Northshire ICB": "4.73"}
    assert shown[w.nhs_commissioner.username, "funders"] == {"Northshire ICB": "4.73"}
