"""The carer app on the doorstep (issue 19, point 7), in Chromium at 390x844 and at 320 px
with 200% text: call the office, the address opens the map app, goal scores in words,
medication given or not with a reason, the next step after "no access" (and the office
told at once), Sign out out of the bottom bar, the bar small at large text."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Alert, AlertKind, Notification, Role
from backend.services.dates import clock
from tests.axe import check_accessibility
from tests.factories import HOME, Factory
from tests.outcome_helpers import goal

pytestmark = pytest.mark.browser


@pytest.fixture
def doorstep(make):
    provider = make.provider(name="Caring Hands", phone="01604 555 0100")
    contract = make.contract(provider=provider)
    manager = make.user(Role.PROVIDER_MANAGER, provider)
    worker = make.user(Role.CARE_WORKER, provider, display_name="Grace Hopper")
    ada = make.service_user(first_name="Ada", last_name="Lovelace", contact_name="Annabella",
                            contact_phone="07700 900123")
    alan = make.service_user(first_name="Alan", last_name="Turing")
    now = clock.now().replace(second=0, microsecond=0)
    first = make.visit(make.package(ada, contract=contract), start=now, workers=[worker],
                       tasks=("Medication: Metformin 500 mg with breakfast", "Breakfast"))
    second = make.visit(make.package(alan, contract=contract), start=now + timedelta(minutes=5),
                        workers=[worker])
    goal(ada)
    make.commit()
    return {"worker": worker, "manager": manager, "first": first, "second": second}


def _phone(browser, width, height, large_text=False):
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, is_mobile=True,
        locale="en-GB", timezone_id="Europe/London", bypass_csp=True,
        geolocation={"latitude": HOME[0], "longitude": HOME[1], "accuracy": 15},
        permissions=["geolocation"])
    context.set_default_timeout(10000)
    if large_text:  # the phone's text size at 200%: rem-based styles scale with it
        context.add_init_script(
            "document.addEventListener('DOMContentLoaded', () => "
            "{ document.documentElement.style.fontSize = '200%'; });")
    return context


def _sign_in(page, base, worker):
    page.goto(base + "/app/")
    page.get_by_label("Username").fill(worker.username)
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today's visits").wait_for()


def _bar_covers(page) -> float:
    """Height of the screen the sticky action bar covers (0 when it scrolls away)."""
    return page.evaluate("""() => { const bar = document.querySelector('.actions');
        if (!bar || getComputedStyle(bar).position !== 'sticky') return 0;
        return bar.getBoundingClientRect().height; }""")


def test_doorstep_basics_at_390(doorstep, live_server, browser):
    context = _phone(browser, 390, 844)
    page = context.new_page()
    try:
        _sign_in(page, live_server, doorstep["worker"])
        assert page.locator(".actions").get_by_role("button", name="Sign out").count() == 0
        expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()
        page.locator("a.visit-link", has_text="Ada Lovelace").click()
        expect(page.get_by_role("link", name="Call the office (01604 555 0100)")
               ).to_have_attribute("href", "tel:016045550100")
        assert page.locator("a.map-link").get_attribute("href").startswith(
            f"geo:{HOME[0]},{HOME[1]}?q=")
        expect(page.locator("li.medication")).to_contain_text("Metformin 500 mg with breakfast")
        expect(page.locator("li.medication")).to_contain_text("due at this visit")
        check_accessibility(page, "carer-doorstep-visit-390")
        page.get_by_role("button", name="Check in").click()
        page.locator("#event-result", has_text="Accepted").wait_for()
        page.get_by_role("link", name="Check out").click()
        medication = page.locator("fieldset.medication")
        medication.get_by_label("Not given", exact=True).check()
        expect(medication.get_by_label("Why was it not given?")).to_be_visible()
        options = page.locator("select[id^=score-] option").all_inner_texts()
        assert "as expected" in options and "much better than expected" in options
        check_accessibility(page, "carer-doorstep-check-out-390")
        page.get_by_role("button", name="Check out").click()
        expect(page.locator("#form-error")).to_contain_text("was not done")
        assert _bar_covers(page) <= 844 * 0.2

        # No access at the next home: the next step, and the office told at once.
        page.goto(f"{live_server}/app/#/visit/{doorstep['second'].id}")
        page.get_by_role("link", name="No access").click()
        page.get_by_label("No answer at the door").check()
        page.get_by_role("button", name="Report no access").click()
        page.get_by_role("heading", name="What to do next").wait_for()
        expect(page.get_by_text("The office has been told")).to_be_visible()
        call = page.locator(".actions").get_by_role("link", name="Call the office (01604 555 0100)")
        expect(call).to_be_visible()
        check_accessibility(page, "carer-doorstep-no-access-390")
    finally:
        context.close()
    db.session.rollback()
    alert = db.session.scalar(sa.select(Alert).where(Alert.visit_id == doorstep["second"].id))
    assert alert.kind == AlertKind.NO_ACCESS and "no answer" in alert.detail
    told = db.session.scalars(sa.select(Notification.recipient_user_id).where(
        Notification.alert_id == alert.id)).all()
    assert doorstep["manager"].id in told


def test_the_bar_stays_small_at_320_px_with_200_percent_text(doorstep, live_server, browser):
    context = _phone(browser, 320, 640, large_text=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server, doorstep["worker"])
        assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
        assert _bar_covers(page) <= 640 * 0.2
        page.locator("a.visit-link", has_text="Ada Lovelace").click()
        page.get_by_role("button", name="Check in").wait_for()
        assert _bar_covers(page) <= 640 * 0.2
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        check_accessibility(page, "carer-doorstep-visit-320-200pct")
    finally:
        context.close()
