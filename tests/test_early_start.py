"""Early and out-of-order check-ins (issue 19, point 3): judged by the attendance
pipeline against the contract's early check-in time, the carer's reason kept, and the
manager told on the board and the visit page; the carer's app warns and asks why."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import Role, Visit, VisitEvent
from backend.services.dates import clock
from backend.services.monitoring.board_exceptions import day_board
from tests.axe import check_accessibility
from tests.factories import HOME, Factory
from tests.mobile_helpers import event_body, sync_item


def _check_in(client, bearer, worker, visit, **fields):
    return client.post(f"/api/v1/visits/{visit.id}/check-in", json=event_body(**fields),
                       headers=bearer(worker))


def test_a_check_in_hours_early_is_an_early_start_with_its_reason(make, client, bearer, auth):
    w = make.world()
    later = make.visit(w.package, start=clock.now().replace(microsecond=0)
                       + timedelta(hours=5, minutes=20), workers=[w.worker])
    make.commit()
    response = _check_in(client, bearer, w.worker, later,
                         start_reason="The family asked me to come before the GP")
    assert response.status_code == 201, response.json
    assert "early_start" in response.json["visit"]["flags"]
    event = db.session.scalar(sa.select(VisitEvent).where(VisitEvent.visit_id == later.id))
    assert event.details["start_reason"] == "The family asked me to come before the GP"
    db.session.expire_all()
    assert "early_start" in db.session.get(Visit, later.id).flags

    board = day_board(w.manager, later.local_date)
    early = [e for e in board.exceptions if e.visit.id == later.id]
    assert [e.kind for e in early] == ["early or out-of-order start"]
    auth.login(w.manager.username)
    page = client.get(f"/visits/{later.id}").get_data(as_text=True)
    assert 'id="early-start"' in page and "more than 60 minutes before" in page
    assert "The family asked me to come before the GP" in page


def test_the_contract_sets_how_early_is_early(make, client, bearer):
    w = make.world()
    w.contract.early_checkin_warn_min = 120
    soon = make.visit(w.package, start=clock.now().replace(microsecond=0)
                      + timedelta(minutes=90), workers=[w.worker])
    make.commit()
    response = _check_in(client, bearer, w.worker, soon)
    assert response.status_code == 201
    assert "early_start" not in response.json["visit"]["flags"]
    rota = client.get("/api/v1/me/rota", headers=bearer(w.worker)).json
    assert {v["early_checkin_warn_min"] for v in rota["visits"]} == {120}


def test_an_early_check_in_sent_offline_is_flagged_too(make, client, bearer):
    w = make.world()
    later = make.visit(w.package, start=clock.now().replace(microsecond=0)
                       + timedelta(hours=3), workers=[w.worker])
    make.commit()
    item = sync_item("check_in", later, clock.now() - timedelta(minutes=10),
                     start_reason="Swapped with Sam", out_of_order=True)
    response = client.post("/api/v1/sync", json={"events": [item]}, headers=bearer(w.worker))
    assert response.status_code == 200, response.json
    assert response.json["results"][0]["result"] == "accepted"
    event = db.session.scalar(sa.select(VisitEvent).where(VisitEvent.visit_id == later.id))
    assert {"early_start", "out_of_order"} <= set(event.flags)
    assert event.details["start_reason"] == "Swapped with Sam"


def test_a_start_reason_is_limited_in_length(make, client, bearer):
    w = make.world()
    make.commit()
    response = _check_in(client, bearer, w.worker, w.visit, start_reason="x" * 301)
    assert response.status_code == 422
    assert "start_reason" in response.json["error"]["fields"]


@pytest.mark.browser
def test_the_carer_app_warns_before_an_early_or_out_of_order_check_in(make, live_server,
                                                                       browser):
    provider = make.provider(name="Caring Hands")
    contract = make.contract(provider=provider)
    worker = make.user(Role.CARE_WORKER, provider, display_name="Grace Hopper")
    first = make.service_user(first_name="Ada", last_name="Lovelace")
    second = make.service_user(first_name="Alan", last_name="Turing")
    now = clock.now().replace(second=0, microsecond=0)
    make.visit(make.package(first, contract=contract), start=now + timedelta(minutes=75),
               workers=[worker])
    later = make.visit(make.package(second, contract=contract), start=now + timedelta(hours=2),
                       workers=[worker])
    if later.local_date != clock.today():
        pytest.skip("the visits would fall on tomorrow's rota this late in the day")
    make.commit()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
        locale="en-GB", timezone_id="Europe/London", bypass_csp=True,
        geolocation={"latitude": HOME[0], "longitude": HOME[1], "accuracy": 15},
        permissions=["geolocation"])
    context.set_default_timeout(10000)
    page = context.new_page()
    try:
        page.goto(live_server + "/app/")
        page.get_by_label("Username").fill(worker.username)
        page.get_by_label("Password").fill(Factory.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("a.visit-link", has_text="Alan Turing").click()
        page.get_by_role("button", name="Check in").click()
        page.get_by_role("heading", name="Check in now?").wait_for()
        warning = page.locator(".notice").inner_text()
        assert "h 5" in warning or "2 h from now" in warning  # 1 h 59 min when slow
        assert "not your next visit" in warning and "Ada Lovelace" in warning
        check_accessibility(page, "carer-early-check-in")
        page.get_by_role("button", name="Check in anyway").click()
        expect(page.locator("#form-error")).to_have_text("Say why you are checking in now.")
        page.get_by_label("Why are you checking in now?").fill("Ada is at the day centre")
        page.get_by_role("button", name="Check in anyway").click()
        page.locator("#event-result", has_text="Accepted").wait_for()
    finally:
        context.close()
    db.session.rollback()
    event = db.session.scalar(sa.select(VisitEvent).where(VisitEvent.visit_id == later.id))
    assert {"early_start", "out_of_order"} <= set(event.flags)
    assert event.details["start_reason"] == "Ada is at the day centre"
