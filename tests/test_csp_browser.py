"""The Content-Security-Policy allows what the pages really load: in Chromium, no page
reports a CSP violation (a blocked style, script, image or form), and the charts keep
their size without inline styles."""
from datetime import timedelta

import pytest

from backend.services.dates import clock
from tests.audit_support import attend
from tests.test_admin_browser import signed_in

pytestmark = pytest.mark.browser


def test_pages_load_nothing_the_policy_blocks(page, live_server, make):
    w = make.world()
    start = (clock.now() - timedelta(days=3)).replace(second=0, microsecond=0)
    attend(make.visit(w.package, start=start, workers=[w.worker]), w.worker, start, 25)
    make.commit()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    signed_in(page, live_server, w.manager)
    for path in ("/", "/board", "/rota", f"/people/{w.person.id}", f"/visits/{w.visit.id}",
                 "/alerts"):
        page.goto(live_server + path)
    signed_in_commissioner = page.context.browser.new_context().new_page()
    signed_in_commissioner.on("console", lambda message: violations.append(message.text)
                              if "Content Security Policy" in message.text else None)
    signed_in(signed_in_commissioner, live_server, w.commissioner)
    for path in ("/payment", "/outcomes", "/providers", "/feedback/satisfaction", "/overview"):
        signed_in_commissioner.goto(live_server + path)
    box = signed_in_commissioner.locator("svg.chart").first.bounding_box()
    assert box and 0 < box["width"] <= 1100  # sized by the stylesheet, within the page
    signed_in_commissioner.context.close()
    assert violations == []
