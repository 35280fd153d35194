"""Reablement episodes: start, discharge, and the 91-day follow-up."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.outcomes import reablement
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.outcome_schemas import DischargeIn, EpisodeIn, EpisodeOut, FollowUpIn

blp = Blueprint("episodes", __name__, description="Reablement episodes")


@blp.post("/service-users/<uuid:service_user_id>/episodes")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(EpisodeIn)
@blp.response(201, EpisodeOut)
def start_episode(data, service_user_id):
    """Start a reablement episode (often on hospital discharge)."""
    return reablement.start_episode(current_user(), service_user_id, **data)


@blp.post("/episodes/<uuid:episode_id>/discharge")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(DischargeIn)
@blp.response(200, EpisodeOut)
def discharge(data, episode_id):
    """End an episode; the 91-day follow-up is scheduled."""
    return reablement.discharge(current_user(), episode_id, **data)


@blp.post("/episodes/<uuid:episode_id>/follow-up")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER)
@blp.arguments(FollowUpIn)
@blp.response(200, EpisodeOut)
def follow_up(data, episode_id):
    """Record where the person is living at the 91-day follow-up."""
    return reablement.record_followup(current_user(), episode_id, **data)
