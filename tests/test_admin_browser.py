"""The web admin in headless Chromium against the real app on loopback (issue 7's list).

Each test builds a small world with the factory, commits it, and drives the pages as a
person would: sign in per role, the live board turning a visit late as real time passes
its tolerance and the detection job runs, reassigning a visit, a refused correction,
the overview CSV against the page, and a manager guessing another provider's visit URL.
"""
import csv
import io
import time as wall
from datetime import time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Alert, AlertKind, EventKind, Role, Visit, VisitEvent
from backend.scheduler.jobs import run_job
from backend.services.dates import clock
from backend.services.audit.overview import last_full_week
from backend.services.identity.accounts import REFUSAL
from tests.browser_fixtures import screenshot
from tests.factories import Factory
from tests.monitoring_helpers import check_in, check_out

pytestmark = pytest.mark.browser

# Screenshots of the main pages at desktop and tablet width (saved, never committed).
SIZES = {"desktop": {"width": 1280, "height": 900}, "tablet": {"width": 768, "height": 1024}}


def screenshot_sizes(page, name: str) -> None:
    """Full-page screenshots at both widths; at tablet width nothing may overflow sideways."""
    before = page.viewport_size
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= viewport["width"], f"{name} is {wide}px wide at {size} width"
        screenshot(page, f"{name}-{size}")
    page.set_viewport_size(before)


def sign_in(page, base: str, username: str, password: str = Factory.PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")


def signed_in(page, base: str, user) -> None:
    sign_in(page, base, user.username)
    page.wait_for_url(f"{base}/")


ROLES = [  # (world attribute, a tile of its landing page, a link its menu must offer)
    ("manager", "Care workers", "Rota"),
    ("commissioner", "Providers contracted", "Overview"),
    ("admin", "Organisations", "Today"),
    ("panel", "Feedback you have sent", "Give feedback"),
    ("worker", "Visits today", None),
]


def test_each_role_signs_in_and_lands_on_its_page(make, live_server, page):
    w = make.world()
    make.commit()
    for role, tile, nav in ROLES:
        user = getattr(w, role)
        signed_in(page, live_server, user)
        assert page.inner_text("h1") == user.organisation.name, role
        assert f"Signed in as {user.display_name}, {user.role.value.replace('_', ' ')}" in (
            page.inner_text("p.role")), role
        assert tile in page.inner_text(".tiles"), role
        links = page.locator("nav[aria-label=Main] a").all_inner_texts()
        if nav:
            assert nav in links, role
        else:  # a care worker works from the phone app: no admin pages offered
            assert links == [], role
        page.click("text=Sign out")
        page.wait_for_url(f"{live_server}/login")


def test_wrong_password_shows_the_error_and_keeps_the_username(make, live_server, page):
    w = make.world()
    make.commit()
    sign_in(page, live_server, w.manager.username, "not-the-password")
    expect(page.locator("p.error[role=alert]")).to_have_text(REFUSAL)
    assert page.url.startswith(f"{live_server}/login")
    assert page.input_value("#username") == w.manager.username
    assert page.input_value("#password") == ""
    assert page.locator("nav[aria-label=Main]").count() == 0  # nobody signed in


def _open_kinds(visit) -> set:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == visit.id)))


def test_board_turns_a_visit_late_when_its_tolerance_passes(app, make, live_server, page):
    """Real time passes the 15-minute tolerance; the scheduler's detection job raises the
    alert; the board, polling its JSON, relabels the chip, counts the late visit and lists
    it as needing action without reloading the page, and says so to screen readers."""
    w = make.world()
    make.commit()
    signed_in(page, live_server, w.manager)  # before the clock starts: argon2 takes a while
    start = clock.now() - timedelta(minutes=15) + timedelta(seconds=5)  # late 5 s from now
    visit = make.visit(w.package, start=start, workers=[w.worker])
    make.commit()
    app.config["BOARD_REFRESH_SECONDS"] = 1
    try:
        run_job(app, "detection", "browser-test")
        assert AlertKind.LATE not in _open_kinds(visit)  # not yet past the tolerance
        page.goto(f"{live_server}/board")
        chip = page.locator(f"a.chip[href='/visits/{visit.id}']")
        expect(chip).to_have_attribute("data-status", "due")
        assert clock.now() < start + timedelta(minutes=15), "too slow to see the visit due"
        assert page.locator("meta[http-equiv=refresh]").count() == 0
        page.evaluate("window.notReloaded = true")
        expect(page.locator("[data-count=late] .number")).to_have_text("0")

        wall.sleep(max(0.0, (start + timedelta(minutes=15) - clock.now()).total_seconds()) + 0.2)
        run_job(app, "detection", "browser-test")
        assert AlertKind.LATE in _open_kinds(visit)
        expect(chip).to_have_attribute("data-status", "late", timeout=6000)
        expect(chip).to_contain_text("· late")
        expect(page.locator("[data-count=late] .number")).to_have_text("1")
        row = page.locator(f"#action-rows tr[data-key='{visit.id}:late']")
        expect(row).to_contain_text(w.worker.display_name)
        expect(row.get_by_role("link", name="Call the carer; reassign if they cannot come")
               ).to_have_attribute("href", f"/visits/{visit.id}/reassign")
        expect(page.locator("#live-news[aria-live=polite]")).to_contain_text("1 late")
        assert page.evaluate("window.notReloaded === true")
        page.get_by_role("button", name="Pause updates").click()
        expect(page.get_by_role("button", name="Resume updates")).to_have_attribute(
            "aria-pressed", "true")
        expect(page.locator("#live-state")).to_have_text("Updates paused.")
        screenshot_sizes(page, "board")
    finally:
        app.config["BOARD_REFRESH_SECONDS"] = 30


def _row_of(page, visit_id) -> str:
    """The worker heading of the rota row holding the visit's block."""
    return page.locator(f"table.rota tr:has(a[data-visit='{visit_id}']) th[scope=row] .name"
                        ).inner_text()


def test_reassign_a_visit_and_see_the_rota_change(make, live_server, page):
    w = make.world()
    tomorrow = clock.today() + timedelta(days=1)
    visit = make.visit(w.package, start=clock.local_to_utc(tomorrow, time(10, 0)),
                       workers=[w.worker])
    make.commit()
    signed_in(page, live_server, w.manager)
    page.goto(f"{live_server}/rota?week={tomorrow.isoformat()}")
    assert _row_of(page, visit.id) == w.worker.display_name
    screenshot_sizes(page, "rota")

    page.click(f"a[data-visit='{visit.id}']")
    page.wait_for_url(f"**/visits/{visit.id}")
    page.click("text=Reassign this visit")
    page.select_option("#worker_id", value=str(w.other_worker.id))
    page.select_option("#replacing_id", label=w.worker.display_name)
    page.click("text=Check this assignment")
    checks = page.locator("section:has(h2:text('Checks'))")
    expect(checks).to_be_visible()
    assert "Refused" not in checks.inner_text()
    checks.locator("button[type=submit]").click()

    page.wait_for_url(f"**/rota?week={tomorrow.isoformat()}")
    expect(page.locator(".flash.ok")).to_contain_text("Assignment saved.")
    assert _row_of(page, visit.id) == w.other_worker.display_name
    assert page.locator(f"a[data-visit='{visit.id}']").count() == 1
    db.session.expire_all()
    assert [a.worker_id for a in db.session.get(Visit, visit.id).assignments] == [
        w.other_worker.id]


def test_correction_without_a_reason_is_refused_next_to_the_field(make, live_server, page):
    w = make.world()
    check_in(w.visit, w.worker, w.visit.planned_start + timedelta(minutes=3))
    make.commit()
    signed_in(page, live_server, w.manager)
    page.goto(f"{live_server}/visits/{w.visit.id}")
    screenshot_sizes(page, "visit")
    typed_note = "Carer forgot to check out; the family confirmed she left at ten."
    page.fill("#corrected_end", "10:00")
    page.select_option("#resolution_code", index=1)
    resolution = page.input_value("#resolution_code")
    page.fill("#note", typed_note)
    page.click("text=Record correction")

    field = page.locator(".field:has(#reason_code)")
    expect(field.locator("p.error")).to_have_text("Choose why the record was wrong.")
    assert field.get_attribute("class") == "field field-error"
    assert page.get_attribute("#reason_code", "aria-describedby") == "reason_code-error"
    assert "Please fix the marked fields." in page.inner_text("#correct p[role=alert]")
    assert page.input_value("#note") == typed_note
    assert page.input_value("#corrected_end") == "10:00"
    assert page.input_value("#resolution_code") == resolution
    assert page.input_value("#reason_code") == ""
    screenshot_sizes(page, "visit-correction-refused")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent).where(
        VisitEvent.kind == EventKind.CORRECTION)) == 0


def _delivered(make, package, worker, day, minutes_done):
    start = clock.local_to_utc(day, time(9, 0))
    visit = make.visit(package, start=start, minutes=60, workers=[worker])
    check_in(visit, worker, start)
    check_out(visit, worker, start + timedelta(minutes=minutes_done))
    return visit


HOURS = {"Commissioned h": "Commissioned hours", "Planned h": "Planned hours",
         "Delivered h": "Delivered hours", "Verified h": "Verified hours",
         "Missed h": "Missed hours"}


def test_commissioner_csv_totals_equal_the_page(make, live_server, page, tmp_path):
    w = make.world()
    third = make.provider(name="Third Way Care")
    third_contract = make.contract(funder=w.council, provider=third)
    third_worker = make.user(Role.CARE_WORKER, third)
    third_package = make.package(make.service_user(), contract=third_contract)
    monday, sunday = last_full_week()
    _delivered(make, w.package, w.worker, monday, 45)
    _delivered(make, w.package, w.worker, monday + timedelta(days=2), 50)
    _delivered(make, third_package, third_worker, monday + timedelta(days=1), 35)
    make.visit(third_package, start=clock.local_to_utc(monday + timedelta(days=3), time(9, 0)),
               minutes=30, workers=[third_worker])  # never visited
    make.commit()

    signed_in(page, live_server, w.commissioner)
    page.click("nav >> text=Overview")
    page.wait_for_url("**/overview")
    screenshot_sizes(page, "overview")
    table = page.locator("#hours-table")
    headers = table.locator("thead th").all_inner_texts()
    body = [r.locator("th, td").all_inner_texts() for r in table.locator("tbody tr").all()]
    foot = dict(zip(headers, table.locator("tfoot th, tfoot td").all_inner_texts(),
                    strict=True))
    assert sorted(r[0] for r in body) == ["Caring Hands", "Third Way Care"]

    with page.expect_download() as info:
        page.locator(".card:has(#hours-table) a:text('Download this table')").click()
    download = info.value
    assert download.suggested_filename == "providers-hours.csv"
    path = tmp_path / "hours.csv"
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    *providers, total = rows
    assert total["Provider"] == "All providers" == foot["Provider"]
    assert sorted(r["Provider"] for r in providers) == sorted(r[0] for r in body)
    by_name = {r[0]: dict(zip(headers, r, strict=True)) for r in body}
    for page_header, csv_header in HOURS.items():
        assert total[csv_header] == foot[page_header], page_header
        for row in providers:  # and each provider's line agrees with the page's row
            assert row[csv_header] == by_name[row["Provider"]][page_header], page_header
        # Rows are rounded one by one: they add up to the total within half a penny each.
        spread = sum(Decimal(r[csv_header]) for r in providers) - Decimal(total[csv_header])
        assert abs(spread) <= Decimal("0.005") * len(providers), page_header
    assert Decimal(foot["Delivered h"]) == Decimal("2.17")  # 130 minutes, rounded once


def test_manager_editing_the_url_to_another_providers_visit_gets_not_found(
        make, live_server, page):
    w = make.world()
    make.commit()
    signed_in(page, live_server, w.manager)
    own = page.goto(f"{live_server}/visits/{w.visit.id}")
    assert own.status == 200
    for path in (f"/visits/{w.other_visit.id}", f"/visits/{w.other_visit.id}/reassign",
                 f"/people/{w.other_person.id}"):
        response = page.goto(live_server + path)
        assert response.status == 404, path
        assert page.inner_text("h1") == "Not found", path
        assert w.other_person.name not in page.content()


def test_alerts_and_people_pages_screenshots(app, make, live_server, page):
    """Screenshots of the inbox (with an alert detection raised) and a person's page."""
    w = make.world()
    make.visit(w.package, start=clock.now() - timedelta(minutes=40), workers=[w.worker])
    make.commit()
    run_job(app, "detection", "browser-test")
    signed_in(page, live_server, w.manager)
    page.goto(f"{live_server}/alerts")
    expect(page.locator("main")).to_contain_text(w.person.name)
    screenshot_sizes(page, "alerts")
    page.goto(f"{live_server}/people/{w.person.id}")
    expect(page.locator("h1")).to_contain_text(w.person.name)
    screenshot_sizes(page, "people")
