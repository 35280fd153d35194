"""Corrections: appended events with codes; managers until the lock, then commissioners."""
from datetime import UTC, datetime, timedelta

import pytest

from backend.errors import Conflict, Forbidden, Invalid
from backend.extensions import db
from backend.models import EventKind, Role, VisitEvent, VisitStatus
from backend.services.dates import clock
from backend.services.attendance.corrections import correct_visit
from tests.audit_support import attend

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def w(make):
    return make.world()


@pytest.fixture
def visit(make, w):
    return attend(make.visit(w.package, start=START, minutes=45, workers=[w.worker]),
                  w.worker, START, 28, verified=False)


def events_of(visit):
    return db.session.scalars(db.select(VisitEvent).where(VisitEvent.visit_id == visit.id)
                              .order_by(VisitEvent.server_time)).all()


def test_correction_is_appended_and_originals_stay(w, visit):
    originals = [(e.id, e.kind, e.device_time) for e in events_of(visit)]
    event = correct_visit(visit, w.worker, w.manager, None, START + timedelta(minutes=45),
                          "phone_failure", "confirmed_by_service_user", "Phone died",
                          now=START + timedelta(days=1))
    after = events_of(visit)
    assert [(e.id, e.kind, e.device_time) for e in after[:2]] == originals
    assert event.kind == EventKind.CORRECTION and event.worker_id == w.worker.id
    assert event.recorded_by_id == w.manager.id
    assert (event.reason_code, event.resolution_code) == ("phone_failure",
                                                          "confirmed_by_service_user")
    assert event.details == {"minutes_before": 28, "minutes_after": 45}
    assert event.corrects_event_id == originals[1][0]
    assert visit.delivered_minutes == 45 and visit.location_verified is False


def test_location_accepted_makes_the_visit_verified(w, visit):
    correct_visit(visit, w.worker, w.manager, None, None, "home_pin_wrong",
                  "location_accepted", now=START + timedelta(days=1))
    assert visit.location_verified is True and visit.delivered_minutes == 28


def test_not_delivered_counts_nothing_delivered_until_times_are_confirmed(w, visit):
    """The carer's 28 minutes are struck out by a "not delivered" correction (a location
    accepted afterwards changes nothing); a later correction on other evidence counts."""
    struck = correct_visit(visit, w.worker, w.manager, None, START + timedelta(minutes=28),
                           "wrong_visit", "not_delivered", now=START + timedelta(days=1))
    assert struck.details == {"minutes_before": 28, "minutes_after": 0}
    assert (visit.delivered_seconds, visit.delivered_minutes) == (0, 0)
    correct_visit(visit, w.worker, w.manager, None, None, "home_pin_wrong",
                  "location_accepted", now=START + timedelta(days=1, hours=1))
    assert visit.delivered_minutes == 0 and visit.location_verified is True
    back = correct_visit(visit, w.worker, w.manager, None, START + timedelta(minutes=40),
                         "carer_error", "confirmed_by_carer_timesheet",
                         now=START + timedelta(days=2))
    assert back.details == {"minutes_before": 0, "minutes_after": 40}
    assert visit.delivered_minutes == 40


def test_forgot_to_check_in_completes_a_missed_visit(make, w):
    missed = make.visit(w.package, start=START, minutes=30, status=VisitStatus.MISSED)
    correct_visit(missed, w.worker, w.manager, START, START + timedelta(minutes=30),
                  "forgot_to_check_in", "confirmed_by_carer_timesheet",
                  now=START + timedelta(hours=3))
    assert missed.status == VisitStatus.COMPLETED and missed.delivered_minutes == 30


def test_manager_may_not_correct_a_locked_visit_but_the_funder_may(w, visit):
    locked = visit.planned_end + timedelta(days=w.contract.lock_after_days, minutes=1)
    with pytest.raises(Forbidden) as refused:
        correct_visit(visit, w.worker, w.manager, None, START + timedelta(minutes=40),
                      "carer_error", "confirmed_by_rota", now=locked)
    assert refused.value.code == "visit_locked" and "commissioner" in refused.value.message
    for user in (w.commissioner, w.admin):
        correct_visit(visit, w.worker, user, None, START + timedelta(minutes=40),
                      "carer_error", "confirmed_by_rota", now=locked)
    assert visit.delivered_minutes == 40


@pytest.mark.parametrize("reason, resolution", [
    ("", "confirmed_by_rota"), ("phone_failure", ""), ("because", "confirmed_by_rota"),
    ("phone_failure", "trust_me"),
])
def test_codes_are_required_and_from_the_lists(w, visit, reason, resolution):
    with pytest.raises(Invalid) as refused:
        correct_visit(visit, w.worker, w.manager, None, START + timedelta(minutes=40),
                      reason, resolution, now=START + timedelta(days=1))
    assert set(refused.value.fields) <= {"reason_code", "resolution_code"}


def test_end_before_start_is_refused(w, visit):
    with pytest.raises(Invalid):
        correct_visit(visit, w.worker, w.manager, START, START - timedelta(minutes=1),
                      "carer_error", "confirmed_by_rota", now=START + timedelta(days=1))
    with pytest.raises(Invalid):  # before the worker's recorded check-in
        correct_visit(visit, w.worker, w.manager, None, START - timedelta(minutes=5),
                      "carer_error", "confirmed_by_rota", now=START + timedelta(days=1))


def test_worker_must_belong_to_the_provider(w, visit):
    with pytest.raises(Invalid):
        correct_visit(visit, w.foreign_worker, w.manager, START, None, "wrong_visit",
                      "confirmed_by_rota", now=START + timedelta(days=1))


def test_cancelled_visits_are_not_corrected(make, w):
    cancelled = make.visit(w.package, start=START, status=VisitStatus.CANCELLED)
    with pytest.raises(Conflict):
        correct_visit(cancelled, w.worker, w.manager, START, None, "carer_error",
                      "confirmed_by_rota", now=START + timedelta(days=1))


def _post(client, bearer, user, visit_id, **body):
    body.setdefault("reason_code", "phone_failure")
    body.setdefault("resolution_code", "confirmed_by_service_user")
    return client.post(f"/api/v1/visits/{visit_id}/corrections", json=body,
                       headers=bearer(user))


def test_api_correction_and_access(client, bearer, make, w):
    start = clock.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    visit = attend(make.visit(w.package, start=start, minutes=45, workers=[w.worker]),
                   w.worker, start, 28)
    make.commit()
    worker = str(w.worker.id)
    end = (start + timedelta(minutes=45)).isoformat()
    ok = _post(client, bearer, w.manager, visit.id, worker_id=worker, corrected_end=end)
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["details"] == {"minutes_before": 28, "minutes_after": 45}
    assert _post(client, bearer, w.commissioner, visit.id, worker_id=worker,
                 corrected_end=end).status_code == 201
    for user, status in ((w.worker, 403), (w.panel, 403), (w.other_manager, 404),
                         (w.nhs_commissioner, 404)):
        assert _post(client, bearer, user, visit.id, worker_id=worker,
                     corrected_end=end).status_code == status, user.role
    bad = _post(client, bearer, w.manager, visit.id, worker_id=worker,
                corrected_start=end, corrected_end=start.isoformat())
    assert bad.status_code == 422 and "corrected_end" in bad.get_json()["error"]["fields"]
    missing = client.post(f"/api/v1/visits/{visit.id}/corrections", json={"worker_id": worker},
                          headers=bearer(w.manager))
    assert missing.status_code == 422
    assert {"reason_code", "resolution_code"} <= set(missing.get_json()["error"]["fields"])
    naive = _post(client, bearer, w.manager, visit.id, worker_id=worker,
                  corrected_end="2026-03-02T09:45:00")
    assert naive.status_code == 422
    assert _post(client, bearer, w.manager, "not-a-uuid", worker_id=worker).status_code == 404
    assert w.manager.role == Role.PROVIDER_MANAGER
