"""Packages of care: what a funder buys for one person, and its weekly pattern of calls."""
import enum
import uuid
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type
from backend.models.contracts import Contract, Priority
from backend.models.organisations import Organisation
from backend.models.people import ServiceUser


class PackageType(enum.StrEnum):
    STANDARD = "standard"
    REABLEMENT = "reablement"
    CONTINUING_HEALTHCARE = "continuing_healthcare"
    LIVE_IN = "live_in"


class PackageStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ENDED = "ended"


class CarePackage(IdMixin, CreatedMixin, db.Model):
    """One person's commissioned care from one provider, paid by one funder."""

    __tablename__ = "care_packages"
    # The funder's own reference for the package: import matches rows on it.
    __table_args__ = (sa.UniqueConstraint("funder_id", "reference"),)

    service_user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("service_users.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    funder_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    package_type: Mapped[PackageType] = mapped_column(enum_type(PackageType))
    # Commissioned time, in minutes a week (8 h/week = 480).
    weekly_minutes: Mapped[int]
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    status: Mapped[PackageStatus] = mapped_column(
        enum_type(PackageStatus), default=PackageStatus.ACTIVE)
    reference: Mapped[str | None] = mapped_column(sa.String(40))

    service_user: Mapped[ServiceUser] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    funder: Mapped[Organisation] = relationship(foreign_keys=[funder_id])
    contract: Mapped[Contract] = relationship()
    schedule: Mapped[list["ScheduleLine"]] = relationship(
        back_populates="package", cascade="all, delete-orphan",
        order_by="(ScheduleLine.weekday, ScheduleLine.start_time)")
    suspensions: Mapped[list["PackageSuspension"]] = relationship(
        back_populates="package", cascade="all, delete-orphan")
    changes: Mapped[list["PackageChange"]] = relationship(
        back_populates="package", cascade="all, delete-orphan",
        order_by="PackageChange.effective_date")


class PackageChange(IdMixin, CreatedMixin, db.Model):
    """A change to a package that takes effect on a later day: new commissioned minutes,
    a new weekly pattern, or both. Until that day the package and its visits stay as they
    are; visits from that day follow the new pattern as soon as the change is scheduled,
    and the scheduler makes it the package's own on the day (applied_at)."""

    __tablename__ = "package_changes"
    __table_args__ = (sa.UniqueConstraint("package_id", "effective_date"),)

    package_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("care_packages.id"), index=True)
    effective_date: Mapped[date]
    # None: the commissioned minutes stay as they are.
    weekly_minutes: Mapped[int | None]
    # The minutes this change replaced, set when it applies (commissioned hours before its
    # day count at them); None before then, or for a change applied before it was kept.
    weekly_minutes_before: Mapped[int | None]
    # Whether the weekly pattern changes (then its calls are `lines`).
    changes_pattern: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    package: Mapped[CarePackage] = relationship(back_populates="changes")
    lines: Mapped[list["ScheduleLine"]] = relationship(
        cascade="all, delete-orphan",
        order_by="(ScheduleLine.weekday, ScheduleLine.start_time)")


class ScheduleLine(IdMixin, db.Model):
    """One call in the weekly pattern: weekday (0 = Monday) and local start time.

    A line belongs either to the package's pattern in force (package_id) or to a pattern
    scheduled from a later day (change_id); on that day it moves to the package, keeping
    its id, so the visits already made from it keep theirs."""

    __tablename__ = "schedule_lines"
    __table_args__ = (
        sa.UniqueConstraint("package_id", "weekday", "start_time"),
        sa.UniqueConstraint("change_id", "weekday", "start_time",
                            name="uq_schedule_lines_change_slot"),
        sa.CheckConstraint("(package_id IS NULL) <> (change_id IS NULL)",
                           name="ck_schedule_line_owner"),
    )

    package_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("care_packages.id"), index=True)
    change_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("package_changes.id", ondelete="CASCADE",
                      name="fk_schedule_lines_change_id"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    duration_min: Mapped[int]
    carers_required: Mapped[int] = mapped_column(default=1)
    priority: Mapped[Priority] = mapped_column(enum_type(Priority), default=Priority.NORMAL)
    tasks: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Skills the carers need (values of models.carers.Skill).
    required_skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # NICE QS123 statement 4: a call shorter than 30 minutes agreed in the person's plan.
    short_call_agreed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    package: Mapped[CarePackage] = relationship(back_populates="schedule")


class PackageSuspension(IdMixin, CreatedMixin, db.Model):
    """A pause in a package (e.g. the person is in hospital); no visits are due."""

    __tablename__ = "package_suspensions"

    package_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("care_packages.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    reason: Mapped[str] = mapped_column(sa.String(200))

    package: Mapped[CarePackage] = relationship(back_populates="suspensions")
