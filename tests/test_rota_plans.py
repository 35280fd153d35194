"""Plan the day: queued from the page, solved by the scheduler's job with progress, shown as
moves, accepted whole or in part through the assignment checks; never applied by itself."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from backend.extensions import db
from backend.models import (
    CarerLeave, CarerSkill, MoveDecision, PlanStatus, Role, RotaPlan, Visit, VisitAssignment,
)
from backend.scheduler.jobs import run_job
from backend.scheduler.lease import new_holder_id
from backend.services.dates import clock
from tests.factories import HOME


@pytest.fixture
def day(make, app):
    """Tomorrow for a provider of three carers: a visit nobody is on, a visit given to a
    carer who has since rung in sick, a locked assignment and a double-up."""
    app.config["ROTA_PLAN_SECONDS"] = 1
    w = make.world()
    w.third = make.user(Role.CARE_WORKER, w.provider, display_name="Third Carer")
    for worker in (w.worker, w.other_worker, w.third):
        db.session.add(CarerSkill(worker_id=worker.id, skill="moving_and_handling"))
    w.tomorrow = clock.today() + timedelta(days=1)
    db.session.add(CarerLeave(worker_id=w.third.id, start_date=w.tomorrow, end_date=w.tomorrow,
                              kind="sickness"))
    near = make.service_user(home_lat=HOME[0] + 0.005, home_lon=HOME[1])

    def at(hour, person=None, **kw):
        package = make.package(person or make.service_user(), contract=w.contract)
        return make.visit(package, start=clock.local_to_utc(w.tomorrow, time(hour)),
                          minutes=30, **kw)

    w.nobody = at(9, near)
    w.sick = at(11, workers=[w.third])
    w.locked = at(13, workers=[w.worker])
    w.locked.assignments[0].locked = True
    w.hoist = at(15, carers_required=2, workers=[w.worker])
    make.commit()
    w.app = app
    return w


def assigned(visit_id):
    db.session.expire_all()
    return {a.worker_id for a in db.session.get(Visit, visit_id).assignments}


def run_planner(w):
    w.holder = getattr(w, "holder", None) or new_holder_id()
    return run_job(w.app, "rota_plans", w.holder)


def test_plan_is_queued_solved_in_the_background_and_shown_as_a_diff(day, client, auth):
    w = day
    auth.login(w.manager.username)
    asked = client.post("/rota/plans", data={"date": w.tomorrow.isoformat()})
    assert asked.status_code == 303
    plan_url = asked.headers["Location"]
    waiting = client.get(plan_url).get_data(as_text=True)
    assert "Waiting for the planner" in waiting and 'http-equiv="refresh"' in waiting
    assert assigned(w.sick.id) == {w.third.id}  # nothing changes by itself
    summary = run_planner(w)
    assert summary["violations"] == 0 and summary["unassigned"] == 0
    assert run_planner(w) == {"planned": 0}
    plan = db.session.scalar(sa.select(RotaPlan))
    assert plan.status == PlanStatus.READY and plan.progress_pct == 100
    assert plan.before["unassigned"] == 2 and plan.before["violations"] == 1  # the sick carer
    page = client.get(plan_url).get_data(as_text=True)
    assert "Proposed moves" in page and "refresh" not in page
    moves = {(m.visit_id, m.from_worker_id) for m in plan.moves}
    assert (w.sick.id, w.third.id) in moves and (w.nobody.id, None) in moves
    assert (w.hoist.id, None) in moves
    assert all(m.visit_id != w.locked.id for m in plan.moves)  # locked: kept
    assert assigned(w.sick.id) == {w.third.id}

    accepted = client.post(f"{plan_url}/accept", data={"all": "1"}, follow_redirects=True)
    assert "accepted" in accepted.get_data(as_text=True)
    assert w.third.id not in assigned(w.sick.id) and len(assigned(w.sick.id)) == 1
    assert len(assigned(w.nobody.id)) == 1 and len(assigned(w.hoist.id)) == 2
    assert assigned(w.locked.id) == {w.worker.id}


def test_accept_part_and_stale_moves(day, client, auth):
    w = day
    auth.login(w.manager.username)
    client.post("/rota/plans", data={"date": w.tomorrow.isoformat()})
    run_planner(w)
    plan = db.session.scalar(sa.select(RotaPlan))
    first = next(m for m in plan.moves if m.visit_id == w.nobody.id)
    client.post(f"/rota/plans/{plan.id}/accept", data={"move_ids": [str(first.id)]})
    db.session.expire_all()
    decisions = {m.visit_id: m.decision for m in db.session.get(RotaPlan, plan.id).moves}
    assert decisions[w.nobody.id] == MoveDecision.ACCEPTED
    assert decisions[w.sick.id] == MoveDecision.PROPOSED
    assert assigned(w.nobody.id) == {first.to_worker_id}
    # The sick carer's visit is covered by hand meanwhile: that move no longer applies.
    db.session.execute(sa.delete(VisitAssignment).where(VisitAssignment.visit_id == w.sick.id))
    db.session.add(VisitAssignment(visit_id=w.sick.id, worker_id=w.other_worker.id))
    db.session.commit()
    page = client.post(f"/rota/plans/{plan.id}/accept", data={"all": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "no longer apply" in page
    db.session.expire_all()
    decisions = {m.visit_id: m.decision for m in db.session.get(RotaPlan, plan.id).moves}
    assert decisions[w.sick.id] == MoveDecision.STALE
    assert assigned(w.sick.id) == {w.other_worker.id}


def test_plans_are_the_providers_own_and_bad_input_is_refused(day, client, auth):
    w = day
    auth.login(w.manager.username)
    client.post("/rota/plans", data={"date": w.tomorrow.isoformat()})
    plan = db.session.scalar(sa.select(RotaPlan))
    assert client.post(f"/rota/plans/{plan.id}/accept", data={"all": "1"}).status_code == 303
    assert db.session.get(RotaPlan, plan.id).status == PlanStatus.QUEUED  # not ready: refused
    past = client.post("/rota/plans", data={"date": date(2020, 1, 1).isoformat()},
                       follow_redirects=True)
    assert "Only today or a day to come" in past.get_data(as_text=True)
    assert client.post("/rota/plans", data={"date": "soon"}).status_code == 303
    auth.logout()
    g.pop("user", None)  # the tests share one app context, so the signed-in user is cached
    auth.login(w.other_manager.username)
    assert client.get(f"/rota/plans/{plan.id}").status_code == 404
    assert client.post(f"/rota/plans/{plan.id}/accept", data={"all": "1"}).status_code == 404
