"""Outcome goals: set and reviewed by provider managers, read by the care team."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.outcomes import goals
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.outcome_schemas import (
    GoalIn,
    GoalOut,
    GoalReviewIn,
    ProgressCorrectionIn,
    ProgressOut,
)

blp = Blueprint("goals", __name__, description="Outcome goals set with the person")
READERS = (Role.CARE_WORKER, Role.PROVIDER_MANAGER, Role.COMMISSIONER)


@blp.post("/service-users/<uuid:service_user_id>/goals")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(GoalIn)
@blp.response(201, GoalOut)
def create_goal(data, service_user_id):
    """Set a goal with the person, in their own words."""
    return goals.create_goal(current_user(), service_user_id, **data)


@blp.get("/service-users/<uuid:service_user_id>/goals")
@blp.doc(security=[BEARER])
@token_required(*READERS)
@blp.response(200, GoalOut(many=True))
def list_goals(service_user_id):
    """A person's goals with their current attainment."""
    return goals.list_goals(current_user(), service_user_id)


@blp.patch("/goals/<uuid:goal_id>")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(GoalReviewIn)
@blp.response(200, GoalOut)
def review_goal(data, goal_id):
    """Review a goal: close it as achieved, partly achieved or discontinued, or reopen it."""
    return goals.review_goal(current_user(), goal_id, **data)


@blp.post("/goals/<uuid:goal_id>/progress-corrections")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(ProgressCorrectionIn)
@blp.response(201, ProgressOut)
def correct_progress(data, goal_id):
    """Correct a progress entry: a new entry that supersedes it."""
    return goals.correct_progress(current_user(), goal_id, **data)
