"""Service users: the people who receive care at home."""
import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type


class ServiceUser(IdMixin, CreatedMixin, db.Model):
    """A person receiving care; the home location is what check-ins are verified against."""

    __tablename__ = "service_users"

    council_ref: Mapped[str] = mapped_column(sa.String(40), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    date_of_birth: Mapped[date | None]
    nhs_number: Mapped[str | None] = mapped_column(sa.String(10), unique=True)
    address: Mapped[str] = mapped_column(sa.String(300))
    postcode: Mapped[str] = mapped_column(sa.String(10))
    home_lat: Mapped[float]
    home_lon: Mapped[float]
    # None: the contract's default radius applies.
    geofence_radius_m: Mapped[int | None]
    # Rural homes with no signal: location is recorded but never judged.
    geofence_off: Mapped[bool] = mapped_column(default=False)
    access_notes: Mapped[str] = mapped_column(sa.Text, default="")
    area_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("areas.id"))
    # Nominated contact (family), told of late or missed visits if they opted in.
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(200))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    contact_opted_in: Mapped[bool] = mapped_column(default=False)
    # National returns (CLD, ASCOF): the date of death when known; where the person lives,
    # as a CLD Accommodation_Status value (services/national/codes.py); the day a long-term
    # residential or nursing placement began (ASCOF 2D: an admission within 12 weeks).
    date_of_death: Mapped[date | None]
    accommodation_status: Mapped[str | None] = mapped_column(sa.String(120))
    care_home_admitted_on: Mapped[date | None]
    # The organisation that recorded the person (whose reference council_ref is): its
    # staff may see and set them up before any package of theirs exists.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True)

    @property
    def name(self) -> str:
        """Full name as carers say it."""
        return self.name_of(self.first_name, self.last_name)

    @staticmethod
    def name_of(first_name: str, last_name: str) -> str:
        """The full name from its parts (for a row read without the object)."""
        return f"{first_name} {last_name}"


class PinStatus(enum.StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class PinSuggestion(IdMixin, CreatedMixin, db.Model):
    """A corrected home location suggested from clustered check-ins; a manager decides."""

    __tablename__ = "pin_suggestions"

    service_user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("service_users.id"), index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    evidence_events: Mapped[int]
    evidence_workers: Mapped[int]
    status: Mapped[str] = mapped_column(enum_type(PinStatus), default=PinStatus.SUGGESTED)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
