"""Commissioner pages in a real browser at tablet width (768 px), and a CSV that adds up."""
import csv
import io
from datetime import time, timedelta
from decimal import Decimal

import pytest

from backend.services.dates import clock
from backend.services.audit.overview import last_full_week
from tests.browser_fixtures import screenshot
from tests.factories import Factory
from tests.monitoring_helpers import check_in, check_out

pytestmark = pytest.mark.browser
TABLET = {"width": 768, "height": 1024}


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _world(make):
    w = make.world()
    monday, _ = last_full_week()
    for day in range(3):
        start = clock.local_to_utc(monday + timedelta(days=day), time(9, 0))
        visit = make.visit(w.package, start=start, minutes=60, workers=[w.worker])
        check_in(visit, w.worker, start)
        check_out(visit, w.worker, start + timedelta(minutes=40 + 10 * day))
    make.commit()
    return w


def test_pages_fit_a_tablet_and_wide_tables_scroll_inside(make, live_server, page):
    w = _world(make)
    page.set_viewport_size(TABLET)
    _sign_in(page, live_server, w.commissioner.username)
    pages = {"overview": "/overview", "provider": f"/overview/providers/{w.provider.id}",
             "package": f"/overview/packages/{w.package.id}", "payment": "/payment",
             "outcomes": "/outcomes", "providers": "/providers"}
    for name, path in pages.items():
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], name
        nav = page.locator("nav[aria-label=Main]").bounding_box()
        assert nav["x"] >= 0 and nav["x"] + nav["width"] <= TABLET["width"], name
        for link in ("Overview", "Payment", "Outcomes", "Providers", "Escalated alerts"):
            assert page.get_by_role("link", name=link, exact=True).is_visible(), (name, link)
        # Every table sits in a wrapper that scrolls sideways on its own, not the page.
        assert page.locator("main table").count() == page.locator(".table-scroll > table").count()
        assert all(e == "auto" for e in page.locator(".table-scroll").evaluate_all(
            "els => els.map(e => getComputedStyle(e).overflowX)")), name
        screenshot(page, f"commissioner-{name}-tablet")


def test_commissioner_drills_down_and_downloads_a_csv_matching_the_page(make, live_server, page):
    w = _world(make)
    _sign_in(page, live_server, w.commissioner.username)
    page.click("nav >> text=Overview")
    page.click(f"#hours-table >> text={w.provider.name}")
    page.click(f"#packages-table >> text={w.person.name}")  # the person, not a reference
    page.locator("#visits-table >> text=Visit record").first.click()
    page.wait_for_url("**/visits/*")
    assert page.get_by_text("Planned and actual").is_visible()
    assert page.locator("text=Reassign this visit").count() == 0  # the provider's to do
    page.click("nav >> text=Payment")
    total = page.locator("#payment-providers tfoot td.amount").inner_text()
    with page.expect_download() as info:
        page.click("text=Download this table (CSV) >> nth=0")
    text = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    # The page writes money one way everywhere: £1,234.50.
    assert total == f"£{sum(Decimal(r['Amount (£)']) for r in rows):,.2f}"
