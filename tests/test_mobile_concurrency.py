"""Many phones (or one phone retrying) checking in to the same visit at once."""
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import VisitEvent, VisitStatus
from backend.services.attendance import judging, visit_state
from backend.services.dates import clock
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


def test_double_up_check_ins_at_once_both_count(app, make, bearer, monkeypatch):
    """The second carer's check-in (the earlier arrival, sent from a phone that was
    offline) lands while the first is being judged: the visit's cached state must
    still count both (its events are read under the write lock)."""
    world = make.world()
    visit = make.visit(world.package, workers=[world.worker, world.other_worker],
                       start=clock.now().replace(second=0, microsecond=0) - timedelta(minutes=5),
                       carers_required=2)
    make.commit()
    second_arrived = clock.now().replace(microsecond=0) - timedelta(minutes=1)
    second_done, first_judged = threading.Event(), threading.Event()
    real_judge_event = judging.judge_event

    def judge_event_then_wait(worker_id, *args, **kwargs):
        event = real_judge_event(worker_id, *args, **kwargs)
        if worker_id == first_id:
            first_judged.set()
            second_done.wait(timeout=2)  # the second waits on the visit's lock
        return event

    first_id = world.worker.id
    monkeypatch.setattr(judging, "judge_event", judge_event_then_wait)
    url = f"/api/v1/visits/{visit.id}/check-in"
    statuses = []

    def send(worker, device_time, after=None):
        with app.app_context():
            if after is not None:
                after.wait(timeout=10)
            # The first phone reports a mock-location app: a flag the visit must carry.
            response = app.test_client().post(
                url, json=event_body(device_time, device_id=f"phone-{worker.id}",
                                     mock_location=worker.id == first_id),
                headers=bearer(worker))
            statuses.append(response.status_code)
            if worker.id != first_id:
                second_done.set()

    threads = [threading.Thread(target=send, args=(world.worker, clock.now())),
               threading.Thread(target=send, args=(world.other_worker, second_arrived,
                                                    first_judged))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [201, 201], statuses
    db.session.expire_all()
    stored = db.session.get(type(visit), visit.id)
    assert stored.status == VisitStatus.IN_PROGRESS
    assert stored.actual_start == second_arrived  # the earlier of the two arrivals
    assert "mock_location" in stored.flags  # the first check-in's, counted by the second
    assert visit_state.derive(stored).actual_start == second_arrived
