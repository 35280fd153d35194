"""Audit log of changes people make, and the scheduler's lease."""
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import IdMixin, UTCDateTime, utcnow


class AuditEntry(IdMixin, db.Model):
    """Who did what to which object, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_object", "object_type", "object_id"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(80))
    object_type: Mapped[str] = mapped_column(sa.String(80))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class SchedulerLease(db.Model):
    """Only the holder of an unexpired lease runs jobs; portable across both databases."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerJobRun(db.Model):
    """When each scheduler job last finished: detection catches up from here after downtime."""

    __tablename__ = "scheduler_job_runs"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    # The `now` the last successful run used, and the wall time it committed.
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
