"""Reports API: access by role and funder, bad input, CSV that parses and adds up."""
import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from backend.models import BillingBasis, CallRate, Rounding, VisitStatus
from tests.audit_support import attend

MARCH = "from=2026-03-01&to=2026-03-31"
REPORTS = ["hours", "payment", "payment/visits", "quality", "corrections", "actuals.csv"]


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def w(make):
    world = make.world()
    nhs_contract = make.contract(funder=world.nhs, provider=world.provider)
    world.chc = make.package(make.service_user(), contract=nhs_contract, weekly_minutes=700)
    for day in (2, 3, 4):
        attend(make.visit(world.package, start=at(2026, 3, day, 9), minutes=30), world.worker,
               at(2026, 3, day, 9, 2), 25 + day)
        attend(make.visit(world.chc, start=at(2026, 3, day, 11), minutes=60), world.worker,
               at(2026, 3, day, 11), 60)
    make.visit(world.package, start=at(2026, 3, 5, 9), minutes=30, status=VisitStatus.MISSED)
    attend(make.visit(world.other_package, start=at(2026, 3, 2, 9), minutes=45),
           world.foreign_worker, at(2026, 3, 2, 9), 45)
    make.commit()
    return world


def get(client, bearer, user, path, query=MARCH):
    return client.get(f"/api/v1/reports/{path}?{query}", headers=bearer(user) if user else {})


def rows_of(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.parametrize("path", REPORTS)
def test_access_matrix(client, bearer, w, path):
    for user, status in ((w.commissioner, 200), (w.nhs_commissioner, 200), (w.manager, 200),
                         (w.admin, 200), (w.worker, 403), (w.panel, 403), (None, 401)):
        response = get(client, bearer, user, path)
        response.get_data()  # a streamed CSV is read to its end
        assert response.status_code == status, (path, user and user.role)
        if status >= 400:
            assert response.get_json()["error"]["code"]


def test_commissioner_sees_only_what_their_organisation_funds(client, bearer, w):
    council = get(client, bearer, w.commissioner, "hours").get_json()
    nhs = get(client, bearer, w.nhs_commissioner, "hours").get_json()
    manager = get(client, bearer, w.manager, "hours", MARCH + "&group=funder").get_json()
    assert council["total"]["delivered_minutes"] == 27 + 28 + 29
    assert [r["group"]["provider"]["name"] for r in council["rows"]] == ["Caring Hands"]
    nhs_rows = {r["group"]["provider"]["name"]: r["delivered_minutes"] for r in nhs["rows"]}
    assert nhs_rows == {"Caring Hands": 180, "Elsewhere Care": 45}
    assert {r["group"]["funder"]["name"]: r["delivered_minutes"] for r in manager["rows"]} == {
        "Northshire County Council": 84, "Northshire ICB": 180}


def test_provider_filter(client, bearer, w):
    own = get(client, bearer, w.nhs_commissioner, "hours",
              f"{MARCH}&provider_id={w.other_provider.id}").get_json()
    assert own["total"]["delivered_minutes"] == 45
    for provider in (w.other_provider.id, w.nhs.id, uuid.uuid4()):
        response = get(client, bearer, w.commissioner, "hours", f"{MARCH}&provider_id={provider}")
        assert response.status_code == 404
    assert get(client, bearer, w.manager, "payment",
               f"{MARCH}&provider_id={w.other_provider.id}").status_code == 404


@pytest.mark.parametrize("query, field", [
    (MARCH + "&group=carer", "group"),
    (MARCH + "&group=provider,funder", "group"),
    ("from=2026-03-31&to=2026-03-01", "to"),
    ("from=2025-01-01&to=2026-03-01", "to"),
    ("from=2026-03-01", "to"),
    ("period=fortnight&date=2026-03-01", "period"),
    ("from=2026-02-30&to=2026-03-01", "from"),
])
def test_bad_input_is_422_with_why(client, bearer, w, query, field):
    response = get(client, bearer, w.commissioner, "hours", query)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_empty_period_zeros(client, bearer, w):
    for path in ("hours", "payment", "quality", "corrections"):
        body = get(client, bearer, w.commissioner, path, "period=month&date=2019-06-01").get_json()
        assert body["rows"] == [], path
    assert get(client, bearer, w.commissioner, "payment",
               "period=month&date=2019-06-01").get_json()["total"]["amount_pence"] == 0


def test_payment_totals_equal_per_visit_rows_and_csv(client, bearer, make, w):
    contract = w.contract
    contract.billing_basis = BillingBasis.ACTUAL
    contract.rounding_unit_min, contract.rounding = 15, Rounding.UP
    contract.floor_rate_pence, contract.ceiling_rate_pence = 1417, 1622
    for minutes, pence in ((30, 820), (45, 1065), (60, 1420)):
        contract.call_rates.append(CallRate(duration_min=minutes, amount_pence=pence))
    make.commit()
    totals = get(client, bearer, w.commissioner, "payment").get_json()
    visits = get(client, bearer, w.commissioner, "payment/visits").get_json()["visits"]
    # 27, 28, 29 min -> 30 min each -> 820p, cut to the ceiling 811p; the missed one is free.
    assert [v["amount_pence"] for v in visits] == [811, 811, 811, 0]
    assert totals["total"]["amount_pence"] == sum(v["amount_pence"] for v in visits) == 2433
    assert totals["total"]["billed_minutes"] == 90
    assert "Not billed: visit missed" in visits[3]["rule"]
    actuals = rows_of(get(client, bearer, w.commissioner, "actuals.csv"))
    assert len(actuals) == 4
    assert sum(Decimal(r["Amount (£)"]) for r in actuals) == Decimal("24.33")
    assert {r["Council client reference"] for r in actuals} == {w.person.council_ref}
    assert actuals[0]["Date"] == "2026-03-02" and actuals[0]["Billed minutes"] == "30"
    summary = rows_of(get(client, bearer, w.commissioner, "payment", MARCH + "&format=csv"))
    assert summary == [{"Provider": "Caring Hands", "Visits": "4", "Billed visits": "3",
                        "Actual minutes": "84", "Raw minutes": "84", "Billed minutes": "90",
                        "Amount (£)": "24.33", "Held visits": "0", "Held amount (£)": "0.00",
                        "Confirmed visits": "0"}]


def test_hours_csv_adds_up_to_the_json_total(client, bearer, w):
    body = get(client, bearer, w.manager, "hours", MARCH + "&group=funder,week").get_json()
    rows = rows_of(get(client, bearer, w.manager, "hours", MARCH + "&group=funder,week&format=csv"))
    assert len(rows) == len(body["rows"]) > 1
    assert set(rows[0]) >= {"Funder", "Week starting", "Delivered hours", "Commissioned hours"}
    assert sum(Decimal(r["Delivered hours"]) for r in rows) == Decimal(
        str(body["total"]["delivered_hours"]))
    assert all(r["Week starting"][4] == "-" for r in rows)  # ISO dates


def test_quality_and_corrections_csv(client, bearer, w):
    quality = rows_of(get(client, bearer, w.commissioner, "quality", MARCH + "&format=csv"))
    assert quality[0]["Provider"] == "Caring Hands" and quality[0]["Visits due"] == "4"
    corrections = get(client, bearer, w.commissioner, "corrections", MARCH + "&format=csv")
    assert corrections.status_code == 200
    assert rows_of(corrections) == []


def test_period_kinds(client, bearer, w):
    week = get(client, bearer, w.commissioner, "hours", "period=week&date=2026-03-04").get_json()
    assert week["period"] == {"from": "2026-03-02", "to": "2026-03-08"}
    assert week["total"]["delivered_minutes"] == 84
    quarter = get(client, bearer, w.commissioner, "hours", "period=quarter&date=2026-02-10")
    assert quarter.get_json()["period"] == {"from": "2026-01-01", "to": "2026-03-31"}


def test_payment_grouped_by_funder_and_week(client, bearer, w):
    body = get(client, bearer, w.manager, "payment", MARCH + "&group=funder,week").get_json()
    assert [(r["group"]["funder"]["name"], r["group"]["week"], r["visits"])
            for r in body["rows"]] == [("Northshire County Council", "2026-03-02", 4),
                                       ("Northshire ICB", "2026-03-02", 3)]
    assert body["total"]["visits"] == 7


def test_quality_has_the_share_of_travel_time_the_rota_allows_for(client, bearer, make, w):
    """On 10 March the worker goes from the council's 8:00 visit to one 1,112.7 m north at
    8:32: a driver at the contract's 20 km/h needs 4 minutes, the 2-minute gap allows 2.
    The NHS commissioner sees neither visit, so no trip."""
    north = make.package(make.service_user(home_lat=52.2405 + 0.01), contract=w.contract)
    make.visit(w.package, start=at(2026, 3, 10, 8), minutes=30, workers=[w.worker])
    make.visit(north, start=at(2026, 3, 10, 8, 32), minutes=28, workers=[w.worker])
    make.commit()
    council = get(client, bearer, w.commissioner, "quality").get_json()["rows"][0]
    assert (council["travel_pairs"], council["travel_needed_min"],
            council["travel_allowed_min"], council["travel_allowed_pct"]) == (1, 4, 2, 50.0)
    nhs = get(client, bearer, w.nhs_commissioner, "quality").get_json()["total"]
    assert (nhs["travel_pairs"], nhs["travel_needed_min"], nhs["travel_allowed_pct"]) == (
        0, 0, None)
    (row,) = rows_of(get(client, bearer, w.commissioner, "quality", MARCH + "&format=csv"))
    assert (row["Travel minutes needed between visits"], row["Travel minutes the rota allows for"],
            row["Travel time allowed for %"]) == ("4", "2", "50.00")
