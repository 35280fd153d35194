"""axe-core over every page of every role, in headless Chromium (issue 19, point 8).

Each role signs in through the real form; every link its menu offers is opened, then the
detail pages its work leads to (a visit, a person, a provider and package drill-down, a
feedback response), and the carer's app screens. axe-core (from npm, injected by the
test) fails the test on any critical or serious violation; a screenshot and axe's report
of every page are saved under test-artifacts/.
"""
from datetime import time, timedelta

import pytest

from backend.extensions import db
from backend.models import Alert, AlertKind, Role
from backend.services.audit.overview import last_full_week
from backend.services.dates import clock
from backend.services.outcomes.goal_progress import record_progress
from tests.axe import check_accessibility
from tests.factories import HOME, Factory
from tests.feedback_helpers import add_feedback
from tests.monitoring_helpers import check_in, check_out
from tests.outcome_helpers import episode, goal

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def county(make):
    """A small county with something on every page: visits done and late, an alert, a
    goal with progress, an episode and panel feedback."""
    w = make.world()
    monday, _ = last_full_week()
    for day in range(2):
        start = clock.local_to_utc(monday + timedelta(days=day), time(9, 0))
        visit = make.visit(w.package, start=start, minutes=45, workers=[w.worker])
        check_in(visit, w.worker, start + timedelta(minutes=20))
        check_out(visit, w.worker, start + timedelta(minutes=50))
    late = make.visit(w.package, start=clock.now() - timedelta(minutes=40), workers=[w.worker])
    db.session.add(Alert(visit_id=late.id, kind=AlertKind.LATE, detail="Not started",
                         escalated_at=clock.now()))
    aim = goal(w.person, package=w.package)
    record_progress(aim, w.worker, 0, "Made tea", visit=w.visit)
    episode(w.package)
    add_feedback(w.provider, 4, count=6)
    make.commit()
    return w


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    check_accessibility(page, "axe-login")
    page.fill("#username", user.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


def _check_role(page, base: str, user, role: str, extra: list[str]) -> list[str]:
    """Open the landing page, every menu link and the extra paths; axe each one."""
    page.set_viewport_size(DESKTOP)
    _sign_in(page, base, user)
    check_accessibility(page, f"axe-{role}-home")
    links = page.locator("nav[aria-label=Main] a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    seen = []
    for n, path in enumerate(dict.fromkeys(links + extra)):
        response = page.goto(base + path)
        assert response.status == 200, (role, path, response.status)
        check_accessibility(page, f"axe-{role}-{n:02d}")
        seen.append(path)
    return seen


def test_every_manager_page_passes_axe(county, live_server, page):
    w = county
    seen = _check_role(page, live_server, w.manager, "manager", [
        f"/visits/{w.visit.id}", f"/visits/{w.visit.id}/reassign", f"/people/{w.person.id}",
        "/alerts?status=all"])
    assert "/board" in seen and "/rota" in seen and "/alerts" in seen


def test_every_commissioner_page_passes_axe(county, live_server, page):
    w = county
    seen = _check_role(page, live_server, w.commissioner, "commissioner", [
        f"/overview/providers/{w.provider.id}", f"/overview/packages/{w.package.id}",
        f"/visits/{w.visit.id}", f"/people/{w.person.id}"])
    assert "/overview" in seen and "/payment" in seen and "/outcomes" in seen


def test_every_admin_and_panel_page_passes_axe(county, live_server, page):
    w = county
    seen = _check_role(page, live_server, w.admin, "admin", [])
    assert "/board" in seen and "/overview" in seen
    page.click("text=Sign out")
    seen = _check_role(page, live_server, w.panel, "panel", ["/feedback/code"])
    assert "/feedback/new" in seen


def test_every_carer_app_screen_passes_axe(make, live_server, browser):
    provider = make.provider(name="Caring Hands")
    worker = make.user(Role.CARE_WORKER, provider, display_name="Grace Hopper")
    person = make.service_user(first_name="Ada", last_name="Lovelace")
    package = make.package(person, contract=make.contract(provider=provider))
    # Due now: not early (the early check-in screen has its own check in test_early_start).
    make.visit(package, start=clock.now().replace(second=0, microsecond=0), workers=[worker])
    goal(person)
    make.commit()
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB", bypass_csp=True,
        geolocation={"latitude": HOME[0], "longitude": HOME[1], "accuracy": 15},
        permissions=["geolocation"], timezone_id="Europe/London")
    context.set_default_timeout(10000)
    page = context.new_page()
    try:
        page.goto(live_server + "/app/")
        page.get_by_label("Username").wait_for()
        check_accessibility(page, "axe-carer-sign-in")
        page.get_by_label("Username").fill(worker.username)
        page.get_by_label("Password").fill(Factory.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Today's visits").wait_for()
        check_accessibility(page, "axe-carer-rota")
        page.locator(".visit.next a").first.click()
        page.get_by_role("button", name="Check in").wait_for()
        check_accessibility(page, "axe-carer-visit")
        page.get_by_role("button", name="Check in").click()
        page.locator("#event-result", has_text="Accepted").wait_for()
        page.get_by_role("link", name="Check out").click()
        page.get_by_role("heading", name="Check out").wait_for()
        check_accessibility(page, "axe-carer-check-out")
    finally:
        context.close()
