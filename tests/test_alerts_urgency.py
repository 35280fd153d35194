"""The alerts inbox (issue 19, point 2): open and acknowledged shown until resolved, most
urgent first, the carer named; the alert page emails link to; nothing clipped in Chromium
at 1366 px and at tablet width."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus, Priority, Role
from backend.services.dates import clock
from backend.services.monitoring.alerts import AlertFilter, list_alerts
from tests.axe import check_accessibility
from tests.factories import Factory


def _alert(visit, kind, minutes_ago, **kw):
    alert = Alert(visit_id=visit.id, kind=kind, detail=f"{kind.value} detail",
                  raised_at=clock.now() - timedelta(minutes=minutes_ago), **kw)
    db.session.add(alert)
    db.session.flush()
    return alert


def _inbox(make):
    w = make.world()
    critical = make.visit(w.package, workers=[w.worker], priority=Priority.CRITICAL,
                          start=w.visit.planned_start + timedelta(minutes=5))
    twin = make.user(Role.CARE_WORKER, w.provider, display_name=w.worker.display_name,
                     staff_ref="CW-7")
    double = make.visit(w.package, workers=[w.worker, twin], carers_required=2,
                        start=w.visit.planned_start + timedelta(minutes=10))
    alerts = {
        "late_old": _alert(w.visit, AlertKind.LATE, 50),
        "missed": _alert(w.colleague_visit, AlertKind.MISSED, 5),
        "critical_late": _alert(critical, AlertKind.LATE, 1),
        "acknowledged": _alert(double, AlertKind.NO_CHECKOUT, 30,
                               status=AlertStatus.ACKNOWLEDGED, acknowledge_note="On it",
                               acknowledged_at=clock.now()),
        "resolved": _alert(double, AlertKind.SHORT, 60, status=AlertStatus.RESOLVED,
                           resolution="Paid as delivered"),
    }
    return w, twin, alerts


def test_unresolved_alerts_in_urgency_order(make):
    w, _, a = _inbox(make)
    shown = list_alerts(w.manager, AlertFilter(unresolved_only=True, by_urgency=True))
    assert [x.id for x in shown] == [a["critical_late"].id, a["missed"].id, a["late_old"].id,
                                     a["acknowledged"].id]
    newest = list_alerts(w.manager, AlertFilter())  # the API's order is unchanged
    assert newest[0].id == a["critical_late"].id and newest[-1].id == a["resolved"].id


def test_inbox_keeps_acknowledged_names_carers_and_links_the_alert_page(make, client, auth):
    w, twin, a = _inbox(make)
    make.commit()
    auth.login(w.manager.username)
    page = client.get("/alerts").get_data(as_text=True)
    assert f"alert-{a['acknowledged'].id}" in page and f"alert-{a['resolved'].id}" not in page
    assert f"{w.worker.display_name} ({w.worker.username}), {w.worker.display_name} (CW-7)" \
        in page
    assert page.index(f"alert-{a['critical_late'].id}") < page.index(f"alert-{a['missed'].id}")
    detail = client.get(f"/alerts/{a['acknowledged'].id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "On it" in text and "(CW-7)" in text
    assert f"by {w.manager.display_name}" not in text  # nobody recorded as acknowledging
    client.post(f"/alerts/{a['missed'].id}/acknowledge", data={
        "note": "Rang the office", "next": f"/alerts/{a['missed'].id}"})
    text = client.get(f"/alerts/{a['missed'].id}").get_data(as_text=True)
    assert f"by {w.manager.display_name}: “Rang the office”" in text
    assert client.get(f"/alerts/{a['missed'].id}").status_code == 200
    foreign = _alert(w.other_visit, AlertKind.LATE, 1)
    make.commit()
    assert client.get(f"/alerts/{foreign.id}").status_code == 404


@pytest.mark.browser
def test_nothing_is_clipped_at_1366_and_at_tablet_width(make, live_server, page):
    w, _, a = _inbox(make)
    make.commit()
    page.goto(f"{live_server}/login")
    page.fill("#username", w.manager.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/")
    for name, viewport in {"1366": {"width": 1366, "height": 768},
                           "tablet": {"width": 768, "height": 1024}}.items():
        page.set_viewport_size(viewport)
        page.goto(f"{live_server}/alerts")
        expect(page.locator("tbody tr").first).to_have_id(f"alert-{a['critical_late'].id}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
        clipped = page.evaluate("""() => [...document.querySelectorAll(
            'main button, main td, main th, main a')].filter((e) => e.offsetParent !== null
            && (e.scrollWidth > e.clientWidth + 1
                || e.getBoundingClientRect().right > document.documentElement.clientWidth))
            .map((e) => e.textContent.trim().slice(0, 40))""")
        assert clipped == [], (name, clipped)
        for button in page.locator("main button").all():
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], name
        check_accessibility(page, f"alerts-{name}")
    page.get_by_role("link", name="missed", exact=True).click()
    page.wait_for_url(f"**/alerts/{a['missed'].id}")
    page.get_by_label("Note (who is dealing with it)").fill("Called the family")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("[data-status]").first).to_have_text("acknowledged")
    check_accessibility(page, "alert-detail-tablet")
