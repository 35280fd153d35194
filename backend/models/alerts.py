"""Alerts raised by monitoring, and the outbox that delivers notifications."""
import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import IdMixin, UTCDateTime, enum_type, utcnow
from backend.models.visits import Visit


class AlertKind(enum.StrEnum):
    LATE = "late"
    MISSED = "missed"
    SHORT = "short"
    NO_CHECKOUT = "no_checkout"
    EARLY_FINISH = "early_finish"
    LOCATION_UNVERIFIED = "location_unverified"
    CONCERN = "concern"
    NO_ACCESS = "no_access"  # the carer could not get in or care was refused: office told


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(IdMixin, db.Model):
    """At most one alert per visit per kind; its history is kept in its columns."""

    __tablename__ = "alerts"
    __table_args__ = (sa.UniqueConstraint("visit_id", "kind", name="uq_alert_visit_kind"),
                      # Escalation scans open alerts of the escalating kinds by age.
                      sa.Index("ix_alerts_status_kind_raised", "status", "kind", "raised_at"))

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"))
    kind: Mapped[AlertKind] = mapped_column(enum_type(AlertKind))
    status: Mapped[AlertStatus] = mapped_column(enum_type(AlertStatus), default=AlertStatus.OPEN)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    visit: Mapped[Visit] = relationship()


class Channel(enum.StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed and committed before the send: never sent twice
    SENT = "sent"
    # The delivery run stopped mid-send (killed): the server may have accepted it, so it
    # is not sent again on its own; an admin sees it and may requeue it.
    INTERRUPTED = "interrupted"
    FAILED = "failed"  # still failing when the retry period ran out; an admin may requeue


class Notification(IdMixin, db.Model):
    """Outbox row: delivered with retries, so a mail server that is down loses nothing."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("dedupe_key", name="uq_notification_dedupe"),
                      sa.Index("ix_notifications_due", "status", "next_attempt_at"))

    # e.g. "alert:<id>:provider:<user id>:email"; a second run adds nothing.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200))
    alert_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("alerts.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # When the last attempt began (a send still "sending" long after it was interrupted).
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Retries go on for OUTBOX_RETRY_HOURS from creation, or from an admin's requeue.
    requeued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
