"""The care worker app when the database is briefly unavailable: the check-in answered
503 stays queued on the phone, is sent again when Retry-After says (not at the next
half-minute sweep), and is stored once.

The outage is real: another connection holds the lock the check-in needs (SQLite's
write lock, or the visit's row on PostgreSQL) past DATABASE_LOCK_TIMEOUT_SECONDS.
"""
import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import VisitEvent
from tests.test_carer_app import _read_queue, _sign_in, day, phone  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def short_lock_timeout(app, monkeypatch):
    monkeypatch.setitem(app.config, "DATABASE_LOCK_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setitem(app.config, "DATABASE_RETRY_AFTER_SECONDS", 2)
    db.engine.dispose()  # connections opened from now on take the short timeout
    yield
    monkeypatch.undo()
    db.engine.dispose()


def test_check_in_answered_503_stays_queued_and_is_sent_when_the_server_says(
        live_server, phone, day, short_lock_timeout, is_postgres):  # noqa: F811
    page = phone.new_page()
    page.goto(live_server + "/app/")
    _sign_in(page, day["worker"].username)
    page.get_by_role("heading", name="Today's visits").wait_for()
    page.locator(".visit.next a").click()

    blocker = db.engine.connect()
    try:
        if is_postgres:  # a long job holds the visit's row
            blocker.execute(sa.text("SELECT id FROM visits WHERE id = :id FOR UPDATE"),
                            {"id": day["first"].id})
        else:  # another connection holds SQLite's write lock
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
        page.get_by_role("button", name="Check in").click()
        page.locator("#event-result", has_text="the service is busy").wait_for()
        (item,) = _read_queue(page)
        assert item["status"] == "waiting" and item["retry_at"]
        assert "database" in item["last_error"]
    finally:
        blocker.rollback()
        blocker.close()
    # Sent again two seconds on (Retry-After), well before the 30-second sweep.
    page.locator("#event-result", has_text="Accepted").wait_for(timeout=8000)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent).where(
        VisitEvent.client_event_id == item["client_event_id"])) == 1
