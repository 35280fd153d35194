"""National measures and returns: NICE QS123 statement 4; Client Level Data (CLD)."""
from mobile_api.blueprint import Blueprint
from marshmallow import Schema, fields

from backend.models import Role
from backend.services.national import capacity, cld
from backend.services.national.qs123 import visit_length
from mobile_api.reports import csv_response
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


class QuarterQuery(Schema):
    quarter = fields.Date(required=True, metadata={
        "description": "The quarter's first day: 1 January, April, July or October"})


class CldProblem(Schema):
    row = fields.Integer()
    event_reference = fields.String()
    person = fields.String()
    field = fields.String()
    problem = fields.String()


class CldReport(Schema):
    council = fields.Dict()
    period = fields.Nested(PeriodOut)
    rows = fields.Integer()
    rejected_rows = fields.Integer()
    problems = fields.List(fields.Nested(CldProblem))
    file_problems = fields.List(fields.Dict())


@blp.get("/national/cld/<uuid:council_id>.csv")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(QuarterQuery, location="query")
@blp.response(200, content_type="text/csv")
def cld_file(query, council_id):
    """The council's Client Level Data service rows for a quarter (Release 2 fields, CSV)."""
    return csv_response(cld.cld_csv(current_user(), council_id, query["quarter"]),
                        f"cld-{query['quarter']}", {**query, "council_id": council_id})


@blp.get("/national/cld/<uuid:council_id>/validation")
@blp.doc(security=[BEARER])
@token_required(Role.COMMISSIONER)
@blp.arguments(QuarterQuery, location="query")
@blp.response(200, CldReport)
def cld_validation(query, council_id):
    """The rows of that file that would be rejected, and why."""
    return cld.validation_report(current_user(), council_id, query["quarter"])


class CapacityQuery(Schema):
    month = fields.String(load_default=None, metadata={"description": "YYYY-MM"})
    provider_id = fields.UUID(load_default=None)
    format = fields.String(load_default="json")


class CapacityOut(Schema):
    month = fields.String()
    start = fields.Date(data_key="from", attribute="from")
    end = fields.Date(data_key="to", attribute="to")
    rows = fields.List(fields.Dict())


@blp.get("/national/capacity-tracker")
@blp.doc(security=[BEARER])
@token_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
@blp.arguments(CapacityQuery, location="query")
@blp.response(200, CapacityOut)
def capacity_tracker(query):
    """Capacity Tracker figures per provider for a month: people receiving care, care
    workers, absences from leave records. ?format=csv for the CSV."""
    report = capacity.capacity_figures(current_user(), query["month"], query["provider_id"])
    if query["format"] == "csv":
        return csv_response(capacity.capacity_csv(report), f"capacity-{report['month']}", query)
    return report
