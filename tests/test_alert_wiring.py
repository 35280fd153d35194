"""A check-in through the API answers monitoring's alerts at once, not a minute later."""
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus
from backend.services import clock
from backend.services.monitoring import run_detection
from tests.mobile_helpers import event_body, sync_item


def test_check_in_resolves_the_late_alert(make, client, bearer):
    w = make.world()
    now = clock.now()
    late = make.visit(w.package, start=now - timedelta(minutes=20), workers=[w.worker])
    run_detection(now)
    make.commit()
    assert db.session.scalar(sa.select(Alert.status).where(
        Alert.visit_id == late.id, Alert.kind == AlertKind.LATE)) == AlertStatus.OPEN
    response = client.post(f"/api/v1/visits/{late.id}/check-in", json=event_body(),
                           headers=bearer(w.worker))
    assert response.status_code == 201
    db.session.expire_all()
    alert = db.session.scalar(sa.select(Alert).where(Alert.visit_id == late.id))
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None


def test_offline_check_in_after_missed_becomes_late_delivered(make, client, bearer):
    w = make.world()
    now = clock.now()
    visit = make.visit(w.package, start=now - timedelta(hours=2), minutes=30,
                       workers=[w.worker])
    run_detection(now)
    make.commit()
    kinds = set(db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == visit.id)))
    assert AlertKind.MISSED in kinds
    arrived = now - timedelta(minutes=50)
    response = client.post("/api/v1/sync", headers=bearer(w.worker), json={
        "events": [sync_item("check_in", visit, arrived)]})
    assert response.status_code == 200, response.json
    db.session.expire_all()
    missed = db.session.scalar(sa.select(Alert).where(
        Alert.visit_id == visit.id, Alert.kind == AlertKind.MISSED))
    assert missed.status == AlertStatus.RESOLVED and "late, delivered" in missed.resolution
