"""Shared builders for the outcome tests."""
from datetime import UTC, date, datetime

from backend.extensions import db
from backend.models import Goal, GoalMeasure, GoalStatus, OutcomeDomain, ReablementEpisode

FULL = {"feeding": 2, "bathing": 1, "grooming": 1, "dressing": 2, "bowels": 2, "bladder": 2,
        "toilet_use": 2, "transfers": 3, "mobility": 3, "stairs": 2}  # 20


def barthel(total_drop: int = 0) -> dict:
    """A valid Barthel record, `total_drop` points below 20 (taken from transfers first)."""
    items = dict(FULL)
    for name in ("transfers", "mobility", "stairs", "dressing", "feeding", "bowels"):
        take = min(items[name], total_drop)
        items[name] -= take
        total_drop -= take
    return items


def goal(person, *, importance=1, difficulty=1, measure=GoalMeasure.GAS, baseline=-1,
         target=0, status=GoalStatus.ACTIVE, package=None, **kw) -> Goal:
    """A goal straight into the database (service rules are tested elsewhere)."""
    kw.setdefault("created_at", datetime(2026, 1, 2, tzinfo=UTC))
    g = Goal(service_user_id=person.id, package_id=package.id if package else None,
             description="I want to make my own breakfast", domain=OutcomeDomain.FOOD_AND_DRINK,
             measure=measure, baseline=baseline, target=target, importance=importance,
             difficulty=difficulty, status=status, **kw)
    db.session.add(g)
    db.session.flush()
    return g


def episode(package, *, start=date(2026, 1, 5), age=70, from_hospital=True, **kw):
    """An episode straight into the database."""
    e = ReablementEpisode(service_user_id=package.service_user_id, package_id=package.id,
                          start_date=start, planned_end=kw.pop("planned_end", start),
                          from_hospital=from_hospital, age_at_start=age, **kw)
    db.session.add(e)
    db.session.flush()
    return e
