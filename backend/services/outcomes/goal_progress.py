"""Recording progress on a person's outcome goals (at check-out, or later by a manager)."""
from datetime import datetime

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    MEASURE_RANGES, Goal, GoalProgress, GoalStatus, User, Visit, VisitEvent,
)
from backend.services.dates import clock


def validate_score(goal: Goal, score, field: str = "score") -> int:
    """A whole number inside the goal's measure."""
    low, high = MEASURE_RANGES[goal.measure]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise Invalid(f"A {goal.measure.value} score is a whole number from {low} to {high}.",
                      field=field)
    return score


def check_progress(goal: Goal, score, supersedes: GoalProgress | None = None) -> None:
    """Invalid, saying why, when this score cannot be recorded on the goal."""
    if goal.status != GoalStatus.ACTIVE and supersedes is None:
        raise Invalid("Progress can only be recorded on an active goal.", field="goal_id")
    validate_score(goal, score)


def record_progress(goal: Goal, recorded_by: User, score, note: str | None = None,
                    visit: Visit | None = None, event: VisitEvent | None = None,
                    supersedes: GoalProgress | None = None,
                    recorded_at: datetime | None = None) -> GoalProgress:
    """A new progress entry; an edit is a new entry that supersedes, never an overwrite."""
    check_progress(goal, score, supersedes)
    if visit is not None and visit.package.service_user_id != goal.service_user_id:
        raise Invalid("That goal belongs to someone else, not the person visited.",
                      field="goal_id")
    if supersedes is not None and supersedes.goal_id != goal.id:
        raise Invalid("The entry being corrected is for another goal.", field="supersedes_id")
    entry = GoalProgress(
        goal_id=goal.id, visit_id=visit.id if visit else None,
        event_id=event.id if event else None, recorded_by_id=recorded_by.id,
        recorded_at=recorded_at or clock.now(), score=validate_score(goal, score),
        note=(note or None), supersedes_id=supersedes.id if supersedes else None)
    db.session.add(entry)
    db.session.flush()
    return entry
