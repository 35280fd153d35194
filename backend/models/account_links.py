"""One-time links that let a person set their own password: an invitation or a reset.

Only a hash of the link's secret is stored; the link works once and until it expires.
"""
import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type


class LinkPurpose(enum.StrEnum):
    INVITATION = "invitation"  # a new account's first password
    RESET = "reset"  # a forgotten or compromised password replaced


class AccountLink(IdMixin, CreatedMixin, db.Model):
    """A one-time link sent to a user to set their password."""

    __tablename__ = "account_links"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(enum_type(LinkPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
