"""Outcome measures for commissioners and providers, and a person's outcome timeline."""
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.outcomes.measures import outcome_measures
from backend.services.outcomes.timeline import outcome_timeline
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.outcome_schemas import MeasuresOut, MeasuresQuery, TimelineOut

blp = Blueprint("outcomes", __name__, description="Outcome measures and timelines")


@blp.get("/outcomes/measures")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
@blp.arguments(MeasuresQuery, location="query")
@blp.response(200, MeasuresOut)
def measures(query):
    """ASCOF 2A, 2D, 2E and the earlier 2B, Barthel gain, hours reduction, goals and GAS."""
    return outcome_measures(current_user(), **query)


@blp.get("/service-users/<uuid:service_user_id>/outcome-timeline")
@blp.doc(security=[BEARER])
@token_required(Role.CARE_WORKER, Role.PROVIDER_MANAGER, Role.COMMISSIONER)
@blp.response(200, TimelineOut)
def timeline(service_user_id):
    """A person's goals with their progress series, and reablement milestones."""
    return outcome_timeline(current_user(), service_user_id)
