"""The one attendance pipeline: what every way in has in common, and the record errors it
fixed (a mocked location that verified, a concern that raised nothing, corrections that
kept no minutes, a body parsed before the caller was known)."""
import ast
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    Alert, AlertKind, AlertStatus, Channel, EventKind, Notification, PinSuggestion, Role, Visit,
    VisitEvent, VisitStatus,
)
from backend.services.attendance import corrections
from backend.services.dates import clock
from tests.mobile_helpers import event_body, north_of_home, sync_item

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(make):
    world = make.world()
    make.commit()
    return world


def _post(client, bearer, user, visit, action, body):
    return client.post(f"/api/v1/visits/{visit.id}/{action}", json=body, headers=bearer(user))


def _past_visit(make, world, minutes=20):
    """A visit of `minutes` that began `minutes` ago, for the worker."""
    start = clock.now().replace(microsecond=0) - timedelta(minutes=minutes)
    return make.visit(world.package, start=start, minutes=minutes, workers=[world.worker])


def test_a_mocked_location_at_the_home_never_verifies(client, bearer, world):
    """The phone says a mock-location app is on: the location proves nothing, so the
    check-in is accepted, flagged and not verified, and the visit is not "in the home"."""
    response = _post(client, bearer, world.worker, world.visit, "check-in",
                     event_body(mock_location=True))
    assert response.status_code == 201, response.json
    assert response.json["event"]["verified"] is False
    assert {"mock_location", "location_not_verified"} <= set(response.json["event"]["flags"])
    assert response.json["visit"]["location_verified"] is False
    db.session.expire_all()
    assert db.session.get(Visit, world.visit.id).location_verified is False


def test_mocked_check_ins_are_no_evidence_for_a_pin_correction(client, bearer, make, world):
    """Mocked check-ins away from the home do not make a pin suggestion (real ones would)."""
    far = north_of_home(400)
    for hours in range(1, 5):
        visit = make.visit(world.package, workers=[world.worker],
                           start=clock.now().replace(microsecond=0) - timedelta(hours=hours))
        make.commit()
        response = _post(client, bearer, world.worker, visit, "check-in", event_body(
            visit.planned_start, lat=far[0], lon=far[1], mock_location=True))
        assert response.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PinSuggestion)) == 0


def test_a_concern_at_check_out_raises_an_urgent_alert_to_the_managers(client, bearer, make,
                                                                        world):
    visit = _past_visit(make, world)
    make.commit()
    _post(client, bearer, world.worker, visit, "check-in", event_body(visit.planned_start))
    response = _post(client, bearer, world.worker, visit, "check-out", event_body(
        concern={"flag": True, "text": "Bruise on left arm"}))
    assert response.status_code == 201, response.json
    alert = db.session.scalar(sa.select(Alert).where(Alert.visit_id == visit.id,
                                                     Alert.kind == AlertKind.CONCERN))
    assert alert is not None and alert.status == AlertStatus.OPEN
    assert "Bruise on left arm" in alert.detail
    told = set(db.session.scalars(sa.select(Notification.recipient_user_id).where(
        Notification.alert_id == alert.id, Notification.channel == Channel.INBOX)))
    assert told == {world.manager.id}


def test_a_check_out_without_a_concern_raises_none(client, bearer, make, world):
    visit = _past_visit(make, world)
    make.commit()
    _post(client, bearer, world.worker, visit, "check-in", event_body(visit.planned_start))
    _post(client, bearer, world.worker, visit, "check-out", event_body(note="All well"))
    assert db.session.scalar(sa.select(Alert.id).where(Alert.kind == AlertKind.CONCERN)) is None


def test_a_concern_synced_offline_raises_the_alert_too(client, bearer, make, world):
    visit = _past_visit(make, world)
    make.commit()
    response = client.post("/api/v1/sync", headers=bearer(world.worker), json={"events": [
        sync_item("check_in", visit, visit.planned_start),
        sync_item("check_out", visit, clock.now(), concern={"flag": True, "text": "Fell"})]})
    assert response.status_code == 200, response.json
    assert [r["result"] for r in response.json["results"]] == ["accepted", "accepted"]
    assert db.session.scalar(sa.select(Alert.kind).where(Alert.visit_id == visit.id,
                                                         Alert.kind == AlertKind.CONCERN))


def test_a_correction_goes_through_the_pipeline(client, bearer, make, world):
    """A correction keeps the worker's minutes before and after it, rewrites the visit's
    state and is reacted to at once: the late alert its start answers is resolved."""
    visit = _past_visit(make, world, minutes=30)
    make.commit()
    late_in = visit.planned_start + timedelta(minutes=20)
    _post(client, bearer, world.worker, visit, "check-in", event_body(late_in))
    _post(client, bearer, world.worker, visit, "check-out", event_body(clock.now()))
    event = corrections.correct_visit(
        db.session.get(Visit, visit.id), world.worker, world.manager,
        corrected_start=visit.planned_start, corrected_end=None,
        reason_code="forgot_to_check_in", resolution_code="confirmed_by_rota")
    db.session.commit()
    assert event.details["minutes_before"] == 10 and event.details["minutes_after"] == 30
    stored = db.session.get(Visit, visit.id)
    assert stored.actual_start == visit.planned_start and stored.delivered_minutes == 30
    assert stored.review_pending is False


def test_an_anonymous_caller_with_a_bad_body_is_told_to_sign_in(app, client):
    """Every endpoint that needs a token answers 401 before it reads the body or query."""
    public = {"/api/v1/auth/sign-in", "/api/v1/auth/refresh", "/api/v1/auth/sign-out",
              "/api/v1/health", "/api/v1/openapi.json",
              "/api/v1/account/password"}  # the one-time link's secret is the credential
    checked = 0
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/api/v1/") or path in public or "feedback-links/<code>" in path:
            continue
        url = path
        for name in rule.arguments:
            url = url.replace(f"<uuid:{name}>", "00000000-0000-4000-8000-000000000000")
            url = url.replace(f"<{name}>", "x")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url + "?limit=not-a-number&date=nonsense", method=method,
                                   data="{not json", content_type="application/json")
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json["error"]["code"] in ("unauthorized", "invalid_token")
            checked += 1
    assert checked > 20


def test_only_the_event_log_writes_visit_events():
    """The event log is appended by event_log.append alone: no other module builds a
    VisitEvent or inserts into its table."""
    offenders = []
    for folder in ("backend", "mobile_api", "web_admin"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "event_log.py" or "models" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "VisitEvent"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} VisitEvent(...)")
                if isinstance(node, ast.Call) and any(
                        isinstance(arg, ast.Attribute) and arg.attr == "__table__"
                        and isinstance(arg.value, ast.Name) and arg.value.id == "VisitEvent"
                        for arg in node.args) and getattr(node.func, "attr", getattr(
                            node.func, "id", "")) in ("insert_rows", "insert", "insert_many"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} insert")
    assert offenders == []


def test_unusual_events_take_the_same_path_with_nothing_written_twice(client, bearer, world):
    url = f"/api/v1/visits/{world.visit.id}"
    far = north_of_home(2000)
    away = client.post(f"{url}/check-in", json=event_body(lat=far[0], lon=far[1]),
                       headers=bearer(world.worker))
    assert away.status_code == 201 and away.json["event"]["verified"] is False
    again = client.post(f"{url}/check-in", json=event_body(), headers=bearer(world.worker))
    assert again.status_code == 409 and again.json["error"]["code"] == "already_checked_in"
    task = world.visit.tasks[0]
    out = client.post(f"{url}/check-out", headers=bearer(world.worker), json=event_body(
        tasks=[{"task_id": str(task.id), "done": False, "reason": "Asleep"}]))
    assert out.status_code == 201, out.json
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent)) == 2
    stored = db.session.get(Visit, world.visit.id)
    assert stored.tasks[0].done is False and stored.tasks[0].not_done_reason == "Asleep"
    kinds = set(db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == stored.id)))
    assert {AlertKind.SHORT, AlertKind.LOCATION_UNVERIFIED} <= kinds


def test_a_replay_answers_duplicate_with_the_first_event(client, bearer, make, world):
    visit = _past_visit(make, world)
    make.commit()
    body = event_body(visit.planned_start, client_event_id="tap-1")
    first = _post(client, bearer, world.worker, visit, "check-in", body)
    replay = _post(client, bearer, world.worker, visit, "check-in", body)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json["result"] == "duplicate"
    assert replay.json["event"]["id"] == first.json["event"]["id"]
    assert replay.json["visit"]["status"] == VisitStatus.IN_PROGRESS.value


@pytest.mark.parametrize("margin, raised", [(15, set()), (2, {AlertKind.SHORT,
                                                              AlertKind.EARLY_FINISH})])
def test_leaving_early_is_judged_by_the_contracts_tolerance(client, bearer, make, world,
                                                            margin, raised):
    for rule in world.contract.rules:
        rule.short_margin_min = rule.early_finish_min = margin
    start = clock.now().replace(microsecond=0) - timedelta(minutes=15)
    visit = make.visit(world.package, start=start, minutes=20, workers=[world.worker])
    make.commit()
    _post(client, bearer, world.worker, visit, "check-in", event_body(start))
    _post(client, bearer, world.worker, visit, "check-out", event_body(clock.now()))
    kinds = set(db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == visit.id)))
    assert kinds == raised


def test_only_care_workers_record_attendance(client, bearer, world):
    response = _post(client, bearer, world.admin, world.visit, "check-in", event_body())
    assert response.status_code == 403
    assert world.admin.role == Role.ADMIN
    assert db.session.scalar(sa.select(VisitEvent.id).where(
        VisitEvent.kind == EventKind.CHECK_IN)) is None


@pytest.mark.parametrize("contract_minutes, waited, escalated", [
    (None, 59, False), (None, 61, True), (10, 11, True)])
def test_an_unacknowledged_concern_goes_to_the_funder(client, bearer, make, world,
                                                     contract_minutes, waited, escalated):
    """Escalated to the funder's commissioners once no manager has acknowledged it within
    the contract's concern time (60 minutes unless the contract says otherwise)."""
    from backend.services.monitoring.monitor import run_detection

    if contract_minutes is not None:
        world.contract.concern_escalate_after_min = contract_minutes
    visit = _past_visit(make, world)
    make.commit()
    _post(client, bearer, world.worker, visit, "check-in", event_body(visit.planned_start))
    _post(client, bearer, world.worker, visit, "check-out", event_body(
        concern={"flag": True, "text": "Not eating"}))
    alert = db.session.scalar(sa.select(Alert).where(Alert.kind == AlertKind.CONCERN))
    run_detection(alert.raised_at + timedelta(minutes=waited))
    db.session.commit()
    db.session.refresh(alert)
    assert (alert.escalated_at is not None) is escalated
    told = set(db.session.scalars(sa.select(Notification.recipient_user_id).where(
        Notification.alert_id == alert.id, Notification.channel == Channel.INBOX)))
    assert (world.commissioner.id in told) is escalated


def test_a_concern_shows_on_the_visit_person_and_alerts_pages(client, bearer, make, world,
                                                               auth):
    visit = _past_visit(make, world)
    make.commit()
    _post(client, bearer, world.worker, visit, "check-in", event_body(visit.planned_start))
    _post(client, bearer, world.worker, visit, "check-out", event_body(
        concern={"flag": True, "text": "Smell of gas in the kitchen"}))
    auth.login(world.manager.username)
    for url in (f"/visits/{visit.id}", f"/people/{world.person.id}", "/alerts"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Smell of gas in the kitchen" in page.get_data(as_text=True), url
