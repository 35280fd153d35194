"""Schemas for visit events (check-in, check-out, no-access), offline sync and pin hints."""
from datetime import UTC

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from backend.models import EventKind, EventMethod
from backend.services.attendance import sync

METHODS = [EventMethod.GPS, EventMethod.QR, EventMethod.NFC, EventMethod.MANUAL]
NO_ACCESS_REASONS = ["no_answer", "refused", "in_hospital", "not_at_home", "unsafe_to_enter",
                     "other"]
EVENT_KINDS = [EventKind.CHECK_IN, EventKind.CHECK_OUT, EventKind.NO_ACCESS]


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with its UTC offset, returned as aware UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("That time is out of range.") from None


class TaskOutcomeSchema(Schema):
    task_id = fields.UUID(required=True)
    done = fields.Boolean(required=True)
    reason = fields.String(validate=validate.Length(max=300), allow_none=True)

    @validates_schema
    def reason_when_not_done(self, data, **kwargs):
        """A task not done says why."""
        if data.get("done") is False and not (data.get("reason") or "").strip():
            raise ValidationError("Say why the task was not done.", "reason")


class GoalProgressInSchema(Schema):
    goal_id = fields.UUID(required=True)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(-1000, 1000))
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)


class ConcernSchema(Schema):
    flag = fields.Boolean(required=True)
    text = fields.String(validate=validate.Length(max=2000), allow_none=True)

    @validates_schema
    def text_when_flagged(self, data, **kwargs):
        """A raised concern says what it is."""
        if data.get("flag") and not (data.get("text") or "").strip():
            raise ValidationError("Describe the concern.", "text")


class EventInSchema(Schema):
    """What the phone sends with every event."""

    device_time = Instant(required=True, metadata={"description": "ISO 8601 with offset"})
    lat = fields.Float(validate=validate.Range(-90, 90), allow_none=True)
    lon = fields.Float(validate=validate.Range(-180, 180), allow_none=True)
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), allow_none=True)
    method = fields.String(validate=validate.OneOf([m.value for m in METHODS]), allow_none=True)
    manual_reason = fields.String(validate=validate.Length(max=300), allow_none=True,
                         metadata={"description": "required when method is manual"})
    mock_location = fields.Boolean(load_default=False)
    device_id = fields.String(validate=validate.Length(min=1, max=100), allow_none=True)
    client_event_id = fields.String(validate=validate.Length(min=1, max=100), allow_none=True)

    @validates_schema
    def location_and_method(self, data, **kwargs):
        """Latitude and longitude come together; a manual check-in gives a reason."""
        if (data.get("lat") is None) != (data.get("lon") is None):
            missing = "lon" if data.get("lon") is None else "lat"
            raise ValidationError("Send both lat and lon, or neither.", missing)
        manual = data.get("method") == EventMethod.MANUAL
        if manual and not (data.get("manual_reason") or "").strip():
            raise ValidationError("A manual check-in needs a reason.", "manual_reason")

    @post_load
    def method_enum(self, data, **kwargs):
        """The method as the model's enum."""
        if data.get("method"):
            data["method"] = EventMethod(data["method"])
        return data


class StartReasonMixin:
    """Why a check-in was early or out of order: the app asks before such a check-in."""

    start_reason = fields.String(validate=validate.Length(max=300), allow_none=True, metadata={
        "description": "check-in only: why the carer started early, or not at the next visit"})
    out_of_order = fields.Boolean(load_default=False, metadata={
        "description": "check-in only: the app warned this was not the carer's next visit"})


class CheckInSchema(StartReasonMixin, EventInSchema):
    """Arriving at the visit."""


class CheckOutSchema(EventInSchema):
    """Leaving: tasks, a note, goal progress and any concern."""

    tasks = fields.List(fields.Nested(TaskOutcomeSchema), validate=validate.Length(max=100))
    note = fields.String(validate=validate.Length(max=4000), allow_none=True)
    goal_progress = fields.List(fields.Nested(GoalProgressInSchema),
                                validate=validate.Length(max=50))
    concern = fields.Nested(ConcernSchema, allow_none=True)


class NoAccessSchema(EventInSchema):
    """Could not get in, or the person refused care."""

    reason = fields.String(required=True, validate=validate.OneOf(NO_ACCESS_REASONS))
    note = fields.String(validate=validate.Length(max=4000), allow_none=True)


class SyncEventSchema(StartReasonMixin, CheckOutSchema):
    """One queued event: its kind, its visit, and the fields of that kind."""

    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in EVENT_KINDS]))
    visit_id = fields.UUID(required=True)
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    client_event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(validate=validate.OneOf(NO_ACCESS_REASONS), allow_none=True)

    @validates_schema
    def fields_fit_kind(self, data, **kwargs):
        """No-access needs a reason; only a check-out carries tasks, goals and a concern."""
        kind = data.get("kind")
        if kind == EventKind.NO_ACCESS and not data.get("reason"):
            raise ValidationError("A no-access event needs a reason.", "reason")
        if kind != EventKind.NO_ACCESS and data.get("reason"):
            raise ValidationError("Only a no-access event has a reason.", "reason")
        if kind != EventKind.CHECK_OUT:
            for name in ("tasks", "goal_progress", "concern"):
                if data.get(name):
                    raise ValidationError("Only a check-out carries this.", name)


def _string_keys(messages):
    """Field messages with string keys (marshmallow keys list items by int index)."""
    if isinstance(messages, dict):
        return {str(k): _string_keys(v) for k, v in messages.items()}
    return messages


class EachEvent(fields.Nested):
    """One event of a batch, validated on its own: a malformed event becomes a
    sync.Malformed (answered "rejected" with its field messages) instead of failing
    the whole batch. Documented as SyncEventSchema."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        try:
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        except ValidationError as exc:
            client_event_id = value.get("client_event_id") if isinstance(value, dict) else None
            if not isinstance(client_event_id, str) or len(client_event_id) > 100:
                client_event_id = None
            return sync.Malformed(client_event_id, _string_keys(exc.messages))


class SyncBatchSchema(Schema):
    """Events queued on the phone while offline, in any order."""

    events = fields.List(EachEvent(SyncEventSchema), required=True, metadata={
        "description": "a malformed event is answered 'rejected' with field messages; "
                       "the others are applied"})
    sent_at = Instant(allow_none=True, metadata={
        "description": "the phone's clock when it sent the batch; a gap over 5 minutes "
                       "from the server's clock flags the events 'clock_gap'"})


class EventOutSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    visit_id = fields.UUID()
    device_time = fields.AwareDateTime()
    server_time = fields.AwareDateTime()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    method = fields.String(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    verified = fields.Boolean(allow_none=True)
    flags = fields.List(fields.String())
    device_id = fields.String(allow_none=True)
    client_event_id = fields.String(allow_none=True)


class VisitStateOutSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    location_verified = fields.Boolean(allow_none=True)
    flags = fields.List(fields.String())


class EventResultSchema(Schema):
    result = fields.String(metadata={"description": "accepted, or duplicate of an earlier send"})
    event = fields.Nested(EventOutSchema)
    visit = fields.Nested(VisitStateOutSchema)


class SyncResultSchema(Schema):
    client_event_id = fields.String(allow_none=True)
    result = fields.String(metadata={"description": "accepted, duplicate or rejected"})
    event_id = fields.String(allow_none=True)
    visit_status = fields.String(allow_none=True)
    distance_m = fields.Float(allow_none=True, metadata={
        "description": "accepted or duplicate: metres from the home pin"})
    verified = fields.Boolean(allow_none=True, metadata={
        "description": "accepted or duplicate: within the geofence (false: accepted but "
                       "flagged location_not_verified; null: no location or fence off)"})
    flags = fields.List(fields.String(), allow_none=True)
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    fields_ = fields.Dict(data_key="fields", attribute="fields", allow_none=True, metadata={
        "description": "rejected as malformed: the field messages, as a 422 would give"})


class SyncResultsSchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))


class PinSuggestionOutSchema(Schema):
    id = fields.UUID()
    service_user_id = fields.UUID()
    lat = fields.Float()
    lon = fields.Float()
    evidence_events = fields.Integer()
    evidence_workers = fields.Integer()
    status = fields.String()
    decided_at = fields.AwareDateTime(allow_none=True)
