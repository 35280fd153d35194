"""The correction form on the visit page: codes required, what was typed kept, lock respected."""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import EventKind, VisitEvent
from backend.services.dates import clock


def test_correction_without_reason_is_refused_and_kept(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/visits/{w.visit.id}/corrections", data={
        "worker_id": str(w.worker.id), "corrected_start": "08:05", "reason_code": "",
        "resolution_code": "confirmed_by_rota", "note": "Carer rang from the house"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose why the record was wrong." in page
    assert "Carer rang from the house" in page and 'value="08:05"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent)) == 0


def test_correction_recorded_as_a_new_event(make, client, auth):
    w = make.world()
    # Yesterday's visit: the corrected times are in the past whatever the hour now.
    morning = clock.now().astimezone(clock.zone()).replace(hour=8, minute=0, second=0,
                                                           microsecond=0) - timedelta(days=1)
    visit = make.visit(w.package, start=morning, workers=[w.worker])
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/visits/{visit.id}/corrections", data={
        "worker_id": str(w.worker.id), "corrected_start": "08:05", "corrected_end": "08:35",
        "reason_code": "forgot_to_check_in", "resolution_code": "confirmed_by_service_user"},
        follow_redirects=True)
    assert "Correction recorded" in response.get_data(as_text=True)
    event = db.session.scalar(sa.select(VisitEvent))
    assert event.kind == EventKind.CORRECTION and event.recorded_by_id == w.manager.id
    assert event.reason_code == "forgot_to_check_in"


def test_locked_visit_refused_for_manager_with_reason(make, client, auth):
    w = make.world()
    old = make.visit(w.package, start=datetime(2026, 1, 5, 9, tzinfo=UTC), workers=[w.worker])
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/visits/{old.id}/corrections", data={
        "worker_id": str(w.worker.id), "corrected_end": "09:30",
        "reason_code": "forgot_to_check_out", "resolution_code": "confirmed_by_rota"})
    assert response.status_code == 403
    assert "lock" in response.get_data(as_text=True).lower()


def test_foreign_visit_correction_is_not_found(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/visits/{w.other_visit.id}/corrections", data={
        "worker_id": str(w.foreign_worker.id), "reason_code": "carer_error",
        "resolution_code": "confirmed_by_rota"})
    assert response.status_code == 404
