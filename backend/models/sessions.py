"""API sign-in sessions: rotating refresh tokens grouped in families."""
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import IdMixin, UTCDateTime


class RefreshToken(IdMixin, db.Model):
    """One refresh token, known only by its id (the token's jti); the token itself is not stored.

    Every refresh rotates: the token presented is marked used and its successor
    (same family) is recorded. A family is one sign-in on one device; revoking it
    ends the sign-in everywhere its tokens went.
    """

    __tablename__ = "refresh_tokens"

    family_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(sa.String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("refresh_tokens.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sign_out, reuse_detected, password_changed
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(30))
