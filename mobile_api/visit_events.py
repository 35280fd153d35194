"""Check-in, check-out and no-access for one visit, sent live from the phone."""
from mobile_api.blueprint import Blueprint

from backend.models import EventKind, Role
from backend.services.attendance import pipeline
from mobile_api.auth import BEARER, caller, token_required
from mobile_api.event_schemas import (
    CheckInSchema, CheckOutSchema, EventResultSchema, NoAccessSchema,
)
from mobile_api.idempotency import HEADER_DOC, idempotent

blp = Blueprint("visit_events", __name__, description="Attendance at a visit")
# Schemas are given as instances: given a class, webargs builds a new one per request.


def _answer(outcome: pipeline.Outcome):
    return outcome, 201 if outcome.result == "accepted" else 200


@blp.post("/visits/<uuid:visit_id>/check-in")
@blp.doc(security=[BEARER], parameters=[HEADER_DOC])
@token_required(Role.CARE_WORKER)
@idempotent
@blp.arguments(CheckInSchema())
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="a replay of an earlier send")
def check_in(data, visit_id):
    """Arrive at a visit. Outside the geofence it is accepted and flagged, never refused."""
    return _answer(pipeline.record(caller(), visit_id, EventKind.CHECK_IN, data))


@blp.post("/visits/<uuid:visit_id>/check-out")
@blp.doc(security=[BEARER], parameters=[HEADER_DOC])
@token_required(Role.CARE_WORKER)
@idempotent
@blp.arguments(CheckOutSchema())
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="a replay of an earlier send")
def check_out(data, visit_id):
    """Leave a visit with tasks done or not, a note, goal progress and any concern."""
    return _answer(pipeline.record(caller(), visit_id, EventKind.CHECK_OUT, data))


@blp.post("/visits/<uuid:visit_id>/no-access")
@blp.doc(security=[BEARER], parameters=[HEADER_DOC])
@token_required(Role.CARE_WORKER)
@idempotent
@blp.arguments(NoAccessSchema())
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="a replay of an earlier send")
def no_access(data, visit_id):
    """Could not get in, or the person refused care."""
    return _answer(pipeline.record(caller(), visit_id, EventKind.NO_ACCESS, data))
