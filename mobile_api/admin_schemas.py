"""Marshmallow schemas for administration: organisations, contracts, people, packages,
care workers and user accounts (explicit field lists; money in pence)."""
from marshmallow import Schema, fields

_int = dict(strict=True)
_opt_int = dict(strict=True, allow_none=True)


class OrganisationIn(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True)
    ods_code = fields.String(allow_none=True)
    cqc_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)


class OrganisationChange(Schema):
    name = fields.String()
    ods_code = fields.String(allow_none=True)
    cqc_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)


class OrganisationOut(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    ods_code = fields.String(allow_none=True)
    cqc_id = fields.String(allow_none=True)
    framework_status = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class AreaIn(Schema):
    name = fields.String(required=True)


class AreaOut(Schema):
    id = fields.UUID()
    name = fields.String()


class AreaIds(Schema):
    area_ids = fields.List(fields.UUID(), required=True)


class ContractTerms(Schema):
    """Every term a contract may set (all optional: the defaults are DOMAIN.md's)."""

    geofence_radius_m = fields.Integer(**_int)
    accuracy_allowance_max_m = fields.Integer(**_int)
    offline_window_hours = fields.Integer(**_int)
    home_logging_target_pct = fields.Integer(**_int)
    concern_escalate_after_min = fields.Integer(**_int)
    lock_after_days = fields.Integer(**_int)
    travel_speed_kmh = fields.Integer(**_int)
    billing_basis = fields.String()
    rounding_unit_min = fields.Integer(**_int)
    rounding = fields.String()
    minimum_billable_min = fields.Integer(**_int)
    complete_units_only = fields.Boolean()
    hourly_rate_pence = fields.Integer(**_int)
    floor_rate_pence = fields.Integer(**_opt_int)
    ceiling_rate_pence = fields.Integer(**_opt_int)
    double_up_rule = fields.String()
    # Visits not verified in the home: "paid" as usual, or "held" until a provider
    # manager confirms each was delivered, with a reason.
    unverified_visits = fields.String()


class ContractIn(ContractTerms):
    funder_id = fields.UUID(required=True)
    provider_id = fields.UUID(required=True)
    name = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)


class ContractChange(ContractTerms):
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)


class CallRateSchema(Schema):
    duration_min = fields.Integer(required=True, **_int)
    amount_pence = fields.Integer(required=True, **_int)


class CallRatesIn(Schema):
    call_rates = fields.List(fields.Nested(CallRateSchema), required=True)


class RuleIn(Schema):
    late_after_min = fields.Integer(**_int)
    missed_after_min = fields.Integer(**_opt_int)
    short_margin_min = fields.Integer(**_int)
    early_finish_min = fields.Integer(**_int)
    no_checkout_after_min = fields.Integer(**_int)
    escalate_after_min = fields.Integer(**_int)


class RuleOut(RuleIn):
    priority = fields.String()


class FunderShare(Schema):
    funder_id = fields.UUID(required=True)
    share_pct = fields.Decimal(required=True, places=2, as_string=True)


class FundersIn(Schema):
    funders = fields.List(fields.Nested(FunderShare), required=True)


class ContractOut(ContractChange):
    id = fields.UUID()
    funder_id = fields.UUID()
    provider_id = fields.UUID()


class ContractTermsOut(Schema):
    contract = fields.Nested(ContractOut)
    funder = fields.String()
    provider = fields.String()
    rules = fields.List(fields.Nested(RuleOut))
    call_rates = fields.List(fields.Nested(CallRateSchema))
    funders = fields.List(fields.Nested(FunderShare))
    may_change = fields.Boolean()


class PersonChange(Schema):
    council_ref = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    address = fields.String()
    postcode = fields.String()
    home_lat = fields.Float()
    home_lon = fields.Float()
    nhs_number = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    geofence_radius_m = fields.Integer(**_opt_int)
    geofence_off = fields.Boolean()
    access_notes = fields.String()
    area_id = fields.UUID(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_opted_in = fields.Boolean()


class PersonIn(PersonChange):
    council_ref = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    address = fields.String(required=True)
    postcode = fields.String(required=True)
    home_lat = fields.Float(required=True)
    home_lon = fields.Float(required=True)
    organisation_id = fields.UUID()


class PersonOut(PersonChange):
    id = fields.UUID()
    organisation_id = fields.UUID(allow_none=True)


class CallLineSchema(Schema):
    weekday = fields.Integer(required=True, **_int)
    start_time = fields.Time(required=True, format="%H:%M")
    duration_min = fields.Integer(required=True, **_int)
    carers_required = fields.Integer(load_default=1, **_int)
    priority = fields.String(load_default="normal")
    tasks = fields.List(fields.String(), load_default=list)
    required_skills = fields.List(fields.String(), load_default=list)
    short_call_agreed = fields.Boolean(load_default=False)


class PatternIn(Schema):
    schedule = fields.List(fields.Nested(CallLineSchema), required=True)


class PackageIn(Schema):
    service_user_id = fields.UUID(required=True)
    contract_id = fields.UUID(required=True)
    package_type = fields.String(required=True)
    weekly_minutes = fields.Integer(required=True, **_int)
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True)
    reference = fields.String(allow_none=True)
    schedule = fields.List(fields.Nested(CallLineSchema), load_default=list)


class PackageChange(Schema):
    package_type = fields.String()
    weekly_minutes = fields.Integer(**_int)
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    reference = fields.String(allow_none=True)


class ScheduledChangeIn(Schema):
    effective_date = fields.Date(required=True, metadata={
        "description": "the first day the change applies (today or later)"})
    weekly_minutes = fields.Integer(allow_none=True, load_default=None, **_int, metadata={
        "description": "commissioned minutes a week from that day; absent: unchanged"})
    schedule = fields.List(fields.Nested(CallLineSchema), allow_none=True, load_default=None,
                           metadata={"description": "the weekly pattern from that day; "
                                                    "absent: unchanged"})


class ScheduledChangeOut(Schema):
    id = fields.UUID()
    package_id = fields.UUID()
    effective_date = fields.Date()
    weekly_minutes = fields.Integer(allow_none=True)
    changes_pattern = fields.Boolean()
    schedule = fields.List(fields.Nested(CallLineSchema), attribute="lines")
    applied_at = fields.DateTime(allow_none=True)


class PackageOut(Schema):
    id = fields.UUID()
    service_user_id = fields.UUID()
    contract_id = fields.UUID()
    provider_id = fields.UUID()
    funder_id = fields.UUID()
    package_type = fields.String()
    weekly_minutes = fields.Integer()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    status = fields.String()
    reference = fields.String(allow_none=True)
    schedule = fields.List(fields.Nested(CallLineSchema))


class SuspensionIn(Schema):
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True)
    reason = fields.String(required=True)


class SuspensionOut(SuspensionIn):
    id = fields.UUID()
    package_id = fields.UUID()


class LastDayIn(Schema):
    end_date = fields.Date(required=True)


class CareWorkerChange(Schema):
    display_name = fields.String()
    email = fields.String(allow_none=True)
    staff_ref = fields.String(allow_none=True)
    contracted_weekly_minutes = fields.Integer(**_opt_int)
    max_weekly_minutes = fields.Integer(**_opt_int)
    max_daily_minutes = fields.Integer(**_opt_int)
    travel_mode = fields.String(allow_none=True)
    hourly_pay_pence = fields.Integer(**_opt_int)
    home_lat = fields.Float(allow_none=True)
    home_lon = fields.Float(allow_none=True)


class WindowSchema(Schema):
    weekday = fields.Integer(required=True, **_int)
    start_time = fields.Time(required=True, format="%H:%M")
    end_time = fields.Time(required=True, format="%H:%M")


class CareWorkerIn(CareWorkerChange):
    provider_id = fields.UUID(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    skills = fields.List(fields.String(), load_default=list)
    availability = fields.List(fields.Nested(WindowSchema), load_default=list)
    area_ids = fields.List(fields.UUID(), load_default=list)


class CareWorkerOut(CareWorkerChange):
    id = fields.UUID()
    username = fields.String()
    organisation_id = fields.UUID()
    active = fields.Boolean()


class CareWorkerProfileOut(Schema):
    worker = fields.Nested(CareWorkerOut)
    skills = fields.List(fields.String())
    availability = fields.List(fields.Nested(WindowSchema))
    leave = fields.List(fields.Nested(lambda: LeaveOut()))
    areas = fields.List(fields.Function(lambda row: str(row.area_id)))


class SkillsIn(Schema):
    skills = fields.List(fields.String(), required=True)


class AvailabilityIn(Schema):
    availability = fields.List(fields.Nested(WindowSchema), required=True)


class LeaveIn(Schema):
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    kind = fields.String(load_default="annual")
    reason = fields.String(load_default="")


class LeaveOut(LeaveIn):
    id = fields.UUID()
    worker_id = fields.UUID()


class InvitationIn(Schema):
    organisation_id = fields.UUID(required=True)
    username = fields.String(required=True)
    role = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class UserOut(Schema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    role = fields.String()
    organisation_id = fields.UUID()
    active = fields.Boolean()
    last_sign_in_at = fields.DateTime(allow_none=True)


class AccountLinkOut(Schema):
    user = fields.Nested(UserOut, allow_none=True)
    user_id = fields.UUID()
    purpose = fields.String()
    link = fields.String(allow_none=True, metadata={
        "description": "the one-time link, only when it was not emailed to the user"})
    emailed_to = fields.String(allow_none=True, metadata={
        "description": "where the link was emailed (through the outbox), if it was"})
    expires_at = fields.DateTime()


class SetPasswordIn(Schema):
    token = fields.String(required=True)
    password = fields.String(required=True)
