"""The quick path for the usual event: it answers and stores exactly what the full path
would, and leaves every other event to the full path with nothing written."""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from marshmallow import Schema, fields

from backend.models import (
    Alert, AlertKind, EventKind, EventMethod, Visit, VisitEvent, VisitStatus,
)
from backend.services.attendance import check_ins
from backend.services.dates import clock
from mobile_api.event_schemas import EventResultSchema
from mobile_api.plain_dump import plain_dumper
from mobile_api.visit_events import QUICK_RESULT
from tests.mobile_helpers import event_body, north_of_home

# The columns that differ between two events of the same kind on two visits.
_OWN = {"id", "visit_id", "client_event_id", "server_time"}
_STATE = ("status", "actual_start", "actual_end", "delivered_minutes", "location_verified",
          "flags", "review_pending")


@pytest.fixture
def past_visit(make):
    """A 20-minute visit that began 20 minutes ago: checked into at its start and out
    now, nothing is late, short or early, so nothing is left for monitoring."""
    def visit(world):
        package = make.package(make.service_user(), contract=world.contract)
        start = clock.now().replace(microsecond=0) - timedelta(minutes=20)
        return make.visit(package, start=start, minutes=20, workers=[world.worker])
    return visit


def _full_path_refused(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the full path was taken")
    monkeypatch.setattr(check_ins, "record", refuse)


def _attend(client, headers, visit, out_at=None):
    """Check in at the visit's planned start, then out (now); the two responses."""
    answers = []
    for step, device_time, extra in (("check-in", visit.planned_start, {}),
                                      ("check-out", out_at or clock.now(), {"note": "All well"})):
        response = client.post(f"/api/v1/visits/{visit.id}/{step}",
                               json=event_body(device_time, **extra), headers=headers())
        assert response.status_code == 201, response.json
        answers.append(response.json)
    return answers


def test_the_usual_check_in_and_out_take_the_quick_path(make, client, bearer, past_visit,
                                                        monkeypatch):
    world = make.world()
    visit = past_visit(world)
    make.commit()
    _full_path_refused(monkeypatch)
    check_in, check_out = _attend(client, lambda: bearer(world.worker), visit)
    assert check_in["result"] == "accepted" and check_in["visit"]["status"] == "in_progress"
    assert check_in["event"]["verified"] is True
    assert check_out["visit"] == {"id": str(visit.id), "status": "completed",
                                  "location_verified": True, "flags": ["clock_gap"]}
    db.session.expire_all()
    stored = db.session.get(Visit, visit.id)
    assert stored.status == VisitStatus.COMPLETED and stored.delivered_minutes == 20
    assert stored.review_pending is False
    assert {e.kind for e in stored.events} == {EventKind.CHECK_IN, EventKind.CHECK_OUT}


def test_quick_and_full_paths_store_and_answer_the_same(make, client, bearer, past_visit):
    world = make.world()
    quick, full = past_visit(world), past_visit(world)
    make.commit()
    out_at = clock.now()
    quick_answers = _attend(client, lambda: bearer(world.worker), quick, out_at)
    # An Idempotency-Key sends a request the full way.
    full_answers = _attend(client, lambda: {**bearer(world.worker),
                                            "Idempotency-Key": uuid.uuid4().hex}, full, out_at)
    for a, b in zip(quick_answers, full_answers, strict=True):
        for answer in (a, b):
            for name in ("id", "visit_id", "client_event_id", "server_time"):
                answer["event"].pop(name)
            answer["visit"].pop("id")
        assert a == b
    db.session.expire_all()
    visits = [db.session.get(Visit, v.id) for v in (quick, full)]
    assert [[getattr(v, name) for name in _STATE] for v in visits][0] == \
        [[getattr(v, name) for name in _STATE] for v in visits][1]
    events = [db.session.scalars(sa.select(VisitEvent).where(VisitEvent.visit_id == v.id)
                                 .order_by(VisitEvent.device_time)).all() for v in visits]
    columns = [c.key for c in VisitEvent.__table__.columns if c.key not in _OWN]
    assert [[getattr(e, c) for c in columns] for e in events[0]] == \
        [[getattr(e, c) for c in columns] for e in events[1]]


def test_unusual_events_go_the_full_way_with_nothing_written_twice(make, client, bearer):
    world = make.world()
    make.commit()
    headers = bearer(world.worker)
    url = f"/api/v1/visits/{world.visit.id}"
    far = north_of_home(2000)
    # Outside the fence: accepted and flagged, and the pin hint considered (full path).
    away = client.post(f"{url}/check-in", json=event_body(lat=far[0], lon=far[1]),
                       headers=headers)
    assert away.status_code == 201 and away.json["event"]["verified"] is False
    again = client.post(f"{url}/check-in", json=event_body(), headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_checked_in"
    # A check-out with tasks, straight away: a short call, and a task outcome to keep.
    task = world.visit.tasks[0]
    out = client.post(f"{url}/check-out", headers=headers, json=event_body(
        tasks=[{"task_id": str(task.id), "done": False, "reason": "Asleep"}]))
    assert out.status_code == 201, out.json
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent)) == 2
    stored = db.session.get(Visit, world.visit.id)
    assert stored.tasks[0].done is False and stored.tasks[0].not_done_reason == "Asleep"
    kinds = db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == stored.id)).all()
    assert {AlertKind.SHORT, AlertKind.LOCATION_UNVERIFIED} <= set(kinds)


def test_a_replay_of_a_quick_event_is_a_duplicate(make, client, bearer, past_visit):
    world = make.world()
    visit = past_visit(world)
    make.commit()
    body = event_body(visit.planned_start, client_event_id="tap-1")
    first = client.post(f"/api/v1/visits/{visit.id}/check-in", json=body,
                        headers=bearer(world.worker))
    replay = client.post(f"/api/v1/visits/{visit.id}/check-in", json=body,
                         headers=bearer(world.worker))
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json["result"] == "duplicate"
    assert replay.json["event"]["id"] == first.json["event"]["id"]


def test_the_plain_dump_is_the_schemas_dump():
    answer = {"result": "accepted",
              "event": {"id": uuid.uuid4(), "kind": EventKind.CHECK_OUT, "visit_id": uuid.uuid4(),
                        "device_time": clock.now(), "server_time": clock.now(), "lat": 52,
                        "lon": -0.9, "accuracy_m": None, "method": EventMethod.GPS,
                        "distance_m": 12.5, "verified": False, "device_id": "phone-1",
                        "flags": ["clock_gap", "location_not_verified"],
                        "client_event_id": None, "note": "not in the answer"},
              "visit": {"id": uuid.uuid4(), "status": VisitStatus.IN_PROGRESS,
                        "location_verified": None, "flags": []}}
    assert QUICK_RESULT(answer) == EventResultSchema().dump(answer)
    with pytest.raises(TypeError):  # a field it cannot dump plainly is refused when built
        plain_dumper(Schema.from_dict({"details": fields.Dict()})())


def _leave_early(client, headers, visit, minutes):
    for step, device_time in (("check-in", visit.planned_start),
                              ("check-out", visit.planned_end - timedelta(minutes=minutes))):
        response = client.post(f"/api/v1/visits/{visit.id}/{step}",
                               json=event_body(device_time), headers=headers)
        assert response.status_code == 201, response.json


def test_leaving_early_within_the_contracts_tolerance_stays_quick(make, client, bearer,
                                                                   past_visit, monkeypatch):
    world = make.world()
    visit = past_visit(world)
    make.commit()
    _full_path_refused(monkeypatch)
    _leave_early(client, bearer(world.worker), visit, minutes=5)  # the rule allows 15
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 0


def test_leaving_early_beyond_the_contracts_tolerance_raises_alerts(make, client, bearer,
                                                                     past_visit):
    world = make.world()
    for rule in world.contract.rules:
        rule.short_margin_min = rule.early_finish_min = 2
    visit = past_visit(world)
    make.commit()
    _leave_early(client, bearer(world.worker), visit, minutes=5)
    kinds = set(db.session.scalars(sa.select(Alert.kind).where(Alert.visit_id == visit.id)))
    assert kinds == {AlertKind.SHORT, AlertKind.EARLY_FINISH}
