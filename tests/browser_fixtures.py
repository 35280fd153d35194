"""Live server and headless Chromium fixtures for browser tests (shared by every page test).

Use them by marking a test `@pytest.mark.browser` and asking for `live_server` (the base
URL of the real app, served on a loopback port from a thread, on the test database) and
`page` (a fresh Playwright page in Debian's Chromium). Data made with the `make` fixture
must be committed (`make.commit()`) before the browser asks for it. Screenshots go to
test-artifacts/ (gitignored) through `screenshot(page, name)`.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def _server_thread(app):
    """The app served on 127.0.0.1 (a free port) for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_server(app, _server_thread):
    """Base URL of the running app, with CSRF protection on as in production."""
    saved = app.config.get("WTF_CSRF_ENABLED")
    app.config["WTF_CSRF_ENABLED"] = True
    yield _server_thread
    app.config["WTF_CSRF_ENABLED"] = saved


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (skipped only if Chromium is absent)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page (own cookies) with short timeouts so a broken page fails fast."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (never committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def tab_to(page, selector: str, max_presses: int = 80) -> None:
    """Press Tab until the element matching `selector` has focus: proves keyboard reach."""
    for _ in range(max_presses):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
