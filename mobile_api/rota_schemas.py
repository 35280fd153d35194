"""Schemas for the care worker's rota: everything the phone caches for a day offline."""
from marshmallow import Schema, fields

from backend.models import GoalMeasure
from backend.services.dates import clock
from backend.services.outcomes.gas import GAS_WORDS


class LocalDateTime(fields.DateTime):
    """An instant shown in the service's local time, ISO 8601 with its UTC offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.astimezone(clock.zone())
        return super()._serialize(value, attr, obj, **kwargs)


class RotaQuerySchema(Schema):
    """Which local day's rota to fetch."""

    date = fields.Date(load_default=None,
                       metadata={"description": "YYYY-MM-DD, local time; default today"})


class HomeSchema(Schema):
    """The home pin and the circle around it a check-in is verified against."""

    lat = fields.Float()
    lon = fields.Float()
    geofence_radius_m = fields.Integer(
        allow_none=True, metadata={"description": "the radius in effect; null when off"})
    geofence_off = fields.Boolean()


class PersonSchema(Schema):
    """The person visited."""

    id = fields.UUID()
    name = fields.String()
    address = fields.String()
    postcode = fields.String()
    access_notes = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)


class TaskSchema(Schema):
    """A task planned for the visit."""

    id = fields.UUID()
    position = fields.Integer()
    description = fields.String()
    done = fields.Boolean(allow_none=True)
    not_done_reason = fields.String(allow_none=True)


class RotaGoalSchema(Schema):
    """An active goal of the person, to score at check-out."""

    id = fields.UUID(attribute="goal.id")
    description = fields.String(attribute="goal.description")
    domain = fields.String(attribute="goal.domain")
    measure = fields.String(attribute="goal.measure")
    scale_min = fields.Integer()
    scale_max = fields.Integer()
    target = fields.Integer(attribute="goal.target")
    score_words = fields.Function(lambda entry: [
        {"score": score, "words": words} for score, words in GAS_WORDS.items()]
        if entry.goal.measure == GoalMeasure.GAS else [], metadata={
            "description": "each score in words (Goal Attainment Scaling goals)"})
    latest_score = fields.Integer(allow_none=True)
    latest_recorded_at = LocalDateTime(allow_none=True)


class RotaVisitSchema(Schema):
    """One visit on the rota."""

    id = fields.UUID(attribute="visit.id")
    planned_start = LocalDateTime(attribute="visit.planned_start")
    planned_end = LocalDateTime(attribute="visit.planned_end")
    duration_min = fields.Integer(attribute="visit.duration_min")
    status = fields.String(attribute="visit.status")
    priority = fields.String(attribute="visit.priority")
    carers_required = fields.Integer(attribute="visit.carers_required")
    office_name = fields.String(attribute="visit.package.provider.name")
    office_phone = fields.String(attribute="visit.package.provider.phone", allow_none=True,
                                 metadata={"description": "the provider's office, to call"})
    early_checkin_warn_min = fields.Integer(
        attribute="visit.package.contract.early_checkin_warn_min", metadata={
            "description": "the app warns before a check-in more than this many minutes "
                           "before the planned start, and asks why"})
    service_user = fields.Nested(PersonSchema, attribute="person")
    home = fields.Nested(HomeSchema)
    tasks = fields.List(fields.Nested(TaskSchema))
    goals = fields.List(fields.Nested(RotaGoalSchema))
    co_workers = fields.List(fields.String())
    checked_in = fields.Function(lambda entry: entry.checked_in_at is not None)
    checked_out = fields.Function(lambda entry: entry.checked_out_at is not None)
    checked_in_at = LocalDateTime(allow_none=True)
    check_in_distance_m = fields.Float(allow_none=True, metadata={
        "description": "my check-in's distance from the home pin, metres"})
    check_in_verified = fields.Boolean(allow_none=True, metadata={
        "description": "my check-in was inside the geofence (false: accepted but flagged; "
                       "null: not checked in, no location sent, or the fence is off)"})
    checked_out_at = LocalDateTime(allow_none=True)
    no_access_reported = fields.Boolean()


class RotaChangeSchema(Schema):
    """A change to my rota for today or tomorrow, not yet read (the app's banner)."""

    id = fields.UUID()
    subject = fields.String()
    body = fields.String()
    created_at = LocalDateTime()


class RotaSchema(Schema):
    """A care worker's visits on one local day, in planned start order."""

    date = fields.Date()
    time_zone = fields.String()
    visits = fields.List(fields.Nested(RotaVisitSchema))
    rota_changes = fields.List(fields.Nested(RotaChangeSchema), metadata={
        "description": "unread changes to my rota for today or tomorrow; mark each read "
                       "with POST /notifications/{id}/read"})
