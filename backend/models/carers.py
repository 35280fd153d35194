"""What a care worker brings to the rota: skills, working times, leave and pay.

A care worker is a User with the care_worker role; these rows say when they can
work, what they are trained for and what they are paid. The rota's problems and
its optimiser read them; administration and import write them.
"""
import enum
import uuid
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, enum_type


class TravelMode(enum.StrEnum):
    DRIVING = "driving"
    WALKING = "walking"
    CYCLING = "cycling"
    PUBLIC_TRANSPORT = "public_transport"


class Skill(enum.StrEnum):
    """Training a visit may need (the pattern line's required skills)."""

    MEDICATION = "medication"
    DOUBLE_UP = "double_up"
    MOVING_AND_HANDLING = "moving_and_handling"
    PEG_FEEDING = "peg_feeding"
    CATHETER_CARE = "catheter_care"
    DEMENTIA = "dementia"
    END_OF_LIFE = "end_of_life"


class LeaveKind(enum.StrEnum):
    ANNUAL = "annual"
    SICKNESS = "sickness"
    TRAINING = "training"
    OTHER = "other"


class CarerSkill(IdMixin, db.Model):
    """One skill a care worker is trained for."""

    __tablename__ = "carer_skills"
    __table_args__ = (sa.UniqueConstraint("worker_id", "skill"),)

    worker_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill: Mapped[Skill] = mapped_column(enum_type(Skill))


class CarerAvailability(IdMixin, db.Model):
    """A weekly working window (weekday 0 = Monday, local wall-clock times)."""

    __tablename__ = "carer_availability"

    worker_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]


class CarerLeave(IdMixin, CreatedMixin, db.Model):
    """Days a care worker is away (inclusive); no visits may be given to them."""

    __tablename__ = "carer_leave"

    worker_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    kind: Mapped[LeaveKind] = mapped_column(enum_type(LeaveKind), default=LeaveKind.ANNUAL)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")


class CarerArea(db.Model):
    """An area (lot) a care worker works in."""

    __tablename__ = "carer_areas"

    worker_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
