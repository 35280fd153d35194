"""A check-in through the API answers monitoring's alerts at once, not a minute later."""
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus
from backend.services.dates import clock
from backend.services.monitoring.monitor import run_detection
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


def _alert_kinds(visit) -> set:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == visit.id)))


def _attend(client, bearer, worker, visit, arrived, left, **check_in_fields):
    response = client.post("/api/v1/sync", headers=bearer(worker), json={"events": [
        sync_item("check_in", visit, arrived, **check_in_fields),
        sync_item("check_out", visit, left)]})
    assert [r["result"] for r in response.json["results"]] == ["accepted", "accepted"]


def test_a_visit_delivered_as_planned_raises_nothing(make, client, bearer):
    w = make.world()
    now = clock.now()
    visit = make.visit(w.package, start=now - timedelta(minutes=30), minutes=30,
                       workers=[w.worker])
    make.commit()
    _attend(client, bearer, w.worker, visit, now - timedelta(minutes=29), now)
    assert _alert_kinds(visit) == set()


def test_short_call_and_early_finish_are_raised_at_check_out(make, client, bearer):
    w = make.world()
    now = clock.now()
    visit = make.visit(w.package, start=now - timedelta(minutes=40), minutes=60,
                       workers=[w.worker])
    make.commit()
    _attend(client, bearer, w.worker, visit, now - timedelta(minutes=40), now)
    assert _alert_kinds(visit) == {AlertKind.SHORT, AlertKind.EARLY_FINISH}


def test_the_contracts_tighter_tolerances_decide_at_check_out(make, client, bearer):
    from backend.models import MonitoringRule, Priority

    w = make.world()
    now = clock.now()
    visits = [make.visit(w.package, start=now - timedelta(minutes=14, seconds=n), minutes=15,
                         workers=[w.worker]) for n in range(2)]
    make.commit()
    # Within the default tolerances (15 minutes each): nothing to raise.
    _attend(client, bearer, w.worker, visits[0], now - timedelta(minutes=14),
            now - timedelta(minutes=4))
    assert _alert_kinds(visits[0]) == set()
    rule = db.session.scalar(sa.select(MonitoringRule).where(
        MonitoringRule.contract_id == w.contract.id, MonitoringRule.priority == Priority.NORMAL))
    if rule is None:
        rule = MonitoringRule(contract_id=w.contract.id, priority=Priority.NORMAL)
        db.session.add(rule)
    rule.short_margin_min, rule.early_finish_min = 0, 2
    make.commit()
    _attend(client, bearer, w.worker, visits[1], now - timedelta(minutes=14),
            now - timedelta(minutes=4))
    assert _alert_kinds(visits[1]) == {AlertKind.SHORT, AlertKind.EARLY_FINISH}


def test_check_in_outside_the_fence_raises_location_unverified_at_once(make, client, bearer):
    from tests.mobile_helpers import north_of_home

    w = make.world()
    now = clock.now()
    visit = make.visit(w.package, start=now, minutes=30, workers=[w.worker])
    make.commit()
    lat, lon = north_of_home(2000)
    response = client.post(f"/api/v1/visits/{visit.id}/check-in",
                           json=event_body(lat=lat, lon=lon), headers=bearer(w.worker))
    assert response.status_code == 201 and response.json["event"]["verified"] is False
    assert _alert_kinds(visit) == {AlertKind.LOCATION_UNVERIFIED}
