"""Bad input to the visit-event and sync endpoints: 400, 413 and 422, never a 500."""
import pytest

from tests.mobile_helpers import event_body, sync_item


@pytest.fixture
def world(make):
    w = make.world()
    make.commit()
    return w


def check_in(client, bearer, world, **kw):
    return client.post(f"/api/v1/visits/{world.visit.id}/check-in", headers=bearer(world.worker),
                       **kw)


def test_malformed_json_is_400_in_our_shape(client, bearer, world):
    response = check_in(client, bearer, world, data='{"device_time": ',
                        content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert "JSON" in response.json["error"]["message"]


@pytest.mark.parametrize("fields,bad_field", [
    ({"lat": 91.0}, "lat"), ({"lat": -90.5}, "lat"), ({"lon": 180.1}, "lon"),
    ({"lon": -200}, "lon"), ({"accuracy_m": -1}, "accuracy_m"), ({"method": "telepathy"}, "method"),
    ({"lat": "north"}, "lat"), ({"mock_location": "perhaps"}, "mock_location"),
    ({"device_time": "2026-11-23T10:00:00"}, "device_time"),
    ({"device_time": "9999-12-31T23:59:59-23:00"}, "device_time"),
    ({"device_time": "yesterday"}, "device_time"), ({"device_time": ...}, "device_time"),
    ({"method": "manual"}, "manual_reason"), ({"lon": ...}, "lon"),
    ({"client_event_id": "x" * 101}, "client_event_id"), ({"device_id": "a\x00b"}, "device_id"),
    ({"surprise": 1}, "surprise"),
])
def test_invalid_fields_are_422_naming_the_field(client, bearer, world, fields, bad_field):
    response = check_in(client, bearer, world, json=event_body(**fields))
    assert response.status_code == 422, response.json
    assert bad_field in response.json["error"]["fields"]


def test_manual_with_reason_is_accepted(client, bearer, world):
    response = check_in(client, bearer, world, json=event_body(
        method="manual", manual_reason="Phone GPS broken", lat=None, lon=None))
    assert response.status_code == 201
    assert "no_location" in response.json["event"]["flags"]


@pytest.mark.parametrize("payload", [[], 42, "text", None])
def test_body_that_is_not_an_object_is_rejected(client, bearer, world, payload):
    response = check_in(client, bearer, world, json=payload)
    assert response.status_code in (400, 422)


def test_check_out_task_without_reason_is_422(client, bearer, world):
    task = world.visit.tasks[0]
    response = client.post(f"/api/v1/visits/{world.visit.id}/check-out",
                           headers=bearer(world.worker),
                           json=event_body(tasks=[{"task_id": str(task.id), "done": False}]))
    assert response.status_code == 422
    assert "tasks" in response.json["error"]["fields"]


def test_no_access_needs_a_known_reason(client, bearer, world):
    response = client.post(f"/api/v1/visits/{world.visit.id}/no-access",
                           headers=bearer(world.worker), json=event_body(reason="aliens"))
    assert response.status_code == 422 and "reason" in response.json["error"]["fields"]


def test_oversized_body_is_413(client, bearer, world):
    response = check_in(client, bearer, world, json=event_body(padding="x" * 300_000))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"


def test_sync_batch_over_the_limit_is_413(client, bearer, world):
    from backend.services.dates import clock

    events = [sync_item("check_in", world.visit, clock.now()) for _ in range(201)]
    response = client.post("/api/v1/sync", headers=bearer(world.worker),
                           json={"events": events})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "batch_too_large"


def test_sync_invalid_event_is_rejected_alone_naming_its_field(client, bearer, world):
    from backend.services.dates import clock

    good = sync_item("check_in", world.visit, clock.now())
    bad = sync_item("check_out", world.visit, clock.now(), lat=100.0)
    response = client.post("/api/v1/sync", headers=bearer(world.worker),
                           json={"events": [good, bad]})
    assert response.status_code == 200
    accepted, rejected = response.json["results"]
    assert accepted["result"] == "accepted"
    assert rejected["result"] == "rejected" and "lat" in rejected["fields"]


def test_unparseable_visit_id_is_404(client, bearer, world):
    response = client.post("/api/v1/visits/not-a-uuid/check-in", headers=bearer(world.worker),
                           json=event_body())
    assert response.status_code == 404
