"""The day board in headless Chromium at 1366x768: exceptions above the fold, the date
picker, the filter, and axe-core clean (issue 19, point 1)."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.models import Priority, Role
from backend.services.dates import clock
from tests.axe import check_accessibility
from tests.factories import Factory
from tests.monitoring_helpers import check_in

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 768}


def test_manager_sees_exceptions_first_and_picks_a_day(make, live_server, page):
    w = make.world()
    now = clock.now().replace(second=0, microsecond=0)
    # A full day: many carers with visits, so the exceptions must not be buried.
    carers = [make.user(Role.CARE_WORKER, w.provider, display_name=f"Aaron Carer {i:02d}")
              for i in range(25)]
    for i, carer in enumerate(carers):
        for hour in (1, 3, 5):
            make.visit(w.package, start=now + timedelta(hours=hour, minutes=i), workers=[carer])
    critical = make.visit(w.package, start=now - timedelta(minutes=10), workers=[w.worker],
                          priority=Priority.CRITICAL)
    double = make.visit(w.package, start=now - timedelta(minutes=20), carers_required=2,
                        workers=[w.worker, w.other_worker])
    check_in(double, w.worker, now - timedelta(minutes=19))
    make.commit()
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/login")
    page.fill("#username", w.manager.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Today", exact=True).click()

    first = page.locator("#action-rows tr").first
    expect(first).to_have_attribute("data-key", f"{critical.id}:late")
    expect(first).to_contain_text("time-critical")
    assert first.bounding_box()["y"] + first.bounding_box()["height"] <= DESKTOP["height"]
    expect(page.locator(f"#action-rows tr[data-key='{double.id}:carer not arrived']")
           ).to_contain_text(w.other_worker.display_name)
    # Each double-up carer's own state: one in progress, the other not arrived (late).
    expect(page.locator(f"a[data-chip='{double.id}:{w.worker.id}']")).to_have_attribute(
        "data-status", "in progress")
    expect(page.locator(f"a[data-chip='{double.id}:{w.other_worker.id}']")).to_have_attribute(
        "data-status", "not arrived (late)")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    check_accessibility(page, "board-exceptions-1366")

    page.select_option("#show", "late")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.board a.chip")).to_have_count(1)

    tomorrow = clock.today() + timedelta(days=1)
    page.fill("#date", tomorrow.isoformat())
    page.get_by_role("button", name="Show day").click()
    page.wait_for_url(f"**/board?date={tomorrow.isoformat()}*")
    expect(page.locator("h1")).to_contain_text(tomorrow.strftime("%-d %B %Y"))
    assert page.locator("#pause").is_hidden()  # another day does not poll
