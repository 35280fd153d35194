"""Assignments: refusals and warnings, reassignment, and who may assign whom."""
from datetime import timedelta

import pytest

from backend.errors import Forbidden, NotFound
from backend.extensions import db
from backend.models import Role, VisitStatus
from backend.services.rota.assignments import AssignmentRefused, assign_worker, preview_assignment
from tests.factories import HOME
from tests.monitoring_helpers import utc

S = utc(2026, 11, 24, 9, 0)


@pytest.fixture
def w(make):
    world = make.world()
    world.make = make
    world.free = make.user(Role.CARE_WORKER, world.provider)
    return world


def visit_at(w, start, minutes=30, person=None, **kw):
    package = w.package if person is None else w.make.package(person, contract=w.contract)
    return w.make.visit(package, start=start, minutes=minutes, workers=(), **kw)


def codes(problems):
    return {p.code for p in problems}


def test_clean_assignment(w):
    visit = visit_at(w, S)
    check = assign_worker(w.manager, visit.id, w.free.id)
    assert check.refusals == [] and check.warnings == []
    assert [a.worker_id for a in visit.assignments] == [w.free.id]


def test_double_booked_is_refused(w):
    first = visit_at(w, S, 60)
    assign_worker(w.manager, first.id, w.free.id)
    overlapping = visit_at(w, S + timedelta(minutes=45))
    with pytest.raises(AssignmentRefused) as refused:
        assign_worker(w.manager, overlapping.id, w.free.id)
    assert "double_booked" in refused.value.fields["worker_id"][0]
    assert refused.value.status == 422
    back_to_back = visit_at(w, S + timedelta(minutes=60))
    assert "double_booked" not in codes(preview_assignment(
        w.manager, back_to_back.id, w.free.id).refusals)


def test_travel_time_between_homes_is_a_warning(w):
    far = w.make.service_user(home_lat=HOME[0] + 0.09, home_lon=HOME[1])  # about 10 km north
    first = visit_at(w, S, 30)
    assign_worker(w.manager, first.id, w.free.id)
    tight = visit_at(w, S + timedelta(minutes=40), person=far)  # 10 min gap, 30 min needed
    check = assign_worker(w.manager, tight.id, w.free.id)
    assert codes(check.warnings) == {"travel_time"} and check.refusals == []
    assert "10.0 km" in check.warnings[0].message and "at 20 km/h" in check.warnings[0].message
    roomy = visit_at(w, S + timedelta(hours=3), person=far)
    assert "travel_time" not in codes(preview_assignment(w.manager, roomy.id, w.free.id).warnings)


def test_daily_limit_and_double_up_warnings(w):
    w.free.max_daily_minutes = 60
    first = visit_at(w, S, 45)
    assign_worker(w.manager, first.id, w.free.id)
    double = visit_at(w, S + timedelta(hours=2), 30, carers_required=2)
    check = assign_worker(w.manager, double.id, w.free.id)
    assert codes(check.warnings) == {"over_daily_limit", "double_up_incomplete"}
    second = assign_worker(w.manager, double.id, w.other_worker.id)
    assert "double_up_incomplete" not in codes(second.warnings)
    third = w.make.user(Role.CARE_WORKER, w.provider)
    with pytest.raises(AssignmentRefused) as refused:
        assign_worker(w.manager, double.id, third.id)
    assert "visit_full" in refused.value.fields["worker_id"][0]


def test_reassign_replaces_the_worker(w):
    visit = visit_at(w, S)
    assign_worker(w.manager, visit.id, w.worker.id)
    assign_worker(w.manager, visit.id, w.free.id, replacing_id=w.worker.id)
    assert [a.worker_id for a in visit.assignments] == [w.free.id]


def test_refusals_for_state_and_duplicates(w):
    visit = visit_at(w, S)
    assign_worker(w.manager, visit.id, w.free.id)
    with pytest.raises(AssignmentRefused):
        assign_worker(w.manager, visit.id, w.free.id)
    visit.status = VisitStatus.CANCELLED
    db.session.flush()
    assert "visit_not_open" in codes(preview_assignment(w.manager, visit.id, w.worker.id).refusals)
    assert "not_a_care_worker" in codes(
        preview_assignment(w.manager, visit.id, w.manager.id).refusals)


def test_managers_assign_only_their_own_workers_to_their_own_visits(w):
    with pytest.raises(NotFound):
        assign_worker(w.manager, w.visit.id, w.foreign_worker.id)
    with pytest.raises(NotFound):
        assign_worker(w.manager, w.other_visit.id, w.free.id)
    with pytest.raises(Forbidden):
        assign_worker(w.worker, w.visit.id, w.free.id)
    with pytest.raises(Forbidden):
        assign_worker(w.commissioner, w.visit.id, w.free.id)
    with pytest.raises(NotFound):
        assign_worker(w.other_manager, w.visit.id, w.foreign_worker.id)
    # An admin may try, but the checks still refuse a worker of another provider.
    assert "other_provider" in codes(
        preview_assignment(w.admin, w.visit.id, w.foreign_worker.id).refusals)
