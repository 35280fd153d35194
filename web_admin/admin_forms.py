"""WTForms for the administration pages (CSRF on every form). Money is typed in pounds
and handed to the services in pence; the pattern and working windows are rows."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, DecimalField, EmailField, FieldList, FloatField, Form, FormField,
    IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from backend.models import (
    BillingBasis, DoubleUpRule, LeaveKind, OrganisationKind, PackageType, Priority, Role,
    Rounding, Skill, TravelMode,
)
from backend.models.contracts import ROUNDING_UNITS
from backend.services.national.codes import ACCOMMODATION_STATUSES
from web_admin.choices import options

WEEKDAYS = [(str(i), d) for i, d in enumerate(
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))]


def _choices(enum_cls) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum_cls]


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"{what} is required.")


class Checkboxes(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[_required("A name"), Length(max=200)])
    kind = SelectField("Kind", choices=options(_choices(OrganisationKind)))
    ods_code = StringField("ODS code", validators=[Optional(), Length(max=12)])
    cqc_id = StringField("CQC location id (providers)", validators=[Optional(), Length(max=20)])
    email = EmailField("Email", validators=[Optional(), Length(max=200)])
    phone = StringField("Office phone (providers: the number carers call)",
                        validators=[Optional(), Length(max=40)])
    webhook_url = StringField("Webhook address", validators=[Optional(), Length(max=500)])


class AreaForm(FlaskForm):
    name = StringField("Area name", validators=[_required("A name"), Length(max=100)])


class InviteForm(FlaskForm):
    username = StringField("Username", validators=[_required("A username"), Length(max=80)])
    display_name = StringField("Name", validators=[Optional(), Length(max=200)])
    email = EmailField("Email", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=options(_choices(Role)))
    organisation_id = SelectField("Organisation")


class ContractTermsForm(FlaskForm):
    name = StringField("Name", validators=[_required("A name"), Length(max=200)])
    starts_on = DateField("Starts on", validators=[_required("A start date")])
    ends_on = DateField("Ends on", validators=[Optional()])
    hourly_rate = DecimalField("Hourly rate (£)", places=2, validators=[
        _required("An hourly rate"), NumberRange(min=0)])
    floor_rate = DecimalField("Floor rate (£ an hour)", places=2, validators=[Optional()])
    ceiling_rate = DecimalField("Ceiling rate (£ an hour)", places=2, validators=[Optional()])
    billing_basis = SelectField("Billing basis", choices=options(_choices(BillingBasis)))
    rounding_unit_min = SelectField("Rounding unit (minutes)", coerce=int,
                                    choices=options([(u, str(u)) for u in ROUNDING_UNITS]))
    rounding = SelectField("Rounding", choices=options(_choices(Rounding)))
    minimum_billable_min = IntegerField("Minimum billable minutes", default=0,
                                        validators=[Optional()])
    complete_units_only = BooleanField("Pay only complete units")
    double_up_rule = SelectField("Double-up visits", choices=options(_choices(DoubleUpRule)))
    unverified_visits = SelectField("Visits not verified in the home", default="paid",
                                    choices=options([
        ("paid", "paid as usual"),
        ("held", "held until a provider manager confirms each was delivered, with a reason")]))
    geofence_radius_m = IntegerField("Geofence default (metres)", default=200)
    accuracy_allowance_max_m = IntegerField("GPS accuracy credited up to (metres)", default=100)
    offline_window_hours = IntegerField("Offline window (hours)", default=24)
    home_logging_target_pct = IntegerField("Home-logging target (%)", default=85)
    lock_after_days = IntegerField("Visits lock after (days)", default=7)


class ContractForm(ContractTermsForm):
    funder_id = SelectField("Funder")
    provider_id = SelectField("Provider")


class RateRow(Form):
    duration_min = IntegerField("Call length (minutes)", validators=[Optional()])
    amount = DecimalField("Rate (£)", places=2, validators=[Optional()])


class CallRatesForm(FlaskForm):
    call_rates = FieldList(FormField(RateRow), label="Call-length rates", min_entries=5)


class ShareRow(Form):
    funder_id = SelectField("Funder", validators=[Optional()])
    share_pct = DecimalField("Share (%)", places=2, validators=[Optional()])


class FundersForm(FlaskForm):
    funders = FieldList(FormField(ShareRow), label="Joint funding shares", min_entries=3)


class RuleForm(FlaskForm):
    late_after_min = IntegerField("Late after (minutes)")
    missed_after_min = IntegerField("Missed after start (minutes; blank: by the planned end)",
                                    validators=[Optional()])
    short_margin_min = IntegerField("Short by more than (minutes)")
    early_finish_min = IntegerField("Early finish by (minutes)")
    no_checkout_after_min = IntegerField("No check-out after (minutes)")
    escalate_after_min = IntegerField("Escalate after (minutes)")


class PersonForm(FlaskForm):
    council_ref = StringField("Reference (e.g. council client id)",
                              validators=[_required("A reference"), Length(max=40)])
    first_name = StringField("First name", validators=[_required("A first name")])
    last_name = StringField("Last name", validators=[_required("A last name")])
    nhs_number = StringField("NHS number", validators=[Optional(), Length(max=14)])
    date_of_birth = DateField("Date of birth", validators=[Optional()])
    address = TextAreaField("Address", validators=[_required("An address")])
    postcode = StringField("Postcode", validators=[_required("A postcode")])
    home_lat = FloatField("Home latitude (blank: from the address, if a geocoder is set up)",
                          validators=[Optional()])
    home_lon = FloatField("Home longitude", validators=[Optional()])
    geofence_radius_m = IntegerField("Geofence radius (metres; blank: the contract's)",
                                     validators=[Optional()])
    geofence_off = BooleanField("Geofence off (no signal at home)")
    access_notes = TextAreaField("Access notes (never a key safe code)",
                                 validators=[Optional(), Length(max=2000)])
    contact_name = StringField("Contact or next of kin", validators=[Optional()])
    contact_email = EmailField("Contact's email", validators=[Optional()])
    contact_phone = StringField("Contact's phone", validators=[Optional(), Length(max=40)])
    contact_opted_in = BooleanField("Contact agreed to be told of late or missed visits")
    accommodation_status = SelectField(
        "Accommodation (as the Client Level Data return records it)",
        choices=options([("", "not recorded")] + [(s, s) for s in ACCOMMODATION_STATUSES]),
        validators=[Optional()])


class CallRow(Form):
    weekday = SelectField("Day", choices=options([("", "-")] + WEEKDAYS), validators=[Optional()])
    start_time = TimeField("Start", validators=[Optional()])
    duration_min = IntegerField("Minutes", validators=[Optional()])
    carers_required = IntegerField("Carers", default=1, validators=[Optional()])
    priority = SelectField("Priority", choices=options(_choices(Priority)))
    tasks = StringField("Tasks (separated by ;)", validators=[Optional()])
    required_skills = StringField("Skills needed (separated by ,)", validators=[Optional()])
    short_call_agreed = BooleanField("Under 30 min agreed")


class PatternForm(FlaskForm):
    schedule = FieldList(FormField(CallRow), label="Weekly pattern", min_entries=1)


class ChangeFromForm(PatternForm):
    """A change from a given day: the minutes and the pattern as they will be then."""

    effective_date = DateField("From (the first day it applies)",
                               validators=[_required("The first day")])
    weekly_minutes = IntegerField("Commissioned minutes a week from then (blank: unchanged)",
                                  validators=[Optional()])


class PackageForm(PatternForm):
    service_user_id = SelectField("Person")
    contract_id = SelectField("Contract")
    package_type = SelectField("Type", choices=options(_choices(PackageType)))
    weekly_minutes = IntegerField("Commissioned minutes a week",
                                  validators=[_required("Commissioned minutes")])
    start_date = DateField("Starts on", validators=[_required("A start date")])
    end_date = DateField("Ends on", validators=[Optional()])
    reference = StringField("Funder's reference", validators=[Optional(), Length(max=40)])


class SuspendForm(FlaskForm):
    start_date = DateField("First day away", validators=[_required("The first day")])
    end_date = DateField("Last day away (blank: not known yet)", validators=[Optional()])
    reason = StringField("Reason", default="Hospital stay",
                         validators=[_required("A reason"), Length(max=200)])


class LastDayForm(FlaskForm):
    end_date = DateField("Last day", validators=[_required("The last day")])


class WindowRow(Form):
    weekday = SelectField("Day", choices=options([("", "-")] + WEEKDAYS), validators=[Optional()])
    start_time = TimeField("From", validators=[Optional()])
    end_time = TimeField("To", validators=[Optional()])


class CareWorkerForm(FlaskForm):
    provider_id = SelectField("Provider")
    username = StringField("Username", validators=[_required("A username"), Length(max=80)])
    display_name = StringField("Name", validators=[_required("A name"), Length(max=200)])
    email = EmailField("Email", validators=[Optional(), Length(max=200)])
    staff_ref = StringField("Staff reference", validators=[Optional(), Length(max=40)])
    contracted_weekly_minutes = IntegerField("Contracted minutes a week",
                                             validators=[Optional()])
    max_weekly_minutes = IntegerField("Most minutes a week", validators=[Optional()])
    max_daily_minutes = IntegerField("Most minutes a day", validators=[Optional()])
    travel_mode = SelectField("Travels by", choices=options([("", "-")] + _choices(TravelMode)),
                              validators=[Optional()])
    hourly_pay = DecimalField("Hourly pay (£)", places=2, validators=[Optional()])
    skills = Checkboxes("Skills", choices=options(_choices(Skill)))
    availability = FieldList(FormField(WindowRow), label="Working windows", min_entries=3)


class LeaveForm(FlaskForm):
    start_date = DateField("First day", validators=[_required("The first day")])
    end_date = DateField("Last day", validators=[_required("The last day")])
    kind = SelectField("Kind", choices=options(_choices(LeaveKind)))
    reason = StringField("Reason", validators=[Optional(), Length(max=200)])


class ImportForm(FlaskForm):
    """A file to import, and whether to preview it only (a dry run: nothing stored)."""

    class Meta:
        csrf = False  # checked by the view once the larger upload limit is set

    kind = SelectField("What the file holds", choices=options([
        ("organisations", "organisations (admins)"), ("contracts", "contracts"),
        ("care_workers", "care workers"), ("service_users", "service users"),
        ("packages", "packages with their weekly patterns")]))
    file = FileField("File (CSV UTF-8 or Excel .xlsx)", validators=[
        FileRequired(message="Choose a file.")])
    dry_run = BooleanField("Preview only: check every row and store nothing", default=True)
