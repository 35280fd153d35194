"""A plan for a day's rota: the optimiser's proposal, and the moves a manager accepts.

A plan is queued by a manager, run by the scheduler (status and progress on the row,
so the page polls and never waits), and holds proposed moves: a seat of a visit going
from one care worker (or nobody) to another (or nobody), with why. Nothing changes the
rota until a manager accepts moves; a move whose visit has changed since is stale.
"""
import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type


class PlanStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class MoveDecision(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    STALE = "stale"


class RotaPlan(IdMixin, CreatedMixin, db.Model):
    """One run of the day planner for a provider (and optionally one area)."""

    __tablename__ = "rota_plans"
    __table_args__ = (sa.Index("ix_rota_plans_status_created", "status", "created_at"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    local_date: Mapped[date]
    area_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("areas.id"))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[PlanStatus] = mapped_column(enum_type(PlanStatus), default=PlanStatus.QUEUED)
    progress_pct: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    seconds_limit: Mapped[int] = mapped_column(default=40)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Figures of the day as it was and as proposed: travel minutes, unassigned seats,
    # seats with a carer the person does not know, rule violations, mean distinct
    # carers per person this week.
    before: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    after: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    moves: Mapped[list["RotaPlanMove"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="RotaPlanMove.position")


class RotaPlanMove(IdMixin, db.Model):
    """One proposed change: a visit's seat from one care worker (or nobody) to another."""

    __tablename__ = "rota_plan_moves"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("rota_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"))
    from_worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    to_worker_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    decision: Mapped[MoveDecision] = mapped_column(
        enum_type(MoveDecision), default=MoveDecision.PROPOSED)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))

    plan: Mapped[RotaPlan] = relationship(back_populates="moves")
