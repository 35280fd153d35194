"""Check-in, check-out and no-access for one visit, sent live from the phone."""
from functools import wraps

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from backend.models import EventKind, Role
from backend.services.attendance import check_ins, quick_check_ins
from mobile_api.auth import BEARER, bearer_token, current_user, token_required
from mobile_api.event_schemas import (
    CheckInSchema, CheckOutSchema, EventResultSchema, NoAccessSchema,
)
from mobile_api.idempotency import HEADER, HEADER_DOC, idempotent
from mobile_api.plain_dump import plain_dumper

blp = Blueprint("visit_events", __name__, description="Attendance at a visit")
# Instances: given a class, webargs builds one per request.
CHECK_IN, CHECK_OUT, NO_ACCESS = CheckInSchema(), CheckOutSchema(), NoAccessSchema()
QUICK_RESULT = plain_dumper(EventResultSchema())


def _answer(outcome: check_ins.Outcome):
    return outcome, 201 if outcome.result == "accepted" else 200


def quick(kind: EventKind, schema):
    """Answer the usual event through quick_check_ins, before the view's authentication,
    parsing and serialising layers run; any other request (no token, a body the schema
    refuses, an Idempotency-Key, an event the quick path declines) goes on to the view,
    which answers it in full."""

    def decorate(view):
        @wraps(view)
        def wrapped(visit_id):
            token, body = bearer_token(), request.get_json(silent=True)
            if token and isinstance(body, dict) and HEADER not in request.headers:
                try:
                    answer = quick_check_ins.record(token, visit_id, kind, schema.load(body))
                except ValidationError:
                    answer = None
                if answer is not None:
                    return jsonify(QUICK_RESULT(answer)), 201
            return view(visit_id=visit_id)

        return wrapped

    return decorate


@blp.post("/visits/<uuid:visit_id>/check-in")
@blp.doc(security=[BEARER], parameters=[HEADER_DOC])
@quick(EventKind.CHECK_IN, CHECK_IN)
@token_required(Role.CARE_WORKER)
@idempotent
@blp.arguments(CHECK_IN)
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="a replay of an earlier send")
def check_in(data, visit_id):
    """Arrive at a visit. Outside the geofence it is accepted and flagged, never refused."""
    return _answer(check_ins.record(current_user(), visit_id, EventKind.CHECK_IN, data))


@blp.post("/visits/<uuid:visit_id>/check-out")
@blp.doc(security=[BEARER], parameters=[HEADER_DOC])
@quick(EventKind.CHECK_OUT, CHECK_OUT)
@token_required(Role.CARE_WORKER)
@idempotent
@blp.arguments(CHECK_OUT)
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="a replay of an earlier send")
def check_out(data, visit_id):
    """Leave a visit with tasks done or not, a note, goal progress and any concern."""
    return _answer(check_ins.record(current_user(), visit_id, EventKind.CHECK_OUT, data))


@blp.post("/visits/<uuid:visit_id>/no-access")
@blp.doc(security=[BEARER], parameters=[HEADER_DOC])
@quick(EventKind.NO_ACCESS, NO_ACCESS)
@token_required(Role.CARE_WORKER)
@idempotent
@blp.arguments(NO_ACCESS)
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="a replay of an earlier send")
def no_access(data, visit_id):
    """Could not get in, or the person refused care."""
    return _answer(check_ins.record(current_user(), visit_id, EventKind.NO_ACCESS, data))
