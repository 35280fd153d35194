"""Check-in, check-out and no-access: verification, flags, state rules and bad input."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Goal, GoalMeasure, GoalProgress, OutcomeDomain, VisitEvent, VisitTask
from backend.services.dates import clock
from tests.mobile_helpers import event_body, north_of_home


@pytest.fixture
def world(make):
    w = make.world()
    make.commit()
    return w


def post(client, bearer, user, visit, action, body, **headers):
    return client.post(f"/api/v1/visits/{visit.id}/{action}", json=body,
                       headers={**bearer(user), **headers})


def test_check_in_at_home_is_verified(client, bearer, world):
    response = post(client, bearer, world.worker, world.visit, "check-in", event_body())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["result"] == "accepted"
    assert body["event"]["kind"] == "check_in" and body["event"]["verified"] is True
    assert body["event"]["distance_m"] < 1
    assert body["event"]["device_time"] and body["event"]["server_time"]
    assert body["visit"]["status"] == "in_progress"
    assert db.session.scalar(sa.select(sa.func.count(VisitEvent.id))) == 1


def test_check_out_records_tasks_goals_and_concern(client, bearer, make, world):
    goal = Goal(service_user_id=world.person.id, description="Make own breakfast",
                domain=OutcomeDomain.FOOD_AND_DRINK, measure=GoalMeasure.GAS, baseline=-2,
                target=0)
    db.session.add(goal)
    make.commit()
    tasks = sorted(world.visit.tasks, key=lambda t: t.position)
    post(client, bearer, world.worker, world.visit, "check-in",
         event_body(clock.now() - timedelta(minutes=30)))
    response = post(client, bearer, world.worker, world.visit, "check-out", event_body(
        tasks=[{"task_id": str(tasks[0].id), "done": True},
               {"task_id": str(tasks[1].id), "done": False, "reason": "Not hungry"}],
        note="All well", goal_progress=[{"goal_id": str(goal.id), "score": -1, "note": "Tried"}],
        concern={"flag": True, "text": "Bruise on left arm"}))
    assert response.status_code == 201, response.json
    assert response.json["visit"]["status"] == "completed"
    db.session.expire_all()
    done = {t.description: (t.done, t.not_done_reason) for t in
            db.session.scalars(
                    sa.select(VisitTask).where(VisitTask.visit_id == world.visit.id))}
    assert done["Personal care"] == (True, None) and done["Breakfast"] == (False, "Not hungry")
    progress = db.session.scalar(sa.select(GoalProgress))
    assert progress.score == -1 and progress.visit_id == world.visit.id
    event = db.session.get(VisitEvent, progress.event_id)
    assert event.details["concern"] == {"flag": True, "text": "Bruise on left arm"}
    assert event.note == "All well"


def test_no_access_is_its_own_event(client, bearer, world):
    response = post(client, bearer, world.worker, world.visit, "no-access",
                    event_body(reason="refused", note="Said come back tomorrow"))
    assert response.status_code == 201, response.json
    assert response.json["visit"]["status"] == "no_access"
    assert db.session.scalar(sa.select(VisitEvent.reason_code)) == "refused"


def test_outside_the_fence_is_accepted_and_flagged(client, bearer, world):
    lat, lon = north_of_home(600)
    response = post(client, bearer, world.worker, world.visit, "check-in",
                    event_body(lat=lat, lon=lon, accuracy_m=20))
    assert response.status_code == 201
    event = response.json["event"]
    assert event["verified"] is False and "location_not_verified" in event["flags"]
    assert 590 < event["distance_m"] < 610
    assert response.json["visit"]["location_verified"] is False


@pytest.mark.parametrize("metres,accuracy,verified", [
    (250, 60, True), (250, 40, False), (280, 150, True), (350, 250, False)])
def test_accuracy_is_credited_up_to_the_contract_cap(client, bearer, world, metres, accuracy,
                                                     verified):
    # A 200 m fence; reported accuracy is credited up to the contract's 100 m cap, and
    # accuracy worse than the cap is flagged.
    lat, lon = north_of_home(metres)
    response = post(client, bearer, world.worker, world.visit, "check-in",
                    event_body(lat=lat, lon=lon, accuracy_m=accuracy))
    assert response.json["event"]["verified"] is verified
    assert ("poor_accuracy" in response.json["event"]["flags"]) is (accuracy > 100)


def test_person_radius_override_wins(client, bearer, make, world):
    world.person.geofence_radius_m = 700
    make.commit()
    lat, lon = north_of_home(600)
    response = post(client, bearer, world.worker, world.visit, "check-in",
                    event_body(lat=lat, lon=lon))
    assert response.json["event"]["verified"] is True


def test_geofence_off_records_distance_without_judging(client, bearer, make, world):
    world.person.geofence_off = True
    make.commit()
    lat, lon = north_of_home(5000)
    response = post(client, bearer, world.worker, world.visit, "check-in",
                    event_body(lat=lat, lon=lon))
    assert response.status_code == 201
    assert response.json["event"]["verified"] is None
    assert response.json["event"]["distance_m"] > 4900


def test_mock_location_and_missing_accuracy_are_flagged(client, bearer, world):
    response = post(client, bearer, world.worker, world.visit, "check-in",
                    event_body(mock_location=True, accuracy_m=None))
    assert response.status_code == 201
    assert {"mock_location", "poor_accuracy"} <= set(response.json["event"]["flags"])


def test_impossible_speed_between_consecutive_events_is_flagged(client, bearer, make, world):
    far_visit = make.visit(world.package, workers=[world.worker],
                           start=clock.now().replace(microsecond=0) + timedelta(hours=3))
    make.commit()
    now = clock.now()
    post(client, bearer, world.worker, world.visit, "check-in",
         event_body(now - timedelta(minutes=10)))
    lat, lon = north_of_home(50_000)  # 50 km in 10 minutes: 300 km/h
    response = post(client, bearer, world.worker, far_visit, "check-in",
                    event_body(now, lat=lat, lon=lon))
    assert response.status_code == 201
    assert "impossible_speed" in response.json["event"]["flags"]


def test_plausible_travel_is_not_flagged(client, bearer, make, world):
    other = make.visit(world.package, workers=[world.worker],
                       start=clock.now().replace(microsecond=0) + timedelta(hours=3))
    make.commit()
    now = clock.now()
    post(client, bearer, world.worker, world.visit, "check-in",
         event_body(now - timedelta(minutes=20)))
    lat, lon = north_of_home(10_000)  # 10 km in 20 minutes: 30 km/h
    response = post(client, bearer, world.worker, other, "check-in",
                    event_body(now, lat=lat, lon=lon))
    assert "impossible_speed" not in response.json["event"]["flags"]


def test_clock_gap_is_flagged(client, bearer, world):
    response = post(client, bearer, world.worker, world.visit, "check-in",
                    event_body(clock.now() - timedelta(minutes=12)))
    assert response.status_code == 201
    assert "clock_gap" in response.json["event"]["flags"]
    fresh = post(client, bearer, world.worker, world.colleague_visit, "check-in", event_body())
    assert fresh.status_code == 404  # not this worker's visit; no flag to check there


@pytest.mark.parametrize("first,second,code", [
    ("check-in", "check-in", "already_checked_in"),
    (None, "check-out", "not_checked_in"),
    ("check-in", "no-access", "already_checked_in"),
])
def test_out_of_order_events_conflict_with_a_reason(client, bearer, world, first, second, code):
    if first:
        assert post(client, bearer, world.worker, world.visit, first,
                    event_body()).status_code == 201
    body = event_body(reason="no_answer") if second == "no-access" else event_body()
    response = post(client, bearer, world.worker, world.visit, second, body)
    assert response.status_code == 409
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


def test_second_check_out_conflicts(client, bearer, world):
    post(client, bearer, world.worker, world.visit, "check-in", event_body())
    assert post(client, bearer, world.worker, world.visit, "check-out",
                event_body()).status_code == 201
    response = post(client, bearer, world.worker, world.visit, "check-out", event_body())
    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_checked_out"


def test_cancelled_visit_conflicts(client, bearer, make, world):
    from backend.models import VisitStatus

    world.visit.status = VisitStatus.CANCELLED
    make.commit()
    response = post(client, bearer, world.worker, world.visit, "check-in", event_body())
    assert response.status_code == 409
    assert response.json["error"]["code"] == "visit_cancelled"


def test_same_client_event_id_is_a_duplicate_not_a_second_event(client, bearer, world):
    body = event_body()
    first = post(client, bearer, world.worker, world.visit, "check-in", body)
    again = post(client, bearer, world.worker, world.visit, "check-in", body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["result"] == "duplicate"
    assert again.json["event"]["id"] == first.json["event"]["id"]
    assert db.session.scalar(sa.select(sa.func.count(VisitEvent.id))) == 1


@pytest.mark.parametrize("who", ["colleague", "foreign", "unknown"])
def test_other_workers_and_unknown_visits_are_not_found(client, bearer, world, who):
    import uuid

    visit_id = {"colleague": world.colleague_visit.id, "foreign": world.other_visit.id,
                "unknown": uuid.uuid4()}[who]
    response = client.post(f"/api/v1/visits/{visit_id}/check-in", json=event_body(),
                           headers=bearer(world.worker))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_too_old_and_future_device_times_are_refused(client, bearer, world):
    old = post(client, bearer, world.worker, world.visit, "check-in",
               event_body(clock.now() - timedelta(hours=25)))
    assert old.status_code == 422
    assert old.json["error"]["code"] == "outside_offline_window"
    future = post(client, bearer, world.worker, world.visit, "check-in",
                  event_body(clock.now() + timedelta(minutes=10)))
    assert future.status_code == 422
    assert future.json["error"]["code"] == "device_time_in_future"
    skewed = post(client, bearer, world.worker, world.visit, "check-in",
                  event_body(clock.now() + timedelta(minutes=3)))
    assert skewed.status_code == 201


def test_unknown_task_and_foreign_goal_are_invalid(client, bearer, make, world):
    import uuid

    post(client, bearer, world.worker, world.visit, "check-in", event_body())
    response = post(client, bearer, world.worker, world.visit, "check-out",
                    event_body(tasks=[{"task_id": str(uuid.uuid4()), "done": True}]))
    assert response.status_code == 422 and "tasks" in response.json["error"]["fields"]
    goal = Goal(service_user_id=world.other_person.id, description="Walk", target=1, baseline=0,
                domain=OutcomeDomain.OCCUPATION)
    db.session.add(goal)
    make.commit()
    response = post(client, bearer, world.worker, world.visit, "check-out",
                    event_body(goal_progress=[{"goal_id": str(goal.id), "score": 1}]))
    assert response.status_code == 422 and "goal_progress" in response.json["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count(VisitEvent.id))) == 1  # nothing half-kept


def test_goal_score_outside_measure_is_invalid(client, bearer, make, world):
    goal = Goal(service_user_id=world.person.id, description="Walk", target=1, baseline=0,
                domain=OutcomeDomain.OCCUPATION, measure=GoalMeasure.GAS)
    db.session.add(goal)
    make.commit()
    post(client, bearer, world.worker, world.visit, "check-in", event_body())
    response = post(client, bearer, world.worker, world.visit, "check-out",
                    event_body(goal_progress=[{"goal_id": str(goal.id), "score": 5}]))
    assert response.status_code == 422
    assert "goal_progress" in response.json["error"]["fields"]
