"""National measures for commissioners and providers: NICE QS123 statement 4."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from backend.models import Role
from backend.services.national.qs123 import visit_length
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.outcome_schemas import MeasuresQuery, PeriodOut, ScopeOut

blp = Blueprint("national_api", __name__, description="National measures and returns")


class VisitLengthFigures(Schema):
    at_least_30_minutes = fields.Dict()
    short_agreed = fields.Dict()
    left_out = fields.Dict()


class VisitLengthRow(VisitLengthFigures):
    provider = fields.Dict()
    funder = fields.Dict()


class VisitLengthOut(Schema):
    period = fields.Nested(PeriodOut)
    scope = fields.Nested(ScopeOut)
    total = fields.Nested(VisitLengthFigures)
    rows = fields.List(fields.Nested(VisitLengthRow))
    definition = fields.Dict()


@blp.get("/national/qs123/visit-length")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
@blp.arguments(MeasuresQuery, location="query")
@blp.response(200, VisitLengthOut)
def qs123_visit_length(query):
    """Visits of at least 30 minutes, and of the shorter ones the share agreed in the plan."""
    return visit_length(current_user(), **query)
