"""The demo county in headless Chromium, as a newcomer meets it after `dev.py start`.

Each demo role signs in with the demo password and opens its landing page, every link of
its menu and every tab those pages offer; each page answers 200 with the county's data
on it and passes axe-core (no critical or serious violation). The same checks on a small
hand-made world are in test_accessibility_browser.py; this one runs them where the data
is realistic: a provider's whole day, a county's contracts, open alerts and returns.
"""
import pytest

from backend.demo.county import DEMO_PASSWORD
from tests.axe import check_accessibility
from tests.demo_county import built_county, read_only

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 768}
# Small, and built around the real clock: the live server shows today's board.
SMALL = dict(seed=11, scale=0.15, past_days=3, future_days=1)


@pytest.fixture(scope="module")
def county(app):
    """A small demo county, built once for this module's read-only page visits."""
    yield from built_county(app, **SMALL)


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Overrides conftest's emptying after each test: these tests only read the county."""
    yield from read_only(app)


def _visit_everything(page, base: str, username: str) -> list[str]:
    """Sign in, then open the landing page, the menu's links and their pages' tabs."""
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")
    check_accessibility(page, f"demo-{username}-home")
    menu = page.locator("nav[aria-label=Main] a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    seen: list[str] = []
    for path in dict.fromkeys(menu):
        for target in [path, *_tabs(page, base, path)]:
            if target in seen:
                continue
            response = page.goto(base + target)
            assert response.status == 200, (username, target, response.status)
            check_accessibility(page, f"demo-{username}-{len(seen):02d}")
            seen.append(target)
    return seen


def _tabs(page, base: str, path: str) -> list[str]:
    """The tab links a menu page carries (returns, feedback, set up)."""
    page.goto(base + path)
    return page.locator("nav.tabs a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")


def test_the_managers_pages_on_the_demo_county(county, live_server, page):
    seen = _visit_everything(page, live_server, "manager")
    assert {"/board", "/rota", "/alerts"} <= set(seen)
    page.goto(f"{live_server}/board")
    assert page.locator("#action-table, .counts").count() >= 1  # exceptions first


def test_the_commissioners_pages_on_the_demo_county(county, live_server, page):
    seen = _visit_everything(page, live_server, "commissioner")
    assert {"/one-view", "/overview", "/payment", "/outcomes"} <= set(seen)
    assert any(path.startswith("/national/") for path in seen)  # the returns' tabs


def test_the_admins_pages_on_the_demo_county(county, live_server, page):
    seen = _visit_everything(page, live_server, "admin")
    assert any(path.startswith("/admin/") for path in seen) and "/deliveries" in seen
