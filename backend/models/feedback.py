"""Feedback from service user panels about a provider's care, and one-time feedback links."""
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime
from backend.models.organisations import Organisation

# Rating questions, each scored 1..5 (5 best).
QUESTIONS = ("overall", "reliability", "consistency", "dignity", "involvement", "safety")

# Defaults of a commissioner's feedback settings (Leicestershire's baseline: 60.1% satisfied).
DEFAULT_FEEDBACK_SETTINGS = {
    "baseline_pct": 60.1,
    "min_responses": 10,
    "update_window_hours": 24,
    "link_valid_days": 28,
    "max_text_chars": 5000,
}


class Feedback(IdMixin, CreatedMixin, db.Model):
    """One response. Anonymous responses store no link to whoever sent them."""

    __tablename__ = "feedback"
    __table_args__ = (sa.UniqueConstraint("reference", name="uq_feedback_reference"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Only with the person's consent.
    service_user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("service_users.id"))
    service_user_consent: Mapped[bool] = mapped_column(default=False)
    overall: Mapped[int]
    reliability: Mapped[int | None]
    consistency: Mapped[int | None]
    dignity: Mapped[int | None]
    involvement: Mapped[int | None]
    safety: Mapped[int | None]
    free_text: Mapped[str] = mapped_column(sa.Text, default="")
    # What the provider sees once a commissioner has redacted personal data.
    redacted_text: Mapped[str | None] = mapped_column(sa.Text)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_requested: Mapped[bool] = mapped_column(default=False)
    contact_details: Mapped[str | None] = mapped_column(sa.String(300))
    safeguarding: Mapped[bool] = mapped_column(default=False)
    # The submitter ticked "I am worried about someone's safety".
    safety_concern_ticked: Mapped[bool] = mapped_column(default=False)
    # Quoted on the confirmation page; reveals nothing about the submitter.
    reference: Mapped[str | None] = mapped_column(sa.String(12))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])


class FeedbackLink(IdMixin, CreatedMixin, db.Model):
    """A one-time link (or typed code) that lets someone without an account give feedback.

    Only a keyed hash of the code is stored; the link carries the code signed.
    """

    __tablename__ = "feedback_links"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    commissioner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True)
    # None: the person chooses among the commissioner's providers.
    provider_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("organisations.id"))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Organisation | None] = relationship(foreign_keys=[provider_id])


class FeedbackSettings(db.Model):
    """A commissioner's satisfaction baseline and feedback rules."""

    __tablename__ = "feedback_settings"

    commissioner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), primary_key=True)
    baseline_pct: Mapped[float] = mapped_column(
        sa.Float, default=DEFAULT_FEEDBACK_SETTINGS["baseline_pct"])
    min_responses: Mapped[int] = mapped_column(default=DEFAULT_FEEDBACK_SETTINGS["min_responses"])
    update_window_hours: Mapped[int] = mapped_column(
        default=DEFAULT_FEEDBACK_SETTINGS["update_window_hours"])
    link_valid_days: Mapped[int] = mapped_column(
        default=DEFAULT_FEEDBACK_SETTINGS["link_valid_days"])
    max_text_chars: Mapped[int] = mapped_column(
        default=DEFAULT_FEEDBACK_SETTINGS["max_text_chars"])
