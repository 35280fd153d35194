"""The manager's live board and visit page, through the real pages."""
from datetime import datetime, time, timedelta

from backend.extensions import db
from backend.models import EventKind, EventMethod, Priority, VisitEvent, VisitStatus
from backend.services.attendance import visit_state
from backend.services.dates import clock
from backend.services.monitoring.board import today_board


def check_in(visit, worker, when, lat, lon, distance, verified):
    event = VisitEvent(visit_id=visit.id, worker_id=worker.id, recorded_by_id=worker.id,
                       kind=EventKind.CHECK_IN, device_time=when, server_time=when, lat=lat,
                       lon=lon, accuracy_m=15, method=EventMethod.GPS, distance_m=distance,
                       verified=verified, device_id="phone-1", client_event_id="e1")
    db.session.add(event)
    db.session.flush()
    db.session.refresh(visit)
    visit_state.refresh(visit)
    return event


def labels(user, now, day=None):
    day = day or now.astimezone(clock.zone()).date()
    return {v.visit.id: v.label for row in today_board(user, day, now) for v in row.visits}


def test_board_labels_follow_events_and_the_rulebook(make, midday):
    """Late and missed as the rulebook judges them now (no alert needed): a normal call
    is late after 15 minutes and missed at its planned end."""
    w = make.world()
    now, day = w.visit.planned_start, w.visit.local_date
    later = make.visit(w.package, start=now + timedelta(hours=3), workers=[w.worker])
    assert labels(w.manager, now)[w.visit.id] == "due"
    assert labels(w.manager, now)[later.id] == "planned"
    assert labels(w.manager, now + timedelta(minutes=15), day)[w.visit.id] == "due"
    assert labels(w.manager, now + timedelta(minutes=16), day)[w.visit.id] == "late"
    assert labels(w.manager, now + timedelta(minutes=31), day)[w.visit.id] == "missed"
    check_in(w.visit, w.worker, now + timedelta(minutes=16), 52.2405, -0.9027, 3.0, True)
    assert w.visit.status == VisitStatus.IN_PROGRESS
    assert labels(w.manager, now + timedelta(minutes=17), day)[w.visit.id] == "in progress (late)"


def test_board_judges_a_time_critical_call_by_its_own_defaults(make):
    """A contract with no rule rows: a time-critical call is late after 5 minutes
    (DEFAULT_RULES for its priority), a normal one only after 15."""
    w = make.world()
    bare = make.contract(funder=w.council, provider=w.provider)
    bare.rules.clear()
    db.session.flush()
    package = make.package(w.person, contract=bare)
    start, day = w.visit.planned_start, w.visit.local_date
    critical = make.visit(package, start=start, workers=[w.worker], priority=Priority.CRITICAL)
    normal = make.visit(package, start=start + timedelta(seconds=1), workers=[w.worker])
    seen = labels(w.manager, start + timedelta(minutes=6), day)
    assert seen[critical.id] == "late" and seen[normal.id] == "due"
    check_in(critical, w.worker, start + timedelta(minutes=4), 52.2405, -0.9027, 3.0, True)
    assert labels(w.manager, start + timedelta(minutes=6), day)[critical.id] == "in progress"


def test_board_is_scoped_to_own_provider(make):
    w = make.world()
    assert w.other_visit.id not in labels(w.manager, clock.now())
    assert set(labels(w.other_manager, clock.now())) == {w.other_visit.id}


def test_board_page_lists_workers_and_links_visits(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    page = client.get("/board").get_data(as_text=True)
    assert w.worker.display_name in page and w.person.name in page
    assert f"/visits/{w.visit.id}" in page
    assert f"/visits/{w.other_visit.id}" not in page
    assert 'http-equiv="refresh"' not in page  # live by polling, never a meta refresh
    assert 'data-live="/board/live.json' in page


def test_visit_page_shows_events_with_distance(make, client, auth):
    w = make.world()
    check_in(w.visit, w.worker, clock.now(), 52.2445, -0.9027, 445.0, False)
    make.commit()
    auth.login(w.manager.username)
    page = client.get(f"/visits/{w.visit.id}").get_data(as_text=True)
    assert "445 m" in page and "not verified" in page and "<svg" in page


def test_foreign_visit_page_is_not_found(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get(f"/visits/{w.other_visit.id}").status_code == 404
    assert client.get("/visits/00000000-0000-0000-0000-000000000000").status_code == 404


def test_care_worker_cannot_open_manager_pages(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.worker.username)
    assert client.get("/board").status_code == 404
    assert client.get(f"/visits/{w.visit.id}").status_code == 404


def test_cancelled_visit_without_carer_is_not_listed_as_needing_one(make):
    w = make.world()
    now = datetime.combine(clock.today(), time(9), tzinfo=clock.zone())
    open_visit = make.visit(w.package, start=now + timedelta(hours=2), workers=[])
    called_off = make.visit(w.package, start=now + timedelta(hours=4), workers=[])
    called_off.status = VisitStatus.CANCELLED
    db.session.flush()
    rows = {row.worker: [v.visit.id for v in row.visits]
            for row in today_board(w.manager, now.astimezone(clock.zone()).date(), now)}
    assert rows["Not assigned"] == [open_visit.id]
    assert rows["Cancelled, no carer"] == [called_off.id]
    assert list(rows)[0] == "Not assigned" and list(rows)[-1] == "Cancelled, no carer"
