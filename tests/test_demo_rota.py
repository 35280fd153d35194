"""The demo county's rota passes the assignment checks, but for the problems planted on
purpose; people see a small set of carers; carers have a working day."""
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import (
    CarePackage, CarerArea, CarerAvailability, CarerLeave, CarerSkill, Role, ScheduleLine, User,
    Visit, VisitAssignment, VisitStatus,
)
from backend.services.dates import clock
from backend.services.rota.assignments import check_assignment
from tests.demo_county import built_county, read_only

NOW = datetime(2026, 3, 30, 11, 20, tzinfo=UTC)  # a Monday, the day after the clock change


@pytest.fixture(scope="module")
def county(app):
    """A small county with today and tomorrow to come, built once for these read-only tests."""
    yield from built_county(app, seed=11, scale=0.3, past_days=3, future_days=1, now=NOW)


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Overrides conftest's emptying after each test: the county tests only read."""
    yield from read_only(app)


def _live_visits():
    return db.session.scalars(
        sa.select(Visit).where(Visit.status != VisitStatus.CANCELLED)
        .options(selectinload(Visit.assignments), selectinload(Visit.package)
                 .selectinload(CarePackage.service_user))
        .order_by(Visit.planned_start)).all()


def test_every_carer_can_do_their_day_but_for_the_planted_problems(county):
    """The assignment service's own checks on every future visit: no refusal but the sick
    carer's (on leave), and only the planted warnings (a short travel gap, a double-up
    with one carer). Skills, working hours, weekly limits and travel modes all hold."""
    assert county.planted == ["unassigned", "double-up short", "travel gap", "carer on leave"]
    tomorrow = NOW.astimezone(clock.zone()).date() + timedelta(days=1)
    future = [v for v in _live_visits() if v.planned_start > NOW]
    workers = {u.id: u for u in db.session.scalars(sa.select(User))}
    warnings, refusals, checked = Counter(), Counter(), 0
    for visit in future:
        for assignment in visit.assignments:
            worker = workers[assignment.worker_id]
            check = check_assignment(visit, worker, replacing=worker)
            refusals.update((p.code, visit.local_date, worker.id) for p in check.refusals)
            warnings.update((p.code, visit.local_date) for p in check.warnings)
            checked += 1
    sick = county.users["sick carer"]
    assert set(refusals) == {("on_leave", tomorrow, sick)} and refusals[
        "on_leave", tomorrow, sick] >= 3
    assert checked > 200
    # The travel gap warns on both visits of the pair; the double-up on its one carer.
    assert set(warnings) == {("travel_time", tomorrow), ("double_up_incomplete", tomorrow)}
    assert warnings[("double_up_incomplete", tomorrow)] == 1
    short = [v for v in future if len(v.assignments) < v.carers_required]
    assert sorted((len(v.assignments), v.carers_required) for v in short) == [(0, 1), (1, 2)]
    assert all(v.local_date == tomorrow for v in short)


def test_carers_have_skills_windows_areas_pay_and_some_calls_need_skills(county):
    carers = db.session.scalars(sa.select(User).where(User.role == Role.CARE_WORKER)).all()
    assert all(c.staff_ref and c.hourly_pay_pence >= 1271 and c.contracted_weekly_minutes
               and c.max_weekly_minutes >= c.contracted_weekly_minutes and c.travel_mode
               for c in carers)
    assert len({c.staff_ref for c in carers}) == len(carers)
    assert {c.travel_mode for c in carers} >= {"driving", "public_transport"}
    for model in (CarerSkill, CarerAvailability, CarerArea):
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(model.worker_id)))) \
            == len(carers)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CarerLeave)) >= 1
    needs = Counter(s for skills in db.session.scalars(sa.select(ScheduleLine.required_skills))
                    for s in skills)
    assert needs["moving_and_handling"] and needs["medication"] and needs["dementia"]


def test_past_days_have_no_overlaps_and_their_carers_a_working_day(county):
    days, uncovered = defaultdict(list), []
    visits = _live_visits()
    for visit in visits:
        if visit.planned_start <= NOW and len(visit.assignments) < visit.carers_required:
            uncovered.append(visit)  # at the morning peak, now and then nobody could go
        for assignment in visit.assignments:
            days[assignment.worker_id, visit.local_date].append(visit)
    for theirs in days.values():
        for before, after in zip(theirs, theirs[1:], strict=False):
            assert before.planned_end <= after.planned_start
        assert len(theirs) <= 10
    assert len(uncovered) <= 0.005 * len(visits)
    assert all(v.status == VisitStatus.MISSED for v in uncovered if not v.assignments)
    today = NOW.astimezone(clock.zone()).date()
    carer = db.session.scalar(sa.select(User.id).where(User.username == "carer"))
    assert 6 <= len(days[carer, today]) <= 10
    per_worker = [len(v) for (_, day), v in days.items() if day == today]
    assert 4 <= sum(per_worker) / len(per_worker) <= 9


def test_people_see_a_small_set_of_carers(county):
    carers = defaultdict(set)
    for person_id, worker_id in db.session.execute(
            sa.select(CarePackage.service_user_id, VisitAssignment.worker_id)
            .join(Visit, Visit.package_id == CarePackage.id)
            .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)):
        carers[person_id].add(worker_id)
    sizes = [len(s) for s in carers.values()]
    assert sum(sizes) / len(sizes) <= 4  # five days, two to four visits a day
