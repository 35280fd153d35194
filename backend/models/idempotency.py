"""Stored responses for the API's Idempotency-Key header."""
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import IdMixin, UTCDateTime, utcnow


class IdempotencyRecord(IdMixin, db.Model):
    """One client key per user: the request it answered and the response it got."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    # sha256 of method, path and the canonical JSON body.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    # 0 while the first request is still being answered (inside its transaction).
    status_code: Mapped[int] = mapped_column(default=0)
    response_body: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
