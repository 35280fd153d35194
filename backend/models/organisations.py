"""Organisations: commissioners (council, NHS) who fund care and providers who deliver it."""
import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type, utcnow


class OrganisationKind(enum.StrEnum):
    COUNCIL = "council"
    NHS = "nhs"
    PROVIDER = "provider"


class FrameworkStatus(enum.StrEnum):
    ACCREDITED = "accredited"
    SUSPENDED = "suspended"
    REMOVED = "removed"


provider_areas = sa.Table(
    "provider_areas",
    db.metadata,
    sa.Column("provider_id", sa.Uuid, sa.ForeignKey("organisations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("area_id", sa.Uuid, sa.ForeignKey("areas.id", ondelete="CASCADE"),
              primary_key=True),
)


class Organisation(IdMixin, CreatedMixin, db.Model):
    """A council or NHS commissioner (a funder), or a care provider."""

    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind))
    cqc_id: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # NHS Organisation Data Service code (councils, ICBs and many providers have one).
    ods_code: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
    framework_status: Mapped[FrameworkStatus | None] = mapped_column(enum_type(FrameworkStatus))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))  # the office carers call
    webhook_url: Mapped[str | None] = mapped_column(sa.String(500))

    areas: Mapped[list["Area"]] = relationship(secondary=provider_areas)

    @property
    def is_funder(self) -> bool:
        """Councils and NHS bodies fund packages."""
        return self.kind in (OrganisationKind.COUNCIL, OrganisationKind.NHS)


class Area(IdMixin, db.Model):
    """A geographic lot of the framework."""

    __tablename__ = "areas"

    name: Mapped[str] = mapped_column(sa.String(100), unique=True)


class FrameworkStatusChange(IdMixin, db.Model):
    """History of a provider's standing on the framework; never edited."""

    __tablename__ = "framework_status_changes"

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[FrameworkStatus] = mapped_column(enum_type(FrameworkStatus))
    reason: Mapped[str] = mapped_column(sa.Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
