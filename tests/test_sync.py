"""Offline sync: exactly once, same answers on replay, window, skew and clock gap."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Contract, VisitEvent
from backend.services.dates import clock
from tests.mobile_helpers import sync_item


@pytest.fixture
def world(make):
    w = make.world()
    make.commit()
    return w


def sync(client, bearer, user, events, **extra):
    response = client.post("/api/v1/sync", json={"events": events, **extra},
                           headers=bearer(user))
    assert response.status_code == 200, response.json
    return response.json["results"]


def count_events() -> int:
    return db.session.scalar(sa.select(sa.func.count(VisitEvent.id)))


def test_batch_in_any_order_is_applied_once(client, bearer, world):
    now = clock.now()
    check_in = sync_item("check_in", world.visit, now - timedelta(hours=2))
    check_out = sync_item("check_out", world.visit, now - timedelta(hours=1, minutes=30),
                          note="Fine")
    results = sync(client, bearer, world.worker, [check_out, check_in])
    assert [r["result"] for r in results] == ["accepted", "accepted"]
    assert [r["client_event_id"] for r in results] == [check_out["client_event_id"],
                                                       check_in["client_event_id"]]
    assert results[0]["visit_status"] == results[1]["visit_status"] == "completed"
    assert count_events() == 2


def test_replay_and_overlap_change_nothing_and_answer_with_original_ids(client, bearer, world):
    now = clock.now()
    a = sync_item("check_in", world.visit, now - timedelta(hours=2))
    b = sync_item("check_out", world.visit, now - timedelta(hours=1))
    c = sync_item("no_access", world.colleague_visit, now - timedelta(minutes=30))
    first = sync(client, bearer, world.worker, [a, b, c])
    assert [r["result"] for r in first] == ["accepted", "accepted", "rejected"]
    assert first[2]["code"] == "not_found"  # a colleague's visit
    replay = sync(client, bearer, world.worker, [a, b, c])
    assert [r["result"] for r in replay] == ["duplicate", "duplicate", "rejected"]
    assert [r["event_id"] for r in replay] == [r["event_id"] for r in first]
    assert replay[2]["code"] == first[2]["code"]
    overlap = sync(client, bearer, world.worker, [b, b])
    assert [r["event_id"] for r in overlap] == [first[1]["event_id"]] * 2
    assert count_events() == 2


def test_check_out_synced_before_its_check_in_is_kept(client, bearer, world):
    now = clock.now()
    check_in = sync_item("check_in", world.visit, now - timedelta(hours=2))
    check_out = sync_item("check_out", world.visit, now - timedelta(hours=1))
    first = sync(client, bearer, world.worker, [check_out])
    assert first[0]["result"] == "accepted" and first[0]["visit_status"] == "scheduled"
    second = sync(client, bearer, world.worker, [check_in])
    assert second[0]["visit_status"] == "completed"
    db.session.expire_all()
    visit = db.session.get(type(world.visit), world.visit.id)
    assert visit.delivered_minutes == 60


def test_offline_window_from_the_contract(client, bearer, make, world):
    now = clock.now()
    old = sync_item("check_in", world.visit, now - timedelta(hours=30))
    results = sync(client, bearer, world.worker, [old])
    assert results[0]["result"] == "rejected"
    assert results[0]["code"] == "outside_offline_window" and "24-hour" in results[0]["message"]
    contract = db.session.get(Contract, world.contract.id)
    contract.offline_window_hours = 48
    make.commit()
    assert sync(client, bearer, world.worker, [old])[0]["result"] == "accepted"


def test_offline_window_never_exceeds_120_hours(client, bearer, make, world):
    contract = db.session.get(Contract, world.contract.id)
    contract.offline_window_hours = 500
    make.commit()
    item = sync_item("check_in", world.visit, clock.now() - timedelta(hours=121))
    assert sync(client, bearer, world.worker, [item])[0]["code"] == "outside_offline_window"


def test_future_device_time_beyond_skew_is_rejected(client, bearer, world):
    now = clock.now()
    ahead = sync_item("check_in", world.visit, now + timedelta(minutes=20))
    results = sync(client, bearer, world.worker, [ahead])
    assert results[0]["code"] == "device_time_in_future"
    slight = sync_item("check_in", world.visit, now + timedelta(minutes=2))
    assert sync(client, bearer, world.worker, [slight])[0]["result"] == "accepted"


def test_clock_gap_judged_from_the_phone_clock_at_send(client, bearer, world):
    now = clock.now()
    item = sync_item("check_in", world.visit, now - timedelta(hours=3))
    sent_at = (now - timedelta(minutes=9)).isoformat()  # phone clock 9 minutes slow
    results = sync(client, bearer, world.worker, [item], sent_at=sent_at)
    event = db.session.get(VisitEvent, __import__("uuid").UUID(results[0]["event_id"]))
    assert "clock_gap" in event.flags


def test_offline_hours_alone_are_not_a_clock_gap(client, bearer, world):
    now = clock.now()
    item = sync_item("check_in", world.visit, now - timedelta(hours=3))
    results = sync(client, bearer, world.worker, [item], sent_at=now.isoformat())
    event = db.session.get(VisitEvent, __import__("uuid").UUID(results[0]["event_id"]))
    assert "clock_gap" not in event.flags


def test_second_check_in_with_a_new_id_is_rejected_not_stored(client, bearer, world):
    now = clock.now()
    first = sync_item("check_in", world.visit, now - timedelta(hours=1))
    again = sync_item("check_in", world.visit, now - timedelta(minutes=50))
    results = sync(client, bearer, world.worker, [first, again])
    assert results[0]["result"] == "accepted"
    assert results[1]["result"] == "rejected" and results[1]["code"] == "already_recorded"
    assert count_events() == 1


def test_cancelled_visit_is_rejected_per_event(client, bearer, make, world):
    from backend.models import VisitStatus

    world.visit.status = VisitStatus.CANCELLED
    make.commit()
    item = sync_item("check_in", world.visit, clock.now())
    assert sync(client, bearer, world.worker, [item])[0]["code"] == "visit_cancelled"


def test_invalid_goal_rejects_only_that_event(client, bearer, make, world):
    import uuid

    now = clock.now()
    good = sync_item("check_in", world.visit, now - timedelta(hours=1))
    bad = sync_item("check_out", world.visit, now,
                    goal_progress=[{"goal_id": str(uuid.uuid4()), "score": 1}])
    results = sync(client, bearer, world.worker, [good, bad])
    assert [r["result"] for r in results] == ["accepted", "rejected"]
    assert results[1]["code"] == "invalid"
    assert count_events() == 1


def test_client_event_id_reused_for_another_event_is_rejected(client, bearer, world):
    now = clock.now()
    first = sync_item("check_in", world.visit, now - timedelta(hours=1))
    reused = sync_item("no_access", world.visit, now, client_event_id=first["client_event_id"])
    results = sync(client, bearer, world.worker, [first, reused])
    assert results[1]["code"] == "client_event_id_reused"


def test_results_carry_the_location_verdict_like_the_single_event_endpoints(
        client, bearer, world):
    from tests.mobile_helpers import north_of_home

    now = clock.now()
    far = north_of_home(900)
    check_in = sync_item("check_in", world.visit, now - timedelta(hours=1),
                         lat=far[0], lon=far[1], accuracy_m=10.0)
    check_out = sync_item("check_out", world.visit, now - timedelta(minutes=30))
    first = sync(client, bearer, world.worker, [check_in, check_out])
    assert first[0]["verified"] is False and 880 < first[0]["distance_m"] < 920
    assert "location_not_verified" in first[0]["flags"]
    assert first[1]["verified"] is True and first[1]["distance_m"] < 5
    assert "location_not_verified" not in first[1]["flags"]
    replay = sync(client, bearer, world.worker, [check_in, check_out])
    assert [r["result"] for r in replay] == ["duplicate", "duplicate"]
    assert [(r["distance_m"], r["verified"], r["flags"]) for r in replay] == \
        [(r["distance_m"], r["verified"], r["flags"]) for r in first]


def test_a_malformed_event_is_rejected_alone_and_the_rest_applied(client, bearer, world):
    now = clock.now()
    good = sync_item("check_in", world.visit, now - timedelta(hours=1))
    bad_lat = sync_item("check_out", world.visit, now, lat=123.0)
    no_kind = {k: v for k, v in sync_item("check_out", world.visit, now).items() if k != "kind"}
    results = sync(client, bearer, world.worker, [bad_lat, good, no_kind, 42])
    assert [r["result"] for r in results] == ["rejected", "accepted", "rejected", "rejected"]
    assert results[0]["client_event_id"] == bad_lat["client_event_id"]
    assert results[0]["code"] == "invalid" and "lat" in results[0]["fields"]
    assert results[2]["client_event_id"] == no_kind["client_event_id"]
    assert "kind" in results[2]["fields"]
    assert results[3]["client_event_id"] is None and results[3]["fields"]
    assert results[1]["visit_status"] == "in_progress"
    assert count_events() == 1


def test_nested_field_messages_of_a_malformed_event_name_the_item(client, bearer, world):
    bad = sync_item("check_out", world.visit, clock.now(),
                    tasks=[{"task_id": "not-a-uuid", "done": True}])
    [result] = sync(client, bearer, world.worker, [bad])
    assert result["result"] == "rejected"
    assert "task_id" in result["fields"]["tasks"]["0"]


@pytest.mark.parametrize("body, status", [
    ({"events": {"not": "a list"}}, 422),
    ({"events": "nope"}, 422),
    ({}, 422),
])
def test_a_batch_that_is_not_a_list_is_still_422(client, bearer, world, body, status):
    response = client.post("/api/v1/sync", json=body, headers=bearer(world.worker))
    assert response.status_code == status
    assert "events" in response.json["error"]["fields"]


def test_a_batch_over_the_count_limit_is_still_413_even_with_malformed_events(
        client, bearer, world):
    from backend.services.attendance.sync import MAX_BATCH_EVENTS

    now = clock.now()
    events = [sync_item("check_in", world.visit, now) for _ in range(MAX_BATCH_EVENTS)] + [7]
    response = client.post("/api/v1/sync", json={"events": events},
                           headers=bearer(world.worker))
    assert response.status_code == 413
    assert count_events() == 0
