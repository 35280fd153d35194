"""Giving feedback in a real browser, with the keyboard only."""
import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Feedback
from backend.services.feedback.links import issue_link
from tests.browser_fixtures import screenshot, tab_to
from tests.factories import Factory

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    tab_to(page, "#username")
    page.keyboard.type(username)
    tab_to(page, "#password")
    page.keyboard.type(Factory.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def _choose(page, group: str, downs: int = 0) -> None:
    """Tab into a radio group, pick its first answer with Space, then move down with arrows."""
    tab_to(page, f"input[name={group}]")
    page.keyboard.press("Space")
    for _ in range(downs):
        page.keyboard.press("ArrowDown")


def test_panel_member_gives_feedback_with_the_keyboard_only(make, live_server, page):
    w = make.world()
    make.commit()
    _sign_in(page, live_server, w.panel.username)

    tab_to(page, "nav a[href='/feedback/new']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/feedback/new")

    # First try: the provider chosen, comments typed, but no overall answer.
    tab_to(page, "#provider_id")
    page.keyboard.press("ArrowDown")  # the first provider (the only one this council funds)
    tab_to(page, "#free_text")
    page.keyboard.type("Carers are kind. The morning visit is often late.")
    tab_to(page, "button[type=submit].primary")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    assert "Choose one answer, from Very satisfied (5) to Very dissatisfied (1)." in \
        page.inner_text(".error-summary")
    # Focus moves to the summary, so a screen reader reads it and Tab goes to its links.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.input_value("#free_text") == "Carers are kind. The morning visit is often late."
    screenshot(page, "feedback-form-errors")

    # The summary links to the question; then answer everything by keyboard.
    tab_to(page, ".error-summary a[href='#overall']")
    _choose(page, "overall", downs=1)       # Very satisfied -> Satisfied (4)
    _choose(page, "reliability", downs=3)   # -> Dissatisfied (2)
    for group in ("consistency", "dignity", "involvement", "safety"):
        _choose(page, group)                # Very satisfied (5)
    tab_to(page, "button[type=submit].primary")
    page.keyboard.press("Enter")

    page.wait_for_url("**/feedback/received")
    heading = page.inner_text("h1")
    assert "your feedback has been received" in heading
    screenshot(page, "feedback-received")
    db.session.expire_all()
    row = db.session.scalar(sa.select(Feedback))
    assert row.reference in page.inner_text(".reference")
    assert (row.overall, row.reliability, row.consistency, row.safety) == (4, 2, 5, 5)
    assert row.submitted_by_id == w.panel.id and row.provider_id == w.provider.id
    assert row.free_text == "Carers are kind. The morning visit is often late."


def test_one_time_link_works_once_in_the_browser(make, live_server, page):
    w = make.world()
    issued = issue_link(w.commissioner, w.provider.id)
    make.commit()
    page.goto(f"{live_server}/feedback/code")
    tab_to(page, "#code")
    page.keyboard.type(issued.display_code.lower())
    page.keyboard.press("Enter")
    page.wait_for_selector("text=This feedback is about:")
    form_url = page.url
    _choose(page, "overall")
    tab_to(page, "button[type=submit].primary")
    page.keyboard.press("Enter")
    page.wait_for_url("**/feedback/thank-you")
    assert "received" in page.inner_text("h1")

    page.goto(form_url)
    assert "cannot be used" in page.inner_text("h1")
    assert "already been used" in page.inner_text("main")
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Feedback)).all()
    assert len(rows) == 1 and rows[0].submitted_by_id is None and rows[0].overall == 5
