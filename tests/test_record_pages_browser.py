"""The visit and person pages in Chromium (issue 19, point 4): every note, concern and
reason the carers sent; same-named carers told apart where one is shown or chosen; the
person's visit history, contacts and goals; axe-core clean."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.models import EventKind, Role
from backend.services.dates import clock
from backend.services.outcomes.goal_progress import record_progress
from tests.axe import check_accessibility
from tests.factories import Factory
from tests.monitoring_helpers import check_in, check_out, record
from tests.outcome_helpers import goal

pytestmark = pytest.mark.browser


def test_visit_and_person_pages_show_what_the_carers_said(make, live_server, page):
    w = make.world()
    twin = make.user(Role.CARE_WORKER, w.provider, display_name=w.worker.display_name,
                     staff_ref="CW-2")
    start = clock.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    double = make.visit(w.package, start=start, minutes=45, carers_required=2,
                        workers=[w.worker, twin])
    check_in(double, w.worker, start, details={"start_reason": "Came with the nurse"})
    check_in(double, twin, start + timedelta(minutes=2))
    check_out(double, w.worker, start + timedelta(minutes=45),
              note="Ate well; skin on left heel is red",
              details={"concern": {"flag": True, "text": "Red heel, pressure sore risk"}})
    check_out(double, twin, start + timedelta(minutes=45))
    shut = make.visit(w.package, start=start - timedelta(days=1), workers=[w.worker])
    record(shut, w.worker, EventKind.NO_ACCESS, shut.planned_start, reason_code="no_answer",
           note="Curtains closed, neighbour has not seen her")
    aim = goal(w.person)
    record_progress(aim, w.worker, 1, "Walked to the kitchen", visit=double)
    make.commit()

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/login")
    page.fill("#username", w.manager.username)
    page.fill("#password", Factory.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/visits/{double.id}")
    words = page.locator("#carers-words")
    expect(words).to_contain_text("Ate well; skin on left heel is red")
    expect(words).to_contain_text("Red heel, pressure sore risk")
    expect(words).to_contain_text("Came with the nurse")
    expect(words).to_contain_text(f"{w.worker.display_name} ({w.worker.username})")
    options = page.locator("#worker_id option").all_inner_texts()
    assert f"{w.worker.display_name} (CW-2)" in options
    assert f"{w.worker.display_name} ({w.worker.username})" in options
    check_accessibility(page, "visit-record-notes")

    page.goto(f"{live_server}/visits/{shut.id}")
    expect(page.locator("#carers-words")).to_contain_text("no answer")
    expect(page.locator("#carers-words")).to_contain_text(
        "Curtains closed, neighbour has not seen her")

    page.goto(f"{live_server}/people/{w.person.id}")
    history = page.locator("#visit-history")
    expect(history.locator("tbody tr")).to_have_count(4)  # the world's two, and these two
    expect(history).to_contain_text("(CW-2)")
    score = page.locator(".goal-history td", has_text="somewhat better than expected (+1)")
    expect(score).to_be_hidden()  # folded under its summary
    page.get_by_text("Every score recorded (1)").click()
    expect(score).to_be_visible()
    check_accessibility(page, "person-page")
