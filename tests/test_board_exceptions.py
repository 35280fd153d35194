"""The day board, exceptions first: counts, urgency order, each double-up carer's own
state, the filter and the live JSON (issue 19, point 1)."""
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import Alert, AlertKind, Priority, Role
from backend.services.dates import clock
from backend.services.monitoring.board import today_board
from backend.services.monitoring.board_exceptions import day_board
from tests.monitoring_helpers import check_in

# Calls hours either side of now, all on today's board: the day is pinned at noon.
pytestmark = pytest.mark.usefixtures("midday")


def _chips(board):
    return {(row.worker, chip.visit.id): chip.label for row in board.rows for chip in row.visits}


def test_exceptions_are_counted_and_ordered_by_urgency(make):
    """A late time-critical call comes before a missed normal one; a missed call before a
    late one; unassigned, no check-out, not verified and a concern are counted too."""
    w = make.world()
    now = clock.now().replace(second=0, microsecond=0)
    day = now.astimezone(clock.zone()).date()
    package = w.package
    missed = make.visit(package, start=now - timedelta(minutes=45), workers=[w.worker])
    late = make.visit(package, start=now - timedelta(minutes=20), workers=[w.worker])
    critical = make.visit(package, start=now - timedelta(minutes=8), workers=[w.other_worker],
                          priority=Priority.CRITICAL)
    nobody = make.visit(package, start=now + timedelta(hours=2, minutes=7), workers=[])
    stuck = make.visit(package, start=now - timedelta(minutes=120), workers=[w.other_worker])
    check_in(stuck, w.other_worker, stuck.planned_start, verified=False)
    db.session.add(Alert(visit_id=stuck.id, kind=AlertKind.CONCERN, detail="Fell last night"))
    db.session.flush()

    board = day_board(w.manager, day, now)
    kinds = [(e.kind, e.visit.id) for e in board.exceptions]
    assert kinds[0] == ("late", critical.id)  # time-critical first, 8 min > 5 min tolerance
    normal = [k for k in kinds[1:]]
    assert normal.index(("missed", missed.id)) < normal.index(("late", late.id))
    assert ("unassigned", nobody.id) in kinds
    assert {("concern", stuck.id), ("no check-out", stuck.id), ("not verified", stuck.id)} \
        <= set(kinds)
    assert board.counts == {"late": 2, "missed": 1, "no check-out": 1, "unassigned": 1,
                            "concerns": 1, "not verified": 1}
    first = board.exceptions[0]
    assert first.carers == [w.other_worker.display_name] and first.waited_min == 8
    assert first.target == "reassign"
    db.session.add(Alert(visit_id=missed.id, kind=AlertKind.MISSED, detail="Missed"))
    db.session.flush()
    missed_line = next(e for e in day_board(w.manager, day, now).exceptions
                       if e.kind == "missed")
    assert missed_line.alert.kind == AlertKind.MISSED  # acknowledged from the board
    concern = next(e for e in board.exceptions if e.kind == "concern")
    assert concern.target == "alert" and concern.alert.kind == AlertKind.CONCERN
    # Nothing another provider does reaches this manager's board.
    assert w.other_visit.id not in {e.visit.id for e in board.exceptions}


def test_each_double_up_carer_has_their_own_state(make):
    """One carer of a double-up checked in: the other is "not arrived", then late, not
    "in progress" like the visit; once the visit is over without them, "did not attend"."""
    w = make.world()
    now = clock.now().replace(second=0, microsecond=0)
    day = now.astimezone(clock.zone()).date()
    double = make.visit(w.package, start=now - timedelta(minutes=5),
                        workers=[w.worker, w.other_worker], carers_required=2)
    check_in(double, w.worker, now - timedelta(minutes=4))
    name, other = w.worker.display_name, w.other_worker.display_name
    chips = _chips(day_board(w.manager, day, now))
    assert chips[(name, double.id)] == "in progress"
    assert chips[(other, double.id)] == "not arrived"
    later = now + timedelta(minutes=12)  # past the 15-minute tolerance from the start
    board = day_board(w.manager, day, later)
    assert _chips(board)[(other, double.id)] == "not arrived (late)"
    assert [(e.kind, e.carers) for e in board.exceptions if e.visit.id == double.id] == [
        ("carer not arrived", [other])]
    assert board.counts["late"] == 1
    from tests.monitoring_helpers import check_out
    check_out(double, w.worker, now + timedelta(minutes=30))
    assert _chips(day_board(w.manager, day, later))[(other, double.id)] == "did not attend"
    assert _chips(day_board(w.manager, day, later))[(name, double.id)] == "done"


def test_same_named_carers_are_told_apart_on_the_board(make):
    w = make.world()
    twin = make.user(Role.CARE_WORKER, w.provider, display_name=w.worker.display_name,
                     staff_ref="CW-0042")
    make.visit(w.package, start=w.visit.planned_start + timedelta(hours=1), workers=[twin])
    workers = [row.worker for row in today_board(w.manager, w.visit.local_date)]
    assert f"{w.worker.display_name} (CW-0042)" in workers
    assert f"{w.worker.display_name} ({w.worker.username})" in workers


def test_board_filter_and_live_json(make, client, auth):
    """?show= narrows the full list; the JSON the page polls follows a check-in."""
    w = make.world()
    late = make.visit(w.package, start=clock.now() - timedelta(minutes=20), workers=[w.worker])
    make.commit()
    auth.login(w.manager.username)
    page = client.get("/board?show=late").get_data(as_text=True)
    assert f"/visits/{late.id}" in page and f'data-chip="{w.visit.id}' not in page
    assert client.get("/board?show=nonsense").status_code == 400
    live = client.get("/board/live.json").get_json()
    assert live["counts"]["late"] == 1
    line = live["exceptions"][0]
    assert line["kind"] == "late" and line["person"] == w.person.name
    assert line["carers"] == w.worker.display_name and line["waited"].endswith("min late")
    assert line["href"] == f"/visits/{late.id}/reassign"
    assert live["chips"][f"{late.id}:{w.worker.id}"] == "late"
    check_in(late, w.worker, clock.now())
    make.commit()
    live = client.get("/board/live.json").get_json()
    assert live["counts"]["late"] == 0
    assert live["chips"][f"{late.id}:{w.worker.id}"] == "in progress (late)"


def test_only_managers_poll_the_board(make, app):
    w = make.world()
    make.commit()
    carer = app.test_client()
    carer.post("/login", data={"username": w.worker.username, "password": make.PASSWORD})
    assert carer.get("/board/live.json").status_code == 404


def test_yesterdays_open_alerts_stay_on_todays_board(make, client, auth):
    """A time-critical call missed last night is still to deal with this morning; resolved
    alerts and those older than a week are not carried over."""
    from backend.models import AlertStatus

    w = make.world()
    now = clock.now().replace(second=0, microsecond=0)
    day = now.astimezone(clock.zone()).date()
    last_night = make.visit(w.package, start=now - timedelta(days=1), workers=[w.worker],
                            priority=Priority.CRITICAL)
    dealt_with = make.visit(w.package, start=now - timedelta(days=1, minutes=30),
                            workers=[w.worker])
    long_ago = make.visit(w.package, start=now - timedelta(days=9), workers=[w.worker])
    db.session.add_all([
        Alert(visit_id=last_night.id, kind=AlertKind.MISSED, detail="Missed"),
        Alert(visit_id=dealt_with.id, kind=AlertKind.MISSED, detail="Missed",
              status=AlertStatus.RESOLVED, resolution="Daughter gave the tablets"),
        Alert(visit_id=long_ago.id, kind=AlertKind.MISSED, detail="Missed")])
    db.session.flush()
    board = day_board(w.manager, day, now)
    first = board.exceptions[0]
    assert (first.kind, first.visit.id, first.target) == ("missed", last_night.id, "alert")
    shown = {e.visit.id for e in board.exceptions}
    assert dealt_with.id not in shown and long_ago.id not in shown
    assert board.counts["missed"] == 1
    assert w.other_visit.id not in shown
    make.commit()
    auth.login(w.manager.username)
    line = client.get("/board/live.json").get_json()["exceptions"][0]
    assert line["href"] == f"/alerts/{first.alert.id}" and "Still open" in line["action"]
    assert line["start"].count(" ") == 3  # "Sun 6 Dec 21:15": the day is shown
