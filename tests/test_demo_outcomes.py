"""The demo outcomes step on a small world built with the factories."""
import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from backend.demo.outcomes import add_outcomes
from backend.extensions import db
from backend.models import (
    Goal,
    GoalProgress,
    GoalStatus,
    PackageType,
    ReablementEpisode,
    Visit,
    VisitStatus,
)
from backend.services.outcomes.measures import outcome_measures

TODAY = date(2026, 11, 20)


def _small_county(make):
    w = make.world()
    day0 = datetime(2026, 11, 6, 8, tzinfo=UTC)
    people = []
    for n in range(30):
        person = make.service_user(date_of_birth=date(1930 + n, 3, 1))
        kind = PackageType.REABLEMENT if n % 3 == 0 else PackageType.STANDARD
        start = TODAY - timedelta(days=200 - n * 5) if kind == PackageType.REABLEMENT \
            else date(2025, 6, 1)
        package = make.package(person, contract=w.contract, package_type=kind,
                               start_date=start,
                               end_date=start + timedelta(days=41)
                               if kind == PackageType.REABLEMENT else None)
        for day in range(14):
            at = day0 + timedelta(days=day)
            make.visit(package, start=at, workers=[w.worker, w.other_worker],
                       status=VisitStatus.COMPLETED, actual_start=at,
                       actual_end=at + timedelta(minutes=30))
        people.append(person)
    return w


def test_demo_adds_goals_progress_and_episodes_from_what_exists(make):
    w = _small_county(make)
    add_outcomes(random.Random(7), TODAY)
    goals = db.session.scalars(sa.select(Goal)).all()
    assert goals and all(g.description for g in goals)
    assert {g.status for g in goals} >= {GoalStatus.ACTIVE, GoalStatus.ACHIEVED}
    entries = db.session.scalars(sa.select(GoalProgress)).all()
    assert len(entries) > 50
    visits = {v.id: v for v in db.session.scalars(sa.select(Visit))}
    goal_by_id = {g.id: g for g in goals}
    for entry in entries:
        visit = visits[entry.visit_id]
        assert entry.recorded_at == visit.actual_end
        carers = {a.worker_id for a in visit.assignments}
        if entry.supersedes_id is None:
            assert entry.recorded_by_id in carers
        else:
            assert entry.recorded_by_id == w.manager.id
        goal = goal_by_id[entry.goal_id]
        assert visit.package_id == goal.package_id
        assert goal.created_at < entry.recorded_at
        assert goal.closed_at is None or entry.recorded_at < goal.closed_at
    episodes = db.session.scalars(sa.select(ReablementEpisode)).all()
    assert any(e.followup_result is not None and e.outcome != "died" for e in episodes)
    assert any(e.actual_end is None for e in episodes) or any(
        e.followup_due and e.followup_due > TODAY for e in episodes)
    for e in episodes:
        assert e.actual_end is None or e.start_date <= e.actual_end <= TODAY
        assert e.followup_checked_on is None or e.followup_checked_on <= TODAY
    m = outcome_measures(w.admin, TODAY - timedelta(days=364), TODAY)
    assert m["ascof_2d"]["denominator"] > 0 and m["ascof_2d"]["part_2"]["denominator"] > 0
    assert m["ascof_2a"]["denominator"] > 0 and m["gas_t_score"]["mean"]["denominator"] > 0
