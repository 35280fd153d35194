"""Marshmallow schemas for alerts and notifications (explicit field lists)."""
from marshmallow import Schema, fields, validate

from backend.models import AlertKind, AlertStatus, Channel, DeliveryStatus


class AlertQuerySchema(Schema):
    status = fields.Enum(AlertStatus, by_value=True)
    kind = fields.Enum(AlertKind, by_value=True)
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    provider_id = fields.UUID()
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AlertSchema(Schema):
    id = fields.UUID(dump_only=True)
    visit_id = fields.UUID(dump_only=True)
    kind = fields.Enum(AlertKind, by_value=True, dump_only=True)
    status = fields.Enum(AlertStatus, by_value=True, dump_only=True)
    detail = fields.String(dump_only=True)
    raised_at = fields.DateTime(dump_only=True)
    acknowledged_at = fields.DateTime(dump_only=True)
    acknowledged_by_id = fields.UUID(dump_only=True)
    acknowledge_note = fields.String(dump_only=True)
    resolved_at = fields.DateTime(dump_only=True)
    resolved_by_id = fields.UUID(dump_only=True)
    resolution = fields.String(dump_only=True)
    escalated_at = fields.DateTime(dump_only=True)
    planned_start = fields.DateTime(attribute="visit.planned_start", dump_only=True)
    visit_status = fields.String(attribute="visit.status", dump_only=True)


class AcknowledgeSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ResolveSchema(Schema):
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InboxQuerySchema(Schema):
    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class NotificationSchema(Schema):
    id = fields.UUID(dump_only=True)
    alert_id = fields.UUID(dump_only=True)
    channel = fields.Enum(Channel, by_value=True, dump_only=True)
    subject = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    read_at = fields.DateTime(dump_only=True)


class OutboxRowSchema(NotificationSchema):
    """What an admin sees of a failed delivery."""

    address = fields.String(dump_only=True)
    recipient_user_id = fields.UUID(dump_only=True)
    status = fields.Enum(DeliveryStatus, by_value=True, dump_only=True)
    attempts = fields.Integer(dump_only=True)
    last_error = fields.String(dump_only=True)
    next_attempt_at = fields.DateTime(dump_only=True)
    last_attempt_at = fields.DateTime(dump_only=True)
    requeued_at = fields.DateTime(dump_only=True)
