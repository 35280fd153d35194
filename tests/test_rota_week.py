"""The rota week: travel gaps, overlaps, double-ups without a second carer, continuity."""
from datetime import UTC, date, datetime, timedelta

from backend.services.rota.week import rota_week


def blocks_of(week, worker):
    for w, by_day in week.rows:
        if w is not None and w.id == worker.id:
            return [b for day in week.days for b in by_day.get(day, [])]
    return []


def test_travel_gap_overlap_and_double_up(make):
    w = make.world()
    start = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday, GMT
    near = make.service_user(home_lat=52.2405, home_lon=-0.9027)
    far = make.service_user(home_lat=52.3305, home_lon=-0.9027)  # 10 km north
    first = make.visit(make.package(near, contract=w.contract), start, 30, workers=[w.worker])
    second = make.visit(make.package(far, contract=w.contract), start + timedelta(minutes=35),
                        30, workers=[w.worker])
    third = make.visit(make.package(near, contract=w.contract), start + timedelta(minutes=50),
                       30, workers=[w.worker], carers_required=2)
    week = rota_week(w.manager, date(2026, 11, 18))
    blocks = {b.visit.id: b for b in blocks_of(week, w.worker)}
    assert blocks[first.id].problems == []
    assert blocks[second.id].gap_min == 5 and blocks[second.id].travel_needed_min == 31
    assert "5 min gap, 31 min travel needed" in blocks[second.id].problems
    assert any("overlaps" in p for p in blocks[third.id].problems)
    assert "needs 2 carers, 1 assigned" in blocks[third.id].problems
    assert week.problem_count == 3  # short travel, overlap, double-up short of a carer
    assert week.continuity[near.id] == 1


def test_rota_page_scoped_and_rendered(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    page = client.get("/rota").get_data(as_text=True)
    assert w.worker.display_name in page and w.person.name in page
    assert w.other_person.name not in page and w.foreign_worker.display_name not in page
    response = client.get("/rota?week=not-a-date")
    assert response.status_code == 422 and b"week" in response.data
