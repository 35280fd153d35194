"""Commissioner audit and payment reports, JSON and CSV (issue 6)."""
from flask import Response, stream_with_context
from mobile_api.blueprint import Blueprint

from backend.models import Role
from backend.services.audit import access_log, reports
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.report_schemas import (
    CorrectionsReportSchema, HeldVisitsSchema, HoursReportSchema, PageQuerySchema,
    PaymentReportSchema,
    QualityReportSchema, ReportQuerySchema, VisitBillPageSchema, VisitTimesPageSchema,
)

blp = Blueprint("reports", __name__,
                description="Delivered vs commissioned hours, payment, quality, corrections")
READERS = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)


def csv_response(lines, name: str, query: dict) -> Response:
    """A streamed CSV download, logged (who downloaded which export, asking for what)."""
    access_log.record_download(current_user(), f"{name}.csv", **query)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _report(report, query: dict, name: str):
    user = current_user()
    if query.get("format") == "csv":
        return csv_response(reports.as_csv(report, user, query), name, query)
    return report(user, query)


@blp.get("/reports/hours")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, HoursReportSchema)
@blp.doc(security=[BEARER])
def hours(query):
    """Commissioned, planned, delivered and verified hours by provider, funder, package,
    service user, area, week or month (group=provider,month). ?format=csv for a CSV."""
    return _report(reports.hours_report, query, "hours")


@blp.get("/reports/payment")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, PaymentReportSchema)
@blp.doc(security=[BEARER])
def payment(query):
    """Billed minutes and amounts per group under each contract's rules."""
    return _report(reports.payment_report, query, "payment")


@blp.get("/reports/payment/visits")
@token_required(*READERS)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, VisitBillPageSchema)
@blp.doc(security=[BEARER])
def payment_visits(query):
    """Each visit's raw and billed minutes, amount and the rule that produced it."""
    return reports.payment_visits(current_user(), query)


@blp.get("/reports/payment/held")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, HeldVisitsSchema)
@blp.doc(security=[BEARER])
def payment_held(query):
    """Visits not verified in the home that their contract holds: those waiting for the
    provider's confirmation and those confirmed, with who and why."""
    return reports.held_visits(current_user(), query)


@blp.get("/reports/quality")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, QualityReportSchema)
@blp.doc(security=[BEARER])
def quality(query):
    """Punctuality, missed, short, under-30, home logging, continuity, travel, alerts."""
    return _report(reports.quality_report, query, "quality")


@blp.get("/reports/corrections")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, CorrectionsReportSchema)
@blp.doc(security=[BEARER])
def corrections(query):
    """Every correction on visits in the period: who, when, why, minutes changed."""
    return _report(reports.corrections, query, "corrections")


@blp.get("/reports/actuals.csv")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, content_type="text/csv")
@blp.doc(security=[BEARER])
def actuals(query):
    """Per-visit actuals for a council finance system (streamed CSV)."""
    return csv_response(reports.actuals_csv(current_user(), query), "actuals", query)


@blp.get("/reports/visit-times")
@token_required(*READERS)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, VisitTimesPageSchema)
@blp.doc(security=[BEARER])
def visit_times(query):
    """Per visit: each carer's check-in and check-out (UTC and local), method, distance,
    verified, flags and corrections, with the visit's bill and the billing rule."""
    return reports.visit_times_page(current_user(), query)


@blp.get("/reports/visit-times.csv")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, content_type="text/csv")
@blp.doc(security=[BEARER])
def visit_times_csv(query):
    """The same, one row per visit and carer (streamed CSV)."""
    return csv_response(reports.visit_times_csv(current_user(), query), "visit-times", query)


@blp.get("/reports/evv.csv")
@token_required(*READERS)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, content_type="text/csv")
@blp.doc(security=[BEARER])
def evv(query):
    """The US EVV six elements (service type, recipient, date, location, worker, begin and
    end) per visit and attending carer, with edit reason and resolution codes."""
    return csv_response(reports.evv_csv(current_user(), query), "evv", query)
