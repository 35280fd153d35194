"""Feedback from service user panels about a provider's care."""
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime

# Rating questions, each scored 1..5 (5 best).
QUESTIONS = ("overall", "reliability", "consistency", "dignity", "involvement", "safety")


class Feedback(IdMixin, CreatedMixin, db.Model):
    """One response. Anonymous responses store no link to whoever sent them."""

    __tablename__ = "feedback"

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Only with the person's consent.
    service_user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("service_users.id"))
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
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
