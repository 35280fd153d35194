"""A care worker's rota on the phone: own visits only, local days, everything needed offline."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    EventKind,
    Goal,
    GoalMeasure,
    GoalProgress,
    GoalStatus,
    OutcomeDomain,
    Role,
    VisitEvent,
    VisitStatus,
)
from backend.services.dates import clock

ROTA = "/api/v1/me/rota"
DAY = date(2026, 3, 10)  # a Tuesday in GMT


def at(day: date, hhmm: str):
    """The UTC instant of a local wall-clock time."""
    hour, minute = map(int, hhmm.split(":"))
    return clock.local_to_utc(day, time(hour, minute))


def rota(client, bearer, user, day: date | str | None = None):
    query = f"?date={day}" if day else ""
    return client.get(ROTA + query, headers=bearer(user))


def check_in(visit, worker, when):
    db.session.add(VisitEvent(visit_id=visit.id, worker_id=worker.id, recorded_by_id=worker.id,
                              kind=EventKind.CHECK_IN, device_time=when, server_time=when))


def goal(person, description, status=GoalStatus.ACTIVE, measure=GoalMeasure.GAS):
    row = Goal(service_user_id=person.id, description=description,
               domain=OutcomeDomain.PERSONAL_CARE, measure=measure, baseline=-1, target=0,
               status=status)
    db.session.add(row)
    db.session.flush()
    return row


def test_only_own_visits_of_the_day_in_planned_order(make, client, bearer):
    world = make.world()
    late = make.visit(world.package, start=at(DAY, "18:00"), workers=[world.worker])
    early = make.visit(world.package, start=at(DAY, "07:30"), workers=[world.worker])
    make.visit(world.package, start=at(DAY + timedelta(days=1), "07:30"), workers=[world.worker])
    make.visit(world.package, start=at(DAY, "12:00"), workers=[world.other_worker])
    make.visit(world.other_package, start=at(DAY, "12:00"), workers=[world.foreign_worker])
    make.commit()

    response = rota(client, bearer, world.worker, DAY)
    assert response.status_code == 200
    assert response.json["date"] == "2026-03-10"
    assert response.json["time_zone"] == "Europe/London"
    assert [v["id"] for v in response.json["visits"]] == [str(early.id), str(late.id)]
    assert response.json["visits"][0]["planned_start"] == "2026-03-10T07:30:00+00:00"


def test_default_day_is_today_in_local_time(make, client, bearer):
    world = make.world()
    make.commit()
    ids = [v["id"] for v in rota(client, bearer, world.worker).json["visits"]]
    assert str(world.visit.id) in ids
    assert str(world.other_visit.id) not in ids and str(world.colleague_visit.id) not in ids
    assert rota(client, bearer, world.worker).json["date"] == clock.today().isoformat()


def test_local_day_boundaries_across_the_autumn_clock_change(make, client, bearer):
    change_day = date(2026, 10, 25)  # clocks go back at 02:00 BST
    worker = make.user(Role.CARE_WORKER)
    package = make.package()
    just_after_midnight = make.visit(package, start=at(change_day, "00:30"), workers=[worker])
    late_evening = make.visit(package, start=at(change_day, "23:30"), workers=[worker])
    make.visit(package, start=at(change_day + timedelta(days=1), "00:30"), workers=[worker])
    make.commit()
    # 00:30 BST is 23:30 UTC the day before: a UTC day would file it under the 24th.
    assert just_after_midnight.planned_start.date() == date(2026, 10, 24)

    visits = rota(client, bearer, worker, change_day).json["visits"]
    assert [v["id"] for v in visits] == [str(just_after_midnight.id), str(late_evening.id)]
    assert visits[0]["planned_start"] == "2026-10-25T00:30:00+01:00"
    assert visits[1]["planned_start"] == "2026-10-25T23:30:00+00:00"
    assert rota(client, bearer, worker, date(2026, 10, 24)).json["visits"] == []


def test_double_up_names_the_co_worker(make, client, bearer):
    world = make.world()
    world.worker.display_name, world.other_worker.display_name = "Ada Carer", "Ben Carer"
    double = make.visit(world.package, start=at(DAY, "09:00"), workers=[world.worker,
                                                                       world.other_worker],
                        carers_required=2)
    single = make.visit(world.package, start=at(DAY, "12:00"), workers=[world.worker])
    make.commit()
    mine = {v["id"]: v for v in rota(client, bearer, world.worker, DAY).json["visits"]}
    assert mine[str(double.id)]["co_workers"] == ["Ben Carer"]
    assert mine[str(double.id)]["carers_required"] == 2
    assert mine[str(single.id)]["co_workers"] == []
    theirs = rota(client, bearer, world.other_worker, DAY).json["visits"]
    assert [v["co_workers"] for v in theirs] == [["Ada Carer"]]


def test_visit_carries_person_home_tasks_goals_and_my_attendance(make, client, bearer):
    world = make.world()
    person = world.person
    person.access_notes, person.geofence_radius_m = "Key safe 1234, side door", 350
    visit = make.visit(world.package, start=at(DAY, "09:00"), minutes=45,
                       workers=[world.worker, world.other_worker], tasks=("Wash", "Lunch"))
    walking = goal(person, "Walk to the shop")
    make.visit(world.package, start=at(DAY, "08:00"), workers=[world.other_worker])
    for score, minutes in ((-2, 0), (-1, 60)):
        db.session.add(GoalProgress(goal_id=walking.id, recorded_by_id=world.worker.id,
                                    recorded_at=at(DAY - timedelta(days=1), "09:00")
                                    + timedelta(minutes=minutes), score=score))
    goal(person, "Cook again", measure=GoalMeasure.SCALE_10)
    goal(person, "Old goal", status=GoalStatus.DISCONTINUED)
    goal(world.other_person, "Someone else's goal")
    check_in(visit, world.other_worker, at(DAY, "09:01"))  # the co-worker's, not mine
    make.commit()

    [entry] = rota(client, bearer, world.worker, DAY).json["visits"]
    assert entry["duration_min"] == 45 and entry["status"] == "scheduled"
    assert entry["priority"] == "normal"
    assert entry["planned_end"] == "2026-03-10T09:45:00+00:00"
    assert entry["service_user"] == {"id": str(person.id), "name": person.name,
                                     "address": person.address, "postcode": person.postcode,
                                     "access_notes": "Key safe 1234, side door",
                                     "contact_name": None, "contact_phone": None}
    assert entry["home"] == {"lat": person.home_lat, "lon": person.home_lon,
                             "geofence_radius_m": 350, "geofence_off": False}
    assert [(t["description"], t["done"]) for t in entry["tasks"]] == [("Wash", None),
                                                                      ("Lunch", None)]
    goals = {g["description"]: g for g in entry["goals"]}
    assert set(goals) == {"Walk to the shop", "Cook again"}
    assert (goals["Walk to the shop"]["latest_score"], goals["Walk to the shop"]["scale_min"],
            goals["Walk to the shop"]["scale_max"]) == (-1, -2, 2)
    assert (goals["Cook again"]["latest_score"], goals["Cook again"]["scale_max"]) == (None, 10)
    assert entry["checked_in"] is False and entry["checked_in_at"] is None

    check_in(visit, world.worker, at(DAY, "09:03"))
    make.commit()
    [entry] = rota(client, bearer, world.worker, DAY).json["visits"]
    assert entry["checked_in"] is True and entry["checked_out"] is False
    assert entry["checked_in_at"] == "2026-03-10T09:03:00+00:00"


@pytest.mark.parametrize("override, off, expected", [(None, False, 200), (75, False, 75),
                                                      (75, True, None)])
def test_geofence_in_effect(make, client, bearer, override, off, expected):
    world = make.world()
    world.person.geofence_radius_m, world.person.geofence_off = override, off
    make.commit()
    [entry] = [v for v in rota(client, bearer, world.worker).json["visits"]
               if v["id"] == str(world.visit.id)]
    assert entry["home"]["geofence_radius_m"] == expected
    assert entry["home"]["geofence_off"] is off


def test_cancelled_visits_stay_on_the_rota_marked_cancelled(make, client, bearer):
    world = make.world()
    make.visit(world.package, start=at(DAY, "09:00"), workers=[world.worker],
               status=VisitStatus.CANCELLED, cancel_reason="In hospital")
    make.commit()
    assert [v["status"] for v in rota(client, bearer, world.worker, DAY).json["visits"]] == \
        ["cancelled"]


@pytest.mark.parametrize("bad", ["2026-02-30", "tomorrow", "10/03/2026", "2026-3-1x", ""])
def test_bad_date_is_422_naming_the_field(make, client, bearer, bad):
    worker = make.user(Role.CARE_WORKER)
    make.commit()
    response = client.get(f"{ROTA}?date={bad}", headers=bearer(worker))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert list(response.json["error"]["fields"]) == ["date"]


@pytest.mark.parametrize("role", [Role.PROVIDER_MANAGER, Role.COMMISSIONER, Role.PANEL_MEMBER,
                                  Role.ADMIN])
def test_only_care_workers_have_a_rota(make, client, bearer, role):
    world = make.world()
    user = {Role.PROVIDER_MANAGER: world.manager, Role.COMMISSIONER: world.commissioner,
            Role.PANEL_MEMBER: world.panel, Role.ADMIN: world.admin}[role]
    make.commit()
    response = rota(client, bearer, user, DAY)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_rota_needs_a_token_before_anything_else(client):
    response = client.get(f"{ROTA}?date=nonsense")
    assert response.status_code == 401


@pytest.mark.parametrize("role", list(Role))
def test_me_answers_for_every_role(make, client, bearer, role):
    world = make.world()
    user = {Role.CARE_WORKER: world.worker, Role.PROVIDER_MANAGER: world.manager,
            Role.COMMISSIONER: world.commissioner, Role.PANEL_MEMBER: world.panel,
            Role.ADMIN: world.admin}[role]
    make.commit()
    response = client.get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    assert (response.json["id"], response.json["role"]) == (str(user.id), role.value)
    assert response.json["organisation"]["name"] == user.organisation.name


def _rota_queries(app, client, bearer, worker) -> tuple[int, int]:
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = rota(client, bearer, worker, DAY)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(response.json["visits"]), len(statements)


def test_query_count_does_not_grow_with_the_rota(app, make, client, bearer):
    world = make.world()

    def add_visits(hours):
        for hour in hours:
            person = make.service_user()
            goal(person, f"Goal at {hour}")
            package = make.package(person, contract=world.contract)
            visit = make.visit(package, start=at(DAY, f"{hour:02d}:00"),
                               workers=[world.worker, world.other_worker], carers_required=2)
            check_in(visit, world.worker, at(DAY, f"{hour:02d}:02"))
        make.commit()

    add_visits([7])
    one = _rota_queries(app, client, bearer, world.worker)
    add_visits(range(8, 16))
    many = _rota_queries(app, client, bearer, world.worker)
    assert (one[0], many[0]) == (1, 9)
    assert many[1] == one[1]


def test_my_check_in_verdict_is_on_the_rota(make, client, bearer):
    world = make.world()
    mine = make.visit(world.package, start=at(DAY, "09:00"), workers=[world.worker])
    shared = make.visit(world.package, start=at(DAY, "12:00"),
                        workers=[world.worker, world.other_worker])
    make.visit(world.package, start=at(DAY, "17:00"), workers=[world.worker])
    for visit, worker, metres, verified in ((mine, world.worker, 412.5, False),
                                            (shared, world.other_worker, 3.0, True)):
        db.session.add(VisitEvent(
            visit_id=visit.id, worker_id=worker.id, recorded_by_id=worker.id,
            kind=EventKind.CHECK_IN, device_time=at(DAY, "09:02"),
            server_time=at(DAY, "09:02"), distance_m=metres, verified=verified))
    make.commit()
    entries = rota(client, bearer, world.worker, DAY).json["visits"]
    verdicts = [(e["check_in_distance_m"], e["check_in_verified"]) for e in entries]
    # Mine outside the fence; the co-worker's check-in is not mine; not yet checked in.
    assert verdicts == [(412.5, False), (None, None), (None, None)]
