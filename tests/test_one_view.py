"""The commissioner's one view (issue 19, point 5): commissioned -> planned -> delivered ->
verified -> billed per provider, from the hours and billing engines, rated against the
contract's targets, explained from delivered to billed, by shortfall."""
from datetime import time, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backend.models import BillingBasis
from backend.services.audit import hours, payment
from backend.services.audit.one_view import one_view, one_view_period
from backend.services.audit.report_scope import parse_grouping
from backend.services.audit.targets import AMBER, GREEN, RED, rag
from tests.audit_support import attend
from tests.axe import check_accessibility
from tests.browser_fixtures import screenshot
from tests.factories import Factory


def _county(make):
    """Two providers the council funds: Caring Hands delivers 40 of 60 minutes a day, the
    other delivers in full but on a planned basis with 15-minute rounding."""
    w = make.world()
    period = one_view_period("week", None)
    second = make.contract(funder=w.council, provider=w.other_provider,
                           billing_basis=BillingBasis.PLANNED, rounding_unit_min=15,
                           delivery_target_pct=90, home_logging_target_pct=80)
    other_package = make.package(make.service_user(first_name="Olive", last_name="Oak"),
                                 contract=second, weekly_minutes=7 * 50)
    w.package.weekly_minutes = 7 * 60
    from backend.services.dates import clock
    for day in range(7):
        start = clock.local_to_utc(period.first + timedelta(days=day), time(9))
        short = make.visit(w.package, start=start, minutes=60, workers=[w.worker])
        attend(short, w.worker, start, 40, verified=day < 5)
        full = make.visit(other_package, start=start, minutes=50, workers=[w.foreign_worker])
        attend(full, w.foreign_worker, start, 47)
    make.commit()
    return w, period


def test_stages_come_from_the_hours_and_billing_engines(make):
    w, period = _county(make)
    data = one_view(w.commissioner, "week", period.first + timedelta(days=3))
    assert data["period"].first == period.first
    names = [v.provider["name"] for v in data["rows"]]
    assert names == ["Caring Hands", "Elsewhere Care"]  # the larger shortfall first
    mine = data["rows"][0]
    report = hours.hours_report(w.commissioner, period, parse_grouping("provider"),
                                w.provider.id)["total"]
    paid = payment.payment_totals(w.commissioner, period, parse_grouping("provider"),
                                  w.provider.id)["total"]
    assert [s.hours for s in mine.stages] == [
        report["commissioned_hours"], report["planned_hours"], report["delivered_hours"],
        report["verified_hours"], hours.hours(paid["billed_minutes"])]
    assert mine.stages[2].hours == Decimal("4.67")  # 7 x 40 min
    billed = mine.stages[-1]
    assert billed.pence == paid["amount_pence"] > 0
    assert billed.unverified_pence == round(paid["amount_pence"] * 2 / 7)  # 2 of 7 visits
    assert mine.shortfall_hours == Decimal("7.00") - Decimal("4.67")


def test_ratings_follow_each_contracts_targets(make):
    w, period = _county(make)
    data = one_view(w.commissioner, "week", period.first)
    mine, other = data["rows"]
    assert mine.delivered_pct == Decimal("66.7") and mine.rating["delivery"] == RED
    assert mine.targets.delivery_pct == 95 and mine.targets.home_logging_pct == 85
    assert mine.verified_pct is not None and mine.rating["home logging"] == RED  # 5 of 7
    assert other.targets.delivery_pct == 90
    assert other.delivered_pct == Decimal("94.0") and other.rating["delivery"] == GREEN
    assert rag(Decimal("91"), 95, 5) == AMBER and rag(None, 95, 5) is None


def test_the_explanation_adds_up_from_delivered_to_billed(make):
    w, period = _county(make)
    data = one_view(w.commissioner, "week", period.first)
    for view in [*data["rows"], data["total"]]:
        (_, delivered), *steps, (_, billed) = view.explanation
        assert delivered + sum(h for _, h in steps) == billed
    other = data["rows"][1]
    basis = dict(other.explanation)["Billing basis and double-ups"]
    assert basis == hours.hours(7 * 3)  # paid on 50 planned minutes, 47 delivered
    assert other.terms == ["paid on planned time, rounded nearest to 15 min"]


def test_travel_time_the_rota_allows_for_per_provider(make, client, auth):
    """Caring Hands' worker goes on from each Monday's and Tuesday's 9:00-10:00 visit to
    one 1,112.7 m north: a driver at the contract's 20 km/h needs 4 minutes; Monday's
    gap is 5 (allows 4), Tuesday's 2 (allows 2): 6 of 8 minutes, 75%."""
    w, period = _county(make)
    from backend.services.dates import clock
    north = make.package(make.service_user(home_lat=52.2405 + 0.01), contract=w.contract)
    for day, gap in ((0, 5), (1, 2)):
        start = clock.local_to_utc(period.first + timedelta(days=day), time(10, gap))
        make.visit(north, start=start, minutes=20, workers=[w.worker])
    make.commit()
    data = one_view(w.commissioner, "week", period.first)
    mine, other = data["rows"]
    assert mine.travel == {"needed_min": 8, "allowed_min": 6, "allowed_pct": Decimal("75.00"),
                           "pairs": 2, "short_pairs": 1}
    assert other.travel["needed_min"] == 0 and other.travel["allowed_pct"] is None
    assert data["total"].travel["allowed_pct"] == Decimal("75.00")
    auth.login(w.commissioner.username)
    page = client.get(f"/one-view?unit=week&date={period.first}").get_data(as_text=True)
    assert ("Travel time the rota allows for: <strong>75.00%</strong> (6 of 8 min needed "
            "between carers' consecutive visits; 1 of 2 gaps too short for the trip)") in page
    assert "no consecutive visits with travel between them" in page  # Elsewhere Care


def test_one_view_page_money_and_bad_input(make, client, auth):
    w, period = _county(make)
    auth.login(w.commissioner.username)
    page = client.get(f"/one-view?unit=week&date={period.last}").get_data(as_text=True)
    assert "Caring Hands" in page and "All providers" in page and "rag-red" in page
    assert "Delivered but not billed" not in page or "h delivered but not billed" in page
    assert "£" in page and "for visits not verified in the home" in page
    assert client.get("/one-view?unit=year").status_code == 400
    assert client.get("/one-view?date=31-12-2026").status_code == 400


@pytest.mark.browser
def test_one_view_in_chromium_at_1366_with_the_menu_on_one_line(make, live_server, page):
    w, period = _county(make)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/login")
    page.fill("#username", w.commissioner.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/")
    screenshot(page, "commissioner-menu-1366")
    tops = page.locator("header.top a, header.top button").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert max(tops) - min(tops) <= 12, tops  # the menu sits on one line
    page.get_by_role("link", name="One view", exact=True).click()
    first = page.locator("section.provider-view[data-provider]").first
    expect(first.locator("h2")).to_contain_text("Caring Hands")
    expect(first.locator(".rag-red").first).to_contain_text("Delivered: 66.7% · red")
    expect(first.locator("tr[data-stage=Billed]")).to_contain_text("£")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    check_accessibility(page, "one-view-1366")
    first.get_by_role("link", name="Caring Hands").click()
    rows = page.locator("#packages-table tbody tr th")
    expect(rows.first).to_contain_text("Person Number")  # the person's name, by shortfall
