"""The rota week and day: every kind of problem, listed first with a link, and the filters."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    Area, CarerArea, CarerAvailability, CarerLeave, CarerSkill, ScheduleLine, TravelMode,
)
from backend.services.rota.week import rota_week

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # GMT: local time is UTC


def blocks_of(week, worker):
    for row in week.rows:
        if row.worker is not None and row.worker.id == worker.id:
            return [b for day in week.days for b in row.by_day.get(day, [])]
    return []


def codes(block):
    return [p.code for p in block.problems]


def test_travel_gap_overlap_and_double_up(make):
    w = make.world()
    near = make.service_user(home_lat=52.2405, home_lon=-0.9027)
    far = make.service_user(home_lat=52.3305, home_lon=-0.9027)  # 10 km north
    first = make.visit(make.package(near, contract=w.contract), MONDAY, 30, workers=[w.worker])
    second = make.visit(make.package(far, contract=w.contract),
                        MONDAY + timedelta(minutes=35), 30, workers=[w.worker])
    third = make.visit(make.package(near, contract=w.contract),
                       MONDAY + timedelta(minutes=50), 30, workers=[w.worker], carers_required=2)
    week = rota_week(w.manager, date(2026, 11, 18))
    blocks = {b.visit.id: b for b in blocks_of(week, w.worker)}
    assert blocks[first.id].problems == []
    assert blocks[second.id].gap_min == 5 and blocks[second.id].travel_needed_min == 31
    assert codes(blocks[second.id]) == ["travel_time"]
    assert "needs 31 min at 20 km/h; the gap is 5 min" in blocks[second.id].problems[0].message
    assert set(codes(blocks[third.id])) == {"overlap", "double_up_incomplete"}
    assert week.problem_count == 3  # short travel, overlap, double-up short of a carer
    # Listed in the order a manager deals with them, each pointing at its block.
    assert [p.code for p in week.problems] == ["double_up_incomplete", "overlap", "travel_time"]
    assert {p.anchor for p in week.problems} == {blocks[third.id].anchor,
                                                 blocks[second.id].anchor}
    assert week.continuity[near.id] == 1


def test_walking_carer_needs_longer_and_road_factor_stretches_trips(make, app):
    w = make.world()
    w.worker.travel_mode = TravelMode.WALKING
    near = make.service_user(home_lat=52.2405, home_lon=-0.9027)
    close = make.service_user(home_lat=52.2495, home_lon=-0.9027)  # 1 km north
    make.visit(make.package(near, contract=w.contract), MONDAY, 30, workers=[w.worker])
    second = make.visit(make.package(close, contract=w.contract),
                        MONDAY + timedelta(minutes=40), 30, workers=[w.worker])
    block = {b.visit.id: b for b in blocks_of(rota_week(w.manager, MONDAY.date()),
                                              w.worker)}[second.id]
    assert block.travel_needed_min == 13 and block.problems[0].code == "travel_time"
    w.worker.travel_mode = TravelMode.DRIVING
    app.config["ROTA_ROAD_FACTOR"] = 1.5
    try:
        block = {b.visit.id: b for b in blocks_of(rota_week(w.manager, MONDAY.date()),
                                                  w.worker)}[second.id]
        assert block.travel_needed_min == 5 and block.problems == []  # 1.5 km at 20 km/h
    finally:
        app.config["ROTA_ROAD_FACTOR"] = 1.0


def test_skill_leave_working_hours_and_limits(make):
    w = make.world()
    package = make.package(w.person, contract=w.contract,
                           schedule=[(0, "09:00", 60)])
    line = db.session.get(ScheduleLine, package.schedule[0].id)
    line.required_skills = ["medication", "peg_feeding"]
    db.session.add(CarerSkill(worker_id=w.worker.id, skill="medication"))
    db.session.add(CarerAvailability(worker_id=w.worker.id, weekday=0, start_time=time(7),
                                     end_time=time(12)))
    db.session.add(CarerAvailability(worker_id=w.worker.id, weekday=1, start_time=time(7),
                                     end_time=time(12)))
    db.session.add(CarerLeave(worker_id=w.worker.id, start_date=date(2026, 11, 18),
                              end_date=date(2026, 11, 19)))
    w.worker.max_daily_minutes, w.worker.max_weekly_minutes = 90, 150
    monday = make.visit(package, MONDAY, 60, workers=[w.worker], schedule_line_id=line.id)
    afternoon = make.visit(w.package, MONDAY + timedelta(hours=4), 45, workers=[w.worker])
    tuesday = make.visit(w.package, MONDAY + timedelta(days=1), 30, workers=[w.worker])
    wednesday = make.visit(w.package, MONDAY + timedelta(days=2), 30, workers=[w.worker])
    blocks = {b.visit.id: b for b in blocks_of(rota_week(w.manager, MONDAY.date()), w.worker)}
    assert codes(blocks[monday.id]) == ["skill_missing"]
    assert "peg feeding" in blocks[monday.id].problems[0].message
    assert codes(blocks[afternoon.id]) == ["outside_working_hours", "over_daily_limit"]
    assert codes(blocks[tuesday.id]) == []
    assert codes(blocks[wednesday.id]) == ["on_leave", "outside_working_hours",
                                           "over_weekly_limit"]


def test_views_and_filters(make):
    w = make.world()
    north, south = Area(name="North lot"), Area(name="South lot")
    db.session.add_all([north, south])
    db.session.flush()
    w.person.area_id = north.id
    db.session.add(CarerArea(worker_id=w.worker.id, area_id=north.id))
    db.session.add(CarerArea(worker_id=w.other_worker.id, area_id=south.id))
    w.worker.staff_ref = "CH-001"
    clean = make.visit(w.package, MONDAY, 30, workers=[w.worker])
    nobody = make.visit(w.package, MONDAY + timedelta(days=1), 30)
    make.visit(w.package, MONDAY + timedelta(days=2), 30, workers=[w.other_worker])
    week = rota_week(w.manager, MONDAY.date())
    assert len(week.days) == 7 and [p.code for p in week.problems] == ["unassigned"]
    assert [r.worker for r in week.rows][:1] == [None]
    assert {r.detail for r in week.rows if r.worker is w.worker} == {"CH-001 · North lot"}
    day = rota_week(w.manager, MONDAY.date() + timedelta(days=1), "day")
    assert day.days == [MONDAY.date() + timedelta(days=1)]
    assert [b.visit.id for b in day.rows[0].by_day[day.days[0]]] == [nobody.id]
    in_north = rota_week(w.manager, MONDAY.date(), area_id=north.id)
    assert {r.worker.id if r.worker else None for r in in_north.rows} == {None, w.worker.id}
    only = rota_week(w.manager, MONDAY.date(), problems_only=True)
    assert [r.worker for r in only.rows] == [None]
    one = rota_week(w.manager, MONDAY.date(), worker_id=w.worker.id)
    assert [r.worker for r in one.rows] == [w.worker]
    assert [b.visit.id for b in blocks_of(one, w.worker)] == [clean.id]
    with pytest.raises(Invalid):
        rota_week(w.manager, MONDAY.date(), view="month")


def test_rota_page_scoped_and_rendered(make, client, auth):
    w = make.world()
    nobody = make.visit(w.package, MONDAY, 30)
    make.commit()
    auth.login(w.manager.username)
    page = client.get("/rota").get_data(as_text=True)
    assert w.worker.display_name in page and w.person.name in page
    assert w.other_person.name not in page and w.foreign_worker.display_name not in page
    response = client.get("/rota?week=not-a-date")
    assert response.status_code == 422 and b"week" in response.data
    assert client.get("/rota?area=not-an-id").status_code == 404
    assert client.get(f"/rota?carer={w.foreign_worker.id}").status_code == 404
    assert client.get("/rota?view=month").status_code == 422
    week = client.get(f"/rota?date={MONDAY.date()}&problems=1").get_data(as_text=True)
    anchor = f"v-{nobody.id}-none"
    assert f'href="#{anchor}"' in week and f'id="{anchor}"' in week
    assert f"/visits/{nobody.id}/reassign" in week and "Nobody assigned" in week
    assert week.index("1 problem to look at") < week.index("<table")
    day = client.get(f"/rota?date={MONDAY.date()}&view=day").get_data(as_text=True)
    assert "Rota for Monday 16 November 2026" in day
