"""Authorisation matrix for the visit-event, sync and pin-suggestion endpoints."""
import uuid

import pytest

from backend.models import PinSuggestion, Role
from backend.services.dates import clock
from tests.mobile_helpers import event_body, sync_item

ACTIONS = ["check-in", "check-out", "no-access"]
WHO = {  # role -> World attribute
    Role.CARE_WORKER: "worker", Role.PROVIDER_MANAGER: "manager",
    Role.COMMISSIONER: "commissioner", Role.PANEL_MEMBER: "panel", Role.ADMIN: "admin",
}


def _body(action):
    return event_body(reason="no_answer") if action == "no-access" else event_body()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target", ["own", "colleague", "foreign", "unknown"])
@pytest.mark.parametrize("role", list(Role))
def test_visit_event_matrix(client, bearer, make, role, target, action):
    world = make.world()
    make.commit()
    visit_id = {"own": world.visit.id, "colleague": world.colleague_visit.id,
                "foreign": world.other_visit.id, "unknown": uuid.uuid4()}[target]
    if action == "check-out" and target == "own" and role == Role.CARE_WORKER:
        client.post(f"/api/v1/visits/{visit_id}/check-in", json=event_body(),
                    headers=bearer(world.worker))
    user = getattr(world, WHO[role])
    response = client.post(f"/api/v1/visits/{visit_id}/{action}", json=_body(action),
                           headers=bearer(user))
    if role != Role.CARE_WORKER:
        expected = 403  # only care workers attend visits (an admin reads, never attends)
    else:
        expected = 201 if target == "own" else 404
    assert response.status_code == expected, response.json


def test_visit_events_need_a_token(client, make):
    world = make.world()
    make.commit()
    response = client.post(f"/api/v1/visits/{world.visit.id}/check-in", json=event_body())
    assert response.status_code == 401


@pytest.mark.parametrize("role", list(Role))
def test_sync_matrix(client, bearer, make, role):
    world = make.world()
    make.commit()
    now = clock.now()
    items = [sync_item("check_in", world.visit, now), sync_item("check_in", world.other_visit, now),
             sync_item("check_in", world.colleague_visit, now)]
    response = client.post("/api/v1/sync", json={"events": items},
                           headers=bearer(getattr(world, WHO[role])))
    if role != Role.CARE_WORKER:
        assert response.status_code == 403
        return
    results = response.json["results"]
    assert results[0]["result"] == "accepted"
    assert [r["code"] for r in results[1:]] == ["not_found", "not_found"]


@pytest.mark.parametrize("decision", ["accept", "reject"])
@pytest.mark.parametrize("role,target,expected", [
    (Role.PROVIDER_MANAGER, "own", 200), (Role.PROVIDER_MANAGER, "foreign", 404),
    (Role.PROVIDER_MANAGER, "unknown", 404), (Role.ADMIN, "own", 200),
    (Role.CARE_WORKER, "own", 403), (Role.COMMISSIONER, "own", 403),
    (Role.PANEL_MEMBER, "own", 403),
])
def test_pin_suggestion_matrix(client, bearer, make, role, target, expected, decision):
    world = make.world()
    own = PinSuggestion(service_user_id=world.person.id, lat=52.2415, lon=-0.9027,
                        evidence_events=3, evidence_workers=2)
    foreign = PinSuggestion(service_user_id=world.other_person.id, lat=52.2415, lon=-0.9027,
                            evidence_events=3, evidence_workers=2)
    from backend.extensions import db

    db.session.add_all([own, foreign])
    make.commit()
    suggestion_id = {"own": own.id, "foreign": foreign.id, "unknown": uuid.uuid4()}[target]
    response = client.post(f"/api/v1/pin-suggestions/{suggestion_id}/{decision}",
                           headers=bearer(getattr(world, WHO[role])))
    assert response.status_code == expected, response.json
