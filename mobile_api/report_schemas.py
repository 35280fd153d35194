"""Marshmallow schemas for the reports and corrections API."""
from marshmallow import Schema, fields, validate

from backend.services.dates.periods import PERIOD_KINDS


class ReportQuerySchema(Schema):
    """A period (kind + date, or from/to), an optional grouping, provider and format."""

    period = fields.String(validate=validate.OneOf(PERIOD_KINDS))
    date = fields.Date()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    group = fields.String()
    provider_id = fields.UUID()
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class PageQuerySchema(ReportQuerySchema):
    """A report query with a page of per-visit rows."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class PeriodSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()


_HOUR_NAMES = ("commissioned", "planned", "delivered", "verified", "unverified", "missed",
               "no_access", "cancelled", "variance")


# Counts and minutes are a share of a jointly funded package's (0.7 of a visit): numbers.
HoursFiguresSchema = Schema.from_dict({
    "visits": fields.Float(),
    "variance_pct": fields.Float(allow_none=True),
    "cancelled_by_reason": fields.Dict(keys=fields.String(), values=fields.Float()),
    **{f"{n}_{unit}": fields.Float() for n in _HOUR_NAMES for unit in ("minutes", "hours")},
}, name="HoursFigures")


class HoursRowSchema(HoursFiguresSchema):
    group = fields.Dict()


class HoursReportSchema(Schema):
    period = fields.Nested(PeriodSchema)
    group_by = fields.List(fields.String())
    rows = fields.List(fields.Nested(HoursRowSchema))
    total = fields.Nested(HoursFiguresSchema)


class PaymentFiguresSchema(Schema):
    visits = fields.Float()
    billed_visits = fields.Float()
    actual_minutes = fields.Float()
    raw_minutes = fields.Float()
    billed_minutes = fields.Float()
    amount_pence = fields.Integer()
    # Visits not verified in the home that a contract holds until a provider manager
    # confirms them: how many, and what they bill once confirmed (not in amount_pence).
    held_visits = fields.Float()  # shares of visits for a co-funder, as above
    held_minutes = fields.Float()
    held_pence = fields.Integer()
    confirmed_visits = fields.Float()


class PaymentRowSchema(PaymentFiguresSchema):
    group = fields.Dict()


class PaymentReportSchema(Schema):
    period = fields.Nested(PeriodSchema)
    group_by = fields.List(fields.String())
    rows = fields.List(fields.Nested(PaymentRowSchema))
    total = fields.Nested(PaymentFiguresSchema)


class VisitBillSchema(Schema):
    """One visit's bill: raw time (seconds, and minutes shown half up) beside the billed
    minutes, and the rule in words."""

    visit_id = fields.String()
    council_ref = fields.String()
    provider = fields.String()
    funder = fields.String()
    date = fields.Date()
    planned_start = fields.AwareDateTime()
    status = fields.String()
    planned_minutes = fields.Integer()
    actual_minutes = fields.Integer(allow_none=True)
    raw_seconds = fields.Integer()
    raw_minutes = fields.Integer()
    billed_minutes = fields.Integer()
    rate = fields.String()
    amount_pence = fields.Integer()
    rule = fields.String()
    location_verified = fields.Boolean(allow_none=True)
    flags = fields.List(fields.String())
    share_pct = fields.Float()  # the reading commissioner's share (100 for others)
    share_pence = fields.Integer()
    funder_shares = fields.List(fields.Dict())
    held = fields.Boolean()
    held_pence = fields.Integer()
    confirmed = fields.Boolean()


class VisitBillPageSchema(Schema):
    period = fields.Nested(PeriodSchema)
    page = fields.Integer()
    per_page = fields.Integer()
    visits = fields.List(fields.Nested(VisitBillSchema))


class StampSchema(Schema):
    """A check-in or check-out as recorded (a correction never changes it)."""

    utc = fields.AwareDateTime()
    local = fields.AwareDateTime()
    received_utc = fields.AwareDateTime()
    method = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    verified = fields.Boolean(allow_none=True)
    flags = fields.List(fields.String())


class CorrectionSchema(Schema):
    at_utc = fields.AwareDateTime()
    by = fields.String()
    reason_code = fields.String(allow_none=True)
    resolution_code = fields.String(allow_none=True)
    corrected_start = fields.AwareDateTime(allow_none=True)
    corrected_end = fields.AwareDateTime(allow_none=True)
    note = fields.String(allow_none=True)


class CarerTimesSchema(Schema):
    """One carer at one visit: what they recorded, and the times that count (after any
    correction) with the seconds delivered."""

    worker_id = fields.String()
    worker = fields.String()
    staff_ref = fields.String(allow_none=True)
    check_in = fields.Nested(StampSchema, allow_none=True)
    check_out = fields.Nested(StampSchema, allow_none=True)
    no_access = fields.Nested(StampSchema, allow_none=True)
    start_utc = fields.AwareDateTime(allow_none=True)
    start_local = fields.AwareDateTime(allow_none=True)
    end_utc = fields.AwareDateTime(allow_none=True)
    end_local = fields.AwareDateTime(allow_none=True)
    delivered_seconds = fields.Integer(allow_none=True)
    flags = fields.List(fields.String())
    corrections = fields.List(fields.Nested(CorrectionSchema))


class VisitTimesSchema(VisitBillSchema):
    planned_start_local = fields.AwareDateTime()
    service_type = fields.String()
    nhs_number = fields.String(allow_none=True)
    home = fields.Dict()
    carers = fields.List(fields.Nested(CarerTimesSchema))


class VisitTimesPageSchema(Schema):
    period = fields.Nested(PeriodSchema)
    page = fields.Integer()
    per_page = fields.Integer()
    visits = fields.List(fields.Nested(VisitTimesSchema))


class NamedSchema(Schema):
    id = fields.String()
    name = fields.String()


QualityFiguresSchema = Schema.from_dict({
    **{name: fields.Float() for name in (  # a jointly funded visit counts by share
        "visits_due", "started", "punctual", "late", "missed", "completed", "short",
        "early_finish", "under_30", "location_judged", "location_verified")},
    **{name: fields.Integer() for name in (
        "person_months", "travel_pairs", "travel_short_pairs", "travel_needed_min",
        "travel_allowed_min", "alerts_acknowledged")},
    **{name: fields.Float(allow_none=True) for name in (
        "punctuality_pct", "missed_pct", "short_pct", "under_30_pct", "home_logging_pct",
        "continuity_mean_carers", "travel_short_pct", "travel_allowed_pct",
        "alert_response_median_min",
        "alert_response_mean_min")},
    "home_logging_target_pct": fields.Integer(allow_none=True),
    "home_logging_met": fields.Boolean(allow_none=True),
}, name="QualityFigures")


class QualityRowSchema(QualityFiguresSchema):
    provider = fields.Nested(NamedSchema)


class QualityReportSchema(Schema):
    period = fields.Nested(PeriodSchema)
    rows = fields.List(fields.Nested(QualityRowSchema))
    total = fields.Nested(QualityFiguresSchema)


class CorrectionRowSchema(Schema):
    event_id = fields.String()
    visit_id = fields.String()
    visit_date = fields.Date()
    planned_start = fields.AwareDateTime()
    council_ref = fields.String()
    provider = fields.Nested(NamedSchema)
    worker = fields.String()
    corrected_by = fields.String()
    corrected_by_role = fields.String()
    corrected_at = fields.AwareDateTime()
    reason_code = fields.String()
    resolution_code = fields.String()
    corrected_start = fields.AwareDateTime(allow_none=True)
    corrected_end = fields.AwareDateTime(allow_none=True)
    minutes_before = fields.Integer(allow_none=True)
    minutes_after = fields.Integer(allow_none=True)
    minutes_changed = fields.Integer()
    note = fields.String()


class CorrectionSummarySchema(Schema):
    provider = fields.Nested(NamedSchema)
    corrections = fields.Integer()
    minutes_changed = fields.Integer()
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())


class CorrectionsReportSchema(Schema):
    period = fields.Nested(PeriodSchema)
    rows = fields.List(fields.Nested(CorrectionRowSchema))
    by_provider = fields.List(fields.Nested(CorrectionSummarySchema))
    total = fields.Dict()


class CorrectionInSchema(Schema):
    """A correction to one worker's times on a visit."""

    worker_id = fields.UUID(required=True)
    corrected_start = fields.AwareDateTime(allow_none=True, load_default=None)
    corrected_end = fields.AwareDateTime(allow_none=True, load_default=None)
    reason_code = fields.String(required=True)
    resolution_code = fields.String(required=True)
    note = fields.String(allow_none=True, load_default=None,
                         validate=validate.Length(max=2000))


class HeldVisitsSchema(Schema):
    """Visits held for a provider manager's confirmation, and those confirmed (the rule
    in words names who confirmed each and why)."""

    period = fields.Nested(PeriodSchema)
    held = fields.List(fields.Nested(VisitBillSchema))
    confirmed = fields.List(fields.Nested(VisitBillSchema))


class DeliveryConfirmationInSchema(Schema):
    """Why the provider is sure a visit not verified in the home was delivered."""

    reason = fields.String(required=True)


class DeliveryWithdrawalInSchema(Schema):
    """Why a confirmation of delivery is withdrawn (given in error)."""

    reason = fields.String(required=True)


class DeliveryConfirmationOutSchema(Schema):
    id = fields.String()
    visit_id = fields.String()
    confirmed_by_id = fields.String()
    confirmed_at = fields.AwareDateTime()
    reason = fields.String()


class CorrectionOutSchema(Schema):
    id = fields.String()
    visit_id = fields.String()
    worker_id = fields.String()
    recorded_by_id = fields.String()
    server_time = fields.AwareDateTime()
    corrected_start = fields.AwareDateTime(allow_none=True)
    corrected_end = fields.AwareDateTime(allow_none=True)
    reason_code = fields.String()
    resolution_code = fields.String()
    note = fields.String(allow_none=True)
    corrects_event_id = fields.String(allow_none=True)
    details = fields.Dict()
