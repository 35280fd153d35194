"""Who signed in where, who read whose record, and the counters that slow guessing.

Kept apart from the change trail (audit.AuditEntry): reads are many and cheap to write,
and are kept only for a configured period; changes are kept for good.
"""
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import IdMixin, UTCDateTime


class WebSession(IdMixin, db.Model):
    """One sign-in to the web pages. The cookie carries only this row's id, so signing
    out, a password change or an administrator can end it on the server: a copy of the
    cookie then opens nothing."""

    __tablename__ = "web_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Idle timeout counts from here; moved forward at most once a minute.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Absolute lifetime: the session ends here however busy it is.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sign_out, password_changed, idle, expired
    end_reason: Mapped[str | None] = mapped_column(sa.String(30))


class SignInThrottle(db.Model):
    """Failed sign-ins for one username from one client address, and how long that pair
    must wait before its next try. Keyed by the name as typed, known or not, so an
    unknown name is throttled exactly like a real one and tells an attacker nothing."""

    __tablename__ = "sign_in_throttles"

    username: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitCounter(db.Model):
    """A rate-limit window's count (Flask-Limiter's fixed window), shared by every web
    worker through the database. Times are Unix seconds, as the limits library keeps them."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)


class AccessEntry(IdMixin, db.Model):
    """Someone read a person's record, a visit, a rota or downloaded an export.

    `service_user_id` is the person whose record was read (a visit's person too), so
    "who looked at this person's record" is one indexed read."""

    __tablename__ = "access_log"
    __table_args__ = (sa.Index("ix_access_log_person_at", "service_user_id", "at"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # person, visit, goals, outcome_timeline, rota_week, rota_day, export
    what: Mapped[str] = mapped_column(sa.String(30))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    service_user_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    details: Mapped[dict | None] = mapped_column(sa.JSON)
