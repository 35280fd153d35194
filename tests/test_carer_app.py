"""The care worker app in headless Chromium on a phone-sized screen, against the real API.

One scenario walks a working day: sign in, check in at the home (verified) and
500 m from the next home (accepted, flagged not verified), lose the connection,
check out with goal progress, reload while offline (the event is still queued),
come back online and see it accepted once. Sending the same event again is
answered "duplicate" and stored once.
"""
import json
import urllib.request
from datetime import time

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    Goal,
    GoalMeasure,
    GoalProgress,
    OutcomeDomain,
    Role,
    VisitEvent,
)
from backend.services.dates import clock
from tests.browser_fixtures import screenshot
from tests.factories import HOME, Factory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = Factory.PASSWORD
# 0.0045 degrees of latitude is about 500 m.
NEXT_HOME = (HOME[0] + 0.02, HOME[1])
NEAR_NEXT_HOME = (NEXT_HOME[0] + 0.0045, NEXT_HOME[1])


@pytest.fixture
def day(make):
    """A care worker with visits at 09:00 (HOME, with a goal) and 11:00 (NEXT_HOME) today."""
    provider = make.provider(name="Caring Hands")
    # The day's visits are at fixed times; a check-in hours before one is "early" and the
    # app would ask why (tests/test_early_start.py): a day-long allowance keeps this walk
    # about the working day itself.
    contract = make.contract(provider=provider, early_checkin_warn_min=24 * 60)
    worker = make.user(Role.CARE_WORKER, provider, display_name="Grace Hopper")
    first_person = make.service_user(first_name="Ada", last_name="Lovelace",
                                     access_notes="Key safe by the back door, code 4321.")
    second_person = make.service_user(first_name="Alan", last_name="Turing",
                                      home_lat=NEXT_HOME[0], home_lon=NEXT_HOME[1])
    today = clock.today()
    first = make.visit(make.package(first_person, contract=contract),
                       start=clock.local_to_utc(today, time(9, 0)), workers=[worker])
    second = make.visit(make.package(second_person, contract=contract),
                        start=clock.local_to_utc(today, time(11, 0)), workers=[worker])
    goal = Goal(service_user_id=first_person.id, description="Make a hot drink on my own",
                domain=OutcomeDomain.FOOD_AND_DRINK, measure=GoalMeasure.GAS, baseline=-2,
                target=0)
    db.session.add(goal)
    make.commit()
    return {"worker": worker, "first": first, "second": second, "goal": goal}


@pytest.fixture
def phone(browser):
    """A phone-sized touch browser that may read its location (set per test)."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2,
        geolocation={"latitude": HOME[0], "longitude": HOME[1], "accuracy": 15},
        permissions=["geolocation"], locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10000)
    yield context
    context.close()


def _api(base: str, path: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(base + "/api/v1" + path, data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _sign_in(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _read_queue(page, client_event_id: str | None = None):
    """The app's queue in IndexedDB: every event, or the one with this client event id."""
    return page.evaluate("""(id) => new Promise((resolve) => {
        const open = indexedDB.open("ecm-carer");
        open.onsuccess = () => {
          const store = open.result.transaction("queue").objectStore("queue");
          const request = id ? store.get(id) : store.getAll();
          request.onsuccess = () => resolve(request.result);
        };
    })""", client_event_id)


def _small_touch_targets(page) -> list:
    """Visible controls under 48 CSS pixels tall (radio and checkbox rows count as a whole)."""
    return page.evaluate("""() => [...document.querySelectorAll(
        "button, a, select, textarea, input:not([type=radio]):not([type=checkbox]), .choice")]
      .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().right > 0)
      .map((e) => [e.textContent.trim() || e.id, e.getBoundingClientRect().height])
      .filter(([, height]) => height < 47.5)""")


def test_a_working_day_online_and_offline(live_server, phone, day):
    page = phone.new_page()
    page.goto(live_server + "/app/")
    _sign_in(page, day["worker"].username)

    # Today's rota, next visit on top, with the person's access notes a tap away.
    page.get_by_role("heading", name="Today's visits").wait_for()
    cards = page.locator(".visits .who")
    assert cards.all_inner_texts() == ["Ada Lovelace", "Alan Turing"]
    assert "Next" in page.locator(".visit.next").inner_text()
    assert "Key safe by the back door" in page.locator(".visit.next").inner_text()
    assert _small_touch_targets(page) == []
    screenshot(page, "carer-app-rota")

    # Check in at the home: verified.
    page.locator(".visit.next a").click()
    page.get_by_text("Key safe by the back door, code 4321.").wait_for()
    page.get_by_role("button", name="Check in").click()
    result = page.locator("#event-result")
    result.filter(has_text="location verified").wait_for()
    assert "Accepted" in result.inner_text()
    assert page.locator("#visit-status").inner_text() == "Checked in"

    # Check in 500 m from the next home: accepted but flagged not verified.
    page.get_by_role("link", name="Today's visits").click()
    phone.set_geolocation({"latitude": NEAR_NEXT_HOME[0], "longitude": NEAR_NEXT_HOME[1],
                           "accuracy": 20})
    page.locator("a.visit-link", has_text="Alan Turing").click()
    page.get_by_role("button", name="Check in").click()
    page.locator("#event-result", has_text="not verified").wait_for()
    text = page.locator("#event-result").inner_text()
    assert "Accepted" in text and "50" in text  # about 500 m
    screenshot(page, "carer-app-not-verified")

    # The service worker controls the page before the connection drops.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")

    # Offline: check out of the first visit with goal progress; it waits on the phone.
    phone.set_geolocation({"latitude": HOME[0], "longitude": HOME[1], "accuracy": 15})
    phone.set_offline(True)
    page.get_by_role("link", name="Today's visits").click()
    page.get_by_role("heading", name="Today's visits").wait_for()
    page.locator("a.visit-link", has_text="Ada Lovelace").click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_role("heading", name="Check out").wait_for()
    tasks = page.locator("fieldset.task")
    tasks.nth(0).get_by_label("Done", exact=True).check()
    tasks.nth(1).get_by_label("Not done").check()
    tasks.nth(1).get_by_label("Why not?").fill("Already had breakfast with her daughter")
    page.get_by_label("How did it go today?").select_option("1")  # "somewhat better than expected"
    page.get_by_label("Visit note (optional)").fill("Made tea with a little help.")
    screenshot(page, "carer-app-check-out")
    page.get_by_role("button", name="Check out").click()
    page.locator("#event-result", has_text="Waiting to send").wait_for()
    client_event_id = next(e["client_event_id"] for e in _read_queue(page)
                           if e["kind"] == "check_out")
    assert _small_touch_targets(page) == []

    # Reload while offline: the app comes from the service worker, the event is still queued.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#connection").is_visible()
    page.get_by_role("link", name="Outbox (1 waiting)").click()
    event = page.locator(f"[data-client-event-id='{client_event_id}']")
    assert event.locator(".event-result").inner_text() == "Waiting to send"
    screenshot(page, "carer-app-offline-outbox")

    # Back online: sent through /sync and accepted, once.
    phone.set_offline(False)
    event.locator(".event-result", has_text="Accepted").wait_for()
    assert event.locator(".event-result").inner_text() == "Accepted"
    assert page.locator(".event-result", has_text="Waiting").count() == 0
    db.session.rollback()  # see what the server committed
    stored = db.session.scalars(sa.select(VisitEvent).where(
        VisitEvent.client_event_id == client_event_id)).all()
    assert len(stored) == 1 and stored[0].kind == "check_out"
    progress = db.session.scalars(sa.select(GoalProgress).where(
        GoalProgress.goal_id == day["goal"].id)).all()
    assert [p.score for p in progress] == [1]

    # The same event sent again (a lost answer, a second tab): a duplicate, stored once.
    queued = _read_queue(page, client_event_id)
    tokens = _api(live_server, "/auth/sign-in", {"username": day["worker"].username,
                                                 "password": PASSWORD})
    again = {"kind": queued["kind"], "visit_id": queued["visit_id"], **queued["body"]}
    answer = _api(live_server, "/sync", {"events": [again]}, tokens["access_token"])
    assert answer["results"][0]["result"] == "duplicate"
    assert answer["results"][0]["event_id"] == str(stored[0].id)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent).where(
        VisitEvent.client_event_id == client_event_id)) == 1
    page.get_by_role("link", name="Today's visits").click()
    page.locator(".visit-link", has_text="Ada Lovelace").filter(has_text="Checked out").wait_for()
    screenshot(page, "carer-app-synced")


def test_what_was_typed_survives_a_closed_page_and_an_ended_sign_in(live_server, phone, day):
    page = phone.new_page()
    page.goto(live_server + "/app/")
    _sign_in(page, day["worker"].username)
    page.locator(".visit.next a").click()
    page.get_by_role("button", name="Check in").click()
    page.locator("#event-result", has_text="location verified").wait_for()

    # Half-way through the check-out form the page is closed and opened again.
    page.get_by_role("link", name="Check out").click()
    tasks = page.locator("fieldset.task")
    tasks.nth(0).get_by_label("Done", exact=True).check()
    tasks.nth(1).get_by_label("Done", exact=True).check()
    page.get_by_label("Visit note (optional)").fill("Ate well; asked about her sister.")
    page.wait_for_function("""() => new Promise((resolve) => {
        const open = indexedDB.open("ecm-carer");
        open.onsuccess = () => {
          const keys = open.result.transaction("kv").objectStore("kv").getAllKeys();
          keys.onsuccess = () => resolve(keys.result.some((k) => String(k).startsWith("draft:")));
        };
    })""")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_by_label("Visit note (optional)").input_value() \
        == "Ate well; asked about her sister."
    assert page.locator("fieldset.task").nth(1).get_by_label("Done", exact=True).is_checked()

    # The phone's large text setting (200%): everything reflows, nothing scrolls sideways.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "carer-app-large-text")
    page.evaluate("document.documentElement.style.fontSize = ''")

    # Meanwhile the sign-in ends (signed out elsewhere): the access token in memory dies too.
    refresh_token = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open("ecm-carer");
        open.onsuccess = () => {
          const get = open.result.transaction("kv").objectStore("kv").get("refresh_token");
          get.onsuccess = () => resolve(get.result);
        };
    })""")
    request = urllib.request.Request(
        live_server + "/api/v1/auth/sign-out", method="POST",
        data=json.dumps({"refresh_token": refresh_token}).encode(),
        headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=10).status == 204

    # Checking out keeps the event, asks to sign in again, then sends it.
    page.get_by_role("button", name="Check out").click()
    page.get_by_text("Sign in again to send 1 waiting event(s).").wait_for()
    assert [e["status"] for e in _read_queue(page) if e["kind"] == "check_out"] == ["waiting"]
    screenshot(page, "carer-app-sign-in-again")
    assert page.get_by_label("Username").input_value() == day["worker"].username
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Outbox").click()
    page.locator(".event", has_text="Check out").locator(".event-result", has_text="Accepted") \
        .wait_for()
    db.session.rollback()
    stored = db.session.scalars(sa.select(VisitEvent).where(
        VisitEvent.visit_id == day["first"].id, VisitEvent.kind == "check_out")).all()
    assert len(stored) == 1 and stored[0].note == "Ate well; asked about her sister."
