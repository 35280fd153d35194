"""Many phones (or one phone retrying) checking in to the same visit at once."""
import threading
import uuid

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import VisitEvent
from tests.mobile_helpers import event_body

THREADS = 12


def test_concurrent_check_ins_store_one_event(app, make, bearer, is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so there is no race")
    world = make.world()
    make.commit()
    headers = bearer(world.worker)
    url = f"/api/v1/visits/{world.visit.id}/check-in"
    retried = event_body(client_event_id="tap-1")  # half the threads resend one tap
    bodies = [retried if n % 2 else event_body(client_event_id=uuid.uuid4().hex)
              for n in range(THREADS)]
    statuses, errors = [], []
    start = threading.Barrier(THREADS)

    def send(body):
        try:
            with app.app_context():
                client = app.test_client()
                start.wait()
                response = client.post(url, json=body, headers=headers)
                statuses.append((response.status_code, response.json))
        except Exception as exc:  # noqa: BLE001 - a lost request fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(statuses) == THREADS
    codes = sorted(code for code, _ in statuses)
    assert all(code in (200, 201, 409) for code in codes), statuses
    assert codes.count(201) == 1
    stored = db.session.scalars(sa.select(VisitEvent)).all()
    assert len(stored) == 1
    for code, body in statuses:
        if code == 200:
            assert body["event"]["id"] == str(stored[0].id)
        if code == 409:
            assert body["error"]["code"] in ("already_checked_in", "already_recorded")
