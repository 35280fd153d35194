"""Issue 18's "Done when", in headless Chromium against the real app: a manager opens
tomorrow's rota, jumps to each problem, accepts a suggested carer, runs "Plan the day"
(solved by the scheduler's own job), reviews and accepts the diff, and the carer's app
shows the change."""
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import CarerLeave, CarerSkill, PlanStatus, Role, RotaPlan, Visit
from backend.scheduler.jobs import run_job
from backend.scheduler.lease import new_holder_id
from backend.services.dates import clock
from tests.browser_fixtures import screenshot
from tests.factories import HOME
from tests.test_admin_browser import signed_in
from tests.test_carer_app import _sign_in as sign_in_on_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def tomorrow_rota(make, app):
    """Tomorrow: a visit nobody is on, a double-up with one carer, a visit given to a carer
    who has rung in sick; the demo-like carer Grace is free and knows the first person."""
    app.config["ROTA_PLAN_SECONDS"] = 1
    w = make.world()
    w.grace = make.user(Role.CARE_WORKER, w.provider, display_name="Grace Hopper",
                        staff_ref="CW0001")
    w.sick = make.user(Role.CARE_WORKER, w.provider, display_name="Sam Poorly")
    for worker in (w.worker, w.other_worker, w.grace, w.sick):
        db.session.add(CarerSkill(worker_id=worker.id, skill="moving_and_handling"))
    w.tomorrow = clock.today() + timedelta(days=1)
    db.session.add(CarerLeave(worker_id=w.sick.id, start_date=w.tomorrow, end_date=w.tomorrow,
                              kind="sickness", reason="Rang in sick"))
    ada = make.service_user(first_name="Ada", last_name="Lovelace")
    near = make.service_user(first_name="Alan", last_name="Turing",
                             home_lat=HOME[0] + 0.004, home_lon=HOME[1])

    def at(day, hour, person, **kw):
        return make.visit(make.package(person, contract=w.contract),
                          start=clock.local_to_utc(day, time(hour)), minutes=30, **kw)

    at(clock.today() - timedelta(days=7), 9, ada, workers=[w.grace])  # Grace knows Ada
    w.nobody = at(w.tomorrow, 9, ada)
    w.hoist = at(w.tomorrow, 11, near, carers_required=2, workers=[w.worker])
    w.covered = at(w.tomorrow, 14, make.service_user(first_name="Mary", last_name="Seacole"),
                   workers=[w.sick])
    make.commit()
    w.app = app
    return w


def test_manager_repairs_and_plans_tomorrow_and_the_carer_is_told(
        live_server, page, browser, tomorrow_rota):
    w = tomorrow_rota
    signed_in(page, live_server, w.manager)
    page.goto(f"{live_server}/rota?date={w.tomorrow.isoformat()}&view=day")
    problems = page.locator(".problem-list li")
    expect(problems).to_have_count(3)
    assert [problems.nth(i).get_attribute("data-code") for i in range(3)] == [
        "unassigned", "double_up_incomplete", "on_leave"]
    screenshot(page, "rota-day-problems")

    # Each problem's link lands on its visit in the grid.
    for i in range(3):
        link = problems.nth(i).get_by_role("link", name="Go to")
        target = link.get_attribute("href")
        link.click()
        page.wait_for_url(f"**{target}")
        expect(page.locator(target)).to_be_in_viewport()

    # Reassign the unassigned visit to the first suggestion: Grace, who knows Ada.
    problems.nth(0).get_by_role("link", name="Reassign").click()
    first = page.locator("table.suggestions tbody tr").first
    expect(first).to_contain_text("Grace Hopper")
    expect(first).to_contain_text("has visited Ada Lovelace 1 time")
    first.get_by_role("link", name="Choose").click()
    checks = page.locator("section:has(h2:text('Checks'))")
    expect(checks).to_be_visible()
    checks.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("Assignment saved.")
    db.session.expire_all()
    assert {a.worker_id for a in db.session.get(Visit, w.nobody.id).assignments} == {w.grace.id}

    # Plan the day: queued, solved by the scheduler's job, shown as a diff.
    page.goto(f"{live_server}/rota?date={w.tomorrow.isoformat()}&view=day")
    expect(page.locator(".problem-list li")).to_have_count(2)
    page.get_by_role("button", name="Plan the day").click()
    expect(page.get_by_role("heading", name="Waiting for the planner")).to_be_visible()
    assert run_job(w.app, "rota_plans", new_holder_id())["violations"] == 0
    expect(page.get_by_role("heading", name="Proposed moves")).to_be_visible(timeout=8000)
    plan = db.session.scalar(sa.select(RotaPlan))
    assert plan.status == PlanStatus.READY
    expect(page.locator("[data-figure=violations]")).to_have_text("0")
    expect(page.locator("[data-figure=unassigned]")).to_have_text("0")
    rows = page.locator("table.moves tbody tr")
    expect(rows.filter(has_text="Sam Poorly")).to_have_count(1)
    screenshot(page, "rota-plan-diff")
    page.get_by_role("button", name="Accept all proposed moves").click()
    expect(page.locator(".flash.ok")).to_contain_text("accepted")
    expect(page.locator(".problem-list li")).to_have_count(0)
    db.session.expire_all()
    assert w.sick.id not in {a.worker_id for a in db.session.get(Visit, w.covered.id).assignments}
    assert len(db.session.get(Visit, w.hoist.id).assignments) == 2

    # Grace's phone: the rota changed banner names the visit she now has tomorrow.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                timezone_id="Europe/London")
    phone.set_default_timeout(10000)
    try:
        carer = phone.new_page()
        carer.goto(f"{live_server}/app/")
        sign_in_on_phone(carer, w.grace.username)
        banner = carer.locator(".rota-changed")
        expect(banner).to_contain_text("Rota changed")
        expect(banner).to_contain_text("You now visit Ada Lovelace at 09:00 tomorrow.")
        screenshot(carer, "carer-app-rota-changed")
        banner.get_by_role("button", name="Got it").click()
        expect(banner).to_have_count(0)
    finally:
        phone.close()
