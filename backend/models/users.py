"""People who sign in, each with one role in one organisation."""
import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type
from backend.models.organisations import Organisation


class Role(enum.StrEnum):
    CARE_WORKER = "care_worker"
    PROVIDER_MANAGER = "provider_manager"
    COMMISSIONER = "commissioner"
    PANEL_MEMBER = "panel_member"
    ADMIN = "admin"


class User(IdMixin, CreatedMixin, db.Model):
    """A signed-in person. Passwords are argon2id hashes (services/identity/passwords.py)."""

    __tablename__ = "users"
    # Who is told of an alert: the managers of a provider, the commissioners of a funder.
    __table_args__ = (sa.Index("ix_users_organisation_role", "organisation_id", "role"),)

    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Home base of a care worker, for travel checks between visits.
    home_lat: Mapped[float | None]
    home_lon: Mapped[float | None]
    max_daily_minutes: Mapped[int | None]
    # Care workers: the provider's own staff reference, weekly contracted time, how
    # they travel between homes and their hourly pay (for the minimum-wage check).
    staff_ref: Mapped[str | None] = mapped_column(sa.String(40))
    contracted_weekly_minutes: Mapped[int | None]
    max_weekly_minutes: Mapped[int | None]
    travel_mode: Mapped[str | None] = mapped_column(sa.String(32))
    hourly_pay_pence: Mapped[int | None]
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship()
