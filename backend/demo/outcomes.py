"""Demo outcomes: goals in people's own words, progress at completed visits, reablement.

`add_outcomes(rng, today)` works only from what is already in the database (people,
packages, completed visits and who did them, provider managers) and adds rows in bulk.
A goal slot is reviewed every ~12 weeks and, once closed, a new goal takes its place, so a
county-year has progress all year round (about one entry per three visits).
"""
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from backend.demo.hospital_stays import insert_stays, stay_rows
from backend.demo.outcome_episodes import episode_rows, insert_episodes
from backend.extensions import db
from backend.models import (
    CarePackage,
    Goal,
    GoalProgress,
    PackageType,
    Role,
    User,
    Visit,
    VisitAssignment,
    VisitStatus,
)

GOALS = {
    "personal_care": ["I want to wash and dress myself in the mornings",
                      "I'd like to get in and out of the shower on my own",
                      "Do my own hair again, like I used to"],
    "food_and_drink": ["I want to make my own breakfast and a cup of tea",
                       "Cook a proper dinner for myself a couple of times a week",
                       "Get to the kitchen and back with my tray"],
    "safety": ["I want to feel safe on the stairs at night",
               "Get to the toilet at night without falling",
               "Remember my tablets without someone reminding me"],
    "accommodation": ["Keep my flat tidy the way I like it",
                      "Stay in my own home with my cat"],
    "occupation": ["Get back out to my allotment", "Walk to the paper shop on my own",
                   "Do my crossword and read the paper every day"],
    "social_participation": ["Go to the lunch club on Thursdays",
                             "Ring my grandson every Sunday", "Get to church on Sundays"],
    "control": ["Decide for myself what time I get up", "Sort out my own money again",
                "Choose what I eat each day"],
    "dignity": ["Be helped in a way that doesn't embarrass me",
                "Have the same carers so I don't have to explain everything again"],
}
MEASURES = [("gas", 80), ("scale_10", 10), ("independence", 10)]
REVIEW_WEEKS = (10, 14)
RECORD_CHANCE = 0.45  # per goal per completed visit: ~1 entry per 3 visits county-wide
PACKAGES_PER_QUERY = 200


def add_outcomes(rng: random.Random, today: date) -> None:
    """Goals, progress history and reablement episodes for the people already there."""
    now = datetime.combine(today, time(18), tzinfo=UTC)
    goals = _goal_rows(rng, today, now)
    columns = set(Goal.__table__.c.keys())
    rows = [{k: v for k, v in goal.items() if k in columns} for goal in goals]
    for start in range(0, len(rows), 5000):
        db.session.execute(Goal.__table__.insert(), rows[start:start + 5000])
    _add_progress(rng, goals)
    episodes = episode_rows(rng, today)
    insert_episodes(episodes)
    insert_stays(stay_rows(random.Random(f"{rng.random()}:hospital"), episodes, today))
    db.session.flush()


def _managers() -> dict:
    managers: dict = {}
    for user_id, org_id in db.session.execute(sa.select(User.id, User.organisation_id).where(
            User.role == Role.PROVIDER_MANAGER).order_by(User.username)):
        managers.setdefault(org_id, []).append(user_id)
    return managers


def _levels(rng: random.Random, measure: str) -> tuple[int, int, int]:
    """Baseline, target and where the person will get to."""
    if measure == "gas":
        baseline = -1 if rng.random() < 0.8 else -2
        final = rng.choices([-2, -1, 0, 1, 2], weights=[3, 17, 45, 25, 10])[0]
        return baseline, 0, max(final, baseline)
    if measure == "scale_10":
        baseline = rng.randint(1, 5)
        target = min(10, baseline + rng.randint(2, 5))
        return baseline, target, rng.randint(baseline, min(10, target + 1))
    return 0, 2, rng.choice([0, 1, 1, 2, 2, 2])


def _goal_rows(rng: random.Random, today: date, now: datetime) -> list[dict]:
    packages = db.session.execute(sa.select(
        CarePackage.id, CarePackage.service_user_id, CarePackage.provider_id,
        CarePackage.package_type, CarePackage.start_date)
        .where(CarePackage.start_date <= today)
        .order_by(CarePackage.service_user_id, CarePackage.start_date)).all()
    first_visit = dict(db.session.execute(
        sa.select(Visit.package_id, sa.func.min(Visit.actual_end))
        .where(Visit.status == VisitStatus.COMPLETED).group_by(Visit.package_id)).all())
    managers = _managers()
    latest = {p.service_user_id: p for p in packages}  # each person's newest package
    rows = []
    for package in latest.values():
        reablement = package.package_type == PackageType.REABLEMENT
        if rng.random() > (0.9 if reablement else 0.4):
            continue
        # Goals were set at the start, or during the months before the visits on record.
        started = datetime.combine(package.start_date, time(11), tzinfo=UTC)
        begin = first_visit.get(package.id) or started
        begin = max(started, begin - timedelta(days=rng.randint(1, 180),
                                               hours=rng.randint(0, 4)))
        author = (managers.get(package.provider_id) or [None])[0]
        domains = rng.sample(sorted(GOALS), rng.choice([1, 2, 2, 3]))
        for domain in domains:
            created = begin
            while created < now:
                rows.append(_goal(rng, today, now, package, domain, created, author))
                closed = rows[-1]["closed_at"]
                if closed is None:
                    break
                created = closed
    return rows


def _goal(rng, today, now, package, domain, created, author) -> dict:
    measure = rng.choices([m for m, _ in MEASURES], weights=[w for _, w in MEASURES])[0]
    if package.package_type == PackageType.REABLEMENT and rng.random() < 0.5:
        measure = "independence"
    baseline, target, final = _levels(rng, measure)
    review = created.date() + timedelta(weeks=rng.randint(*REVIEW_WEEKS))
    closed_at, status, reason = None, "active", None
    if review < today:
        closed_at = datetime.combine(review, time(14), tzinfo=UTC)
        if final >= target:
            status = "achieved"
        elif final > baseline:
            status = "partly_achieved"
        else:
            status, reason = "discontinued", "No progress; agreed a different goal at review"
    return dict(
        id=uuid.uuid4(), service_user_id=package.service_user_id, package_id=package.id,
        description=rng.choice(GOALS[domain]), domain=domain, measure=measure,
        baseline=baseline, target=target, importance=rng.randint(1, 3),
        difficulty=rng.randint(1, 3), review_date=review, status=status,
        status_reason=reason, created_by_id=author, created_at=created, closed_at=closed_at,
        reviewed_at=closed_at, reviewed_by_id=author if closed_at else None,
        final=final, until=closed_at or now, correcter=author)


def _score(rng: random.Random, goal: dict, at: datetime) -> int:
    """Moves from the baseline towards where the person gets to, with day-to-day noise."""
    span = (goal["until"] - goal["created_at"]).total_seconds() or 1
    share = min(1.0, max(0.0, (at - goal["created_at"]).total_seconds() / span))
    low, high = {"gas": (-2, 2), "scale_10": (0, 10), "independence": (0, 2)}[goal["measure"]]
    value = goal["baseline"] + (goal["final"] - goal["baseline"]) * share ** 0.7
    return max(low, min(high, round(value + rng.uniform(-0.6, 0.6))))


def _add_progress(rng: random.Random, goals: list[dict]) -> None:
    """Entries at completed visits of each goal's package, by the worker who checked out."""
    by_package: dict = {}
    for goal in goals:
        by_package.setdefault(goal["package_id"], []).append(goal)
    package_ids = sorted(by_package)
    for start in range(0, len(package_ids), PACKAGES_PER_QUERY):
        chunk = package_ids[start:start + PACKAGES_PER_QUERY]
        visits = db.session.execute(
            sa.select(Visit.id, Visit.package_id, Visit.actual_end, VisitAssignment.worker_id)
            .join(VisitAssignment, VisitAssignment.visit_id == Visit.id)
            .where(Visit.package_id.in_(chunk), Visit.status == VisitStatus.COMPLETED,
                   Visit.actual_end.is_not(None))
            .order_by(Visit.package_id, Visit.actual_end, VisitAssignment.worker_id)).all()
        rows, last = [], None
        for visit_id, package_id, ended, worker_id in visits:
            if visit_id == last:  # a double-up: the first carer records
                continue
            last = visit_id
            for goal in by_package[package_id]:
                if goal["created_at"] < ended < goal["until"] and rng.random() < RECORD_CHANCE:
                    rows.append(_entry(rng, goal, visit_id, worker_id, ended))
                    if goal["correcter"] and rng.random() < 0.005:
                        rows.append(_correction(rng, goal, rows[-1]))
        table = GoalProgress.__table__
        for at in range(0, len(rows), 10000):
            db.session.execute(table.insert(), rows[at:at + 10000])


def _entry(rng, goal, visit_id, worker_id, ended) -> dict:
    return dict(id=uuid.uuid4(), goal_id=goal["id"], visit_id=visit_id, event_id=None,
                recorded_by_id=worker_id, recorded_at=ended, entered_at=ended,
                score=_score(rng, goal, ended), note=None, supersedes_id=None)


def _correction(rng, goal, entry) -> dict:
    low, high = {"gas": (-2, 2), "scale_10": (0, 10), "independence": (0, 2)}[goal["measure"]]
    score = max(low, min(high, entry["score"] + rng.choice([-1, 1])))
    return {**entry, "id": uuid.uuid4(), "recorded_by_id": goal["correcter"],
            "entered_at": entry["recorded_at"] + timedelta(days=1), "score": score,
            "note": "Corrected after talking it through with the family",
            "supersedes_id": entry["id"]}
