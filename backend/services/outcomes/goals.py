"""Goals set with the person: create, review, list, and correct recorded progress."""
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.models import (
    MEASURE_RANGES,
    CarePackage,
    Goal,
    GoalMeasure,
    GoalProgress,
    GoalStatus,
    OutcomeDomain,
    ServiceUser,
    User,
    Visit,
    VisitEvent,
)
from backend.services.audit import access_log, trail
from backend.services.database import transactions
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference import validation
from backend.services.outcomes.gas import current_attainments
from backend.services.outcomes.goal_progress import record_progress

GOAL_FIELDS = ("description", "domain", "measure", "baseline", "target", "importance",
               "difficulty", "review_date", "package_id")
REVIEWED_FIELDS = ("description", "review_date", "status", "status_reason")
WEIGHT_RANGE = (0, 3)  # importance and difficulty, as in GAS-light (Turner-Stokes)
GAS_EXPECTED = 0  # on the GAS scale the expected outcome is 0 by definition


def _review_date(value: date | None, today: date) -> date | None:
    if value is not None and value < today:
        raise Invalid("A review date cannot be in the past.", field="review_date")
    return value


def _check_levels(measure: GoalMeasure, baseline, target) -> tuple[int, int]:
    low, high = MEASURE_RANGES[measure]
    baseline = validation.in_range(baseline, low, high, "baseline", f"{measure.value} baseline")
    target = validation.in_range(target, low, high, "target", f"{measure.value} target")
    if measure == GoalMeasure.GAS:
        if target != GAS_EXPECTED:
            raise Invalid("On the GAS scale the target (expected outcome) is 0.", field="target")
        if baseline >= GAS_EXPECTED:
            raise Invalid("A GAS baseline is -1, or -2 if things could not get worse.",
                          field="baseline")
    elif target == baseline:
        raise Invalid("The target must differ from the baseline.", field="target")
    return baseline, target


def create_goal(user: User, service_user_id, description: str, domain, baseline,
                target=None, measure=GoalMeasure.GAS, importance: int = 1,
                difficulty: int = 1, review_date: date | None = None, package_id=None,
                now: datetime | None = None) -> Goal:
    """A new active goal in the person's own words (provider managers of their provider)."""
    now = now or clock.now()
    person = access.get_changeable(user, ServiceUser, service_user_id, "person")
    package = None
    if package_id is not None:
        package = access.get_visible(user, CarePackage, package_id, "package")
        if package.service_user_id != person.id:
            raise Invalid("That package is someone else's.", field="package_id")
    description = (description or "").strip()
    if not description:
        raise Invalid("Write the goal in the person's own words.", field="description")
    measure = validation.choice(GoalMeasure, measure or GoalMeasure.GAS, "measure")
    if target is None and measure == GoalMeasure.GAS:
        target = GAS_EXPECTED
    baseline, target = _check_levels(measure, baseline, target)
    goal = Goal(
        service_user_id=person.id, package_id=package.id if package else None,
        description=description, domain=validation.choice(OutcomeDomain, domain, "domain"),
        measure=measure, baseline=baseline, target=target,
        importance=validation.in_range(importance, *WEIGHT_RANGE, "importance", "importance"),
        difficulty=validation.in_range(difficulty, *WEIGHT_RANGE, "difficulty", "difficulty"),
        review_date=_review_date(review_date, now.astimezone(clock.zone()).date()),
        status=GoalStatus.ACTIVE, created_by_id=user.id, created_at=now)
    db.session.add(goal)
    db.session.flush()
    trail.record_change(user, "goal_set", goal, {},
                        {name: getattr(goal, name) for name in GOAL_FIELDS})
    goal.current_attainment = None
    return goal


_UNSET = object()


def review_goal(user: User, goal_id, status=None, status_reason=_UNSET, review_date=_UNSET,
                description=None, score=None, note: str | None = None,
                now: datetime | None = None) -> Goal:
    """Review a goal: record where the person is now (a score, with a note), close it
    (achieved, partly achieved, discontinued with a reason; the reason or outcome in
    status_reason) or reopen it. Audited with the fields before and after."""
    now = now or clock.now()
    goal = access.get_changeable(user, Goal, goal_id, "goal")
    before = {name: getattr(goal, name) for name in REVIEWED_FIELDS}
    scored = {}
    if score is not None:
        # The score is where the person is at this review, so it is recorded while the
        # goal is still open; a closed goal is reopened first.
        if goal.status != GoalStatus.ACTIVE:
            raise Invalid("A score is recorded on an active goal; reopen the goal first.",
                          field="score")
        previous = current_attainments([goal.id]).get(goal.id)
        entry = record_progress(goal, user, score, note=(note or "").strip() or None,
                                recorded_at=now)
        entry.entered_at = now
        scored = {"before": {"score": previous}, "after": {"score": entry.score}}
    if description is not None:
        if not description.strip():
            raise Invalid("A goal needs a description.", field="description")
        goal.description = description.strip()
    if review_date is not _UNSET:
        goal.review_date = _review_date(review_date, now.astimezone(clock.zone()).date())
    reason = goal.status_reason if status_reason is _UNSET else (status_reason or "").strip()
    if status is not None:
        status = validation.choice(GoalStatus, status, "status")
        if status == GoalStatus.ACTIVE:
            goal.closed_at, reason = None, None
        elif status != goal.status:
            goal.closed_at = now
        goal.status = status
    if goal.status == GoalStatus.DISCONTINUED and not reason:
        raise Invalid("Say why the goal was discontinued.", field="status_reason")
    goal.status_reason = reason or None
    goal.reviewed_at, goal.reviewed_by_id = now, user.id
    db.session.flush()
    after = {name: getattr(goal, name) for name in REVIEWED_FIELDS}
    changed = [name for name in REVIEWED_FIELDS if before[name] != after[name]]
    if changed or scored:
        trail.record_change(
            user, "goal_reviewed", goal,
            {**{n: before[n] for n in changed}, **scored.get("before", {})},
            {**{n: after[n] for n in changed}, **scored.get("after", {})})
    goal.current_attainment = current_attainments([goal.id]).get(goal.id)
    return goal


def list_goals(user: User, service_user_id) -> list[Goal]:
    """A person's goals the user may see, each with its current attainment."""
    person = access.get_visible(user, ServiceUser, service_user_id, "person")
    access_log.record_read(user, "goals", person.id, person.id)
    goals = db.session.scalars(access.scoped(user, Goal).where(
        Goal.service_user_id == person.id).order_by(Goal.created_at, Goal.id)).all()
    scores = current_attainments([g.id for g in goals])
    for goal in goals:
        goal.current_attainment = scores.get(goal.id)
    return list(goals)


def correct_progress(user: User, goal_id, supersedes_id, score, note: str | None = None,
                     now: datetime | None = None) -> GoalProgress:
    """A correction: a new entry that supersedes a recorded one, never an overwrite."""
    now = now or clock.now()
    goal = access.get_changeable(user, Goal, goal_id, "goal")
    try:
        original = db.session.get(GoalProgress, uuid.UUID(str(supersedes_id)))
    except ValueError:
        original = None
    if original is None or original.goal_id != goal.id:
        raise NotFound("No progress entry with that id on this goal.")
    already = db.session.scalar(sa.select(GoalProgress.id).where(
        GoalProgress.supersedes_id == original.id))
    if already is not None:
        raise Conflict("That entry has already been corrected; correct the latest entry.",
                       fields={"supersedes_id": [str(already)]})
    visit = db.session.get(Visit, original.visit_id) if original.visit_id else None
    event = db.session.get(VisitEvent, original.event_id) if original.event_id else None
    # The correction describes the same moment, so the series keeps its shape.
    try:
        with transactions.savepoint():  # a concurrent correction of the same entry loses
            entry = record_progress(goal, user, score, note=note, visit=visit, event=event,
                                    supersedes=original, recorded_at=original.recorded_at)
    except IntegrityError:
        raise Conflict("That entry has just been corrected; correct the latest entry.",
                       fields={"supersedes_id": ["already corrected"]}) from None
    entry.entered_at = now
    db.session.flush()
    return entry
