"""Idempotency-Key on the single-event endpoints."""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import IdempotencyRecord, VisitEvent
from tests.mobile_helpers import event_body


def test_same_key_and_body_replays_the_first_response(client, bearer, make):
    world = make.world()
    make.commit()
    url = f"/api/v1/visits/{world.visit.id}/check-in"
    headers = {**bearer(world.worker), "Idempotency-Key": "tap-1"}
    body = event_body(client_event_id=None, device_id=None)
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(VisitEvent.id))) == 1
    record = db.session.scalar(sa.select(IdempotencyRecord))
    assert record.user_id == world.worker.id and record.status_code == 201


def test_same_key_with_a_different_body_is_422(client, bearer, make):
    world = make.world()
    make.commit()
    url = f"/api/v1/visits/{world.visit.id}/check-in"
    headers = {**bearer(world.worker), "Idempotency-Key": "tap-2"}
    assert client.post(url, json=event_body(), headers=headers).status_code == 201
    response = client.post(url, json=event_body(accuracy_m=55.0), headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "idempotency_key_reused"
    assert db.session.scalar(sa.select(sa.func.count(VisitEvent.id))) == 1


def test_failed_request_does_not_use_up_the_key(client, bearer, make):
    world = make.world()
    make.commit()
    headers = {**bearer(world.worker), "Idempotency-Key": "tap-3"}
    out = client.post(f"/api/v1/visits/{world.visit.id}/check-out", json=event_body(),
                      headers=headers)
    assert out.status_code == 409  # not checked in yet; nothing remembered
    assert db.session.scalar(sa.select(sa.func.count(IdempotencyRecord.id))) == 0


def test_keys_belong_to_one_user(client, bearer, make):
    world = make.world()
    make.commit()
    body = event_body(client_event_id=None)
    mine = client.post(f"/api/v1/visits/{world.visit.id}/check-in", json=body,
                       headers={**bearer(world.worker), "Idempotency-Key": "k"})
    theirs = client.post(f"/api/v1/visits/{world.colleague_visit.id}/check-in", json=body,
                         headers={**bearer(world.other_worker), "Idempotency-Key": "k"})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json["event"]["id"] != theirs.json["event"]["id"]


def test_overlong_key_is_422(client, bearer, make):
    world = make.world()
    make.commit()
    response = client.post(f"/api/v1/visits/{world.visit.id}/check-in", json=event_body(),
                           headers={**bearer(world.worker), "Idempotency-Key": "k" * 201})
    assert response.status_code == 422
