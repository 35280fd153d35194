"""Visits (planned attendances) and their append-only event log."""
import enum
import uuid
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, UTCDateTime, enum_type, utcnow
from backend.models.contracts import Priority
from backend.models.packages import CarePackage
from backend.models.users import User
from backend.services.dates.clock import zone


class VisitStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    MISSED = "missed"
    NO_ACCESS = "no_access"
    CANCELLED = "cancelled"


def _package_contract(context):
    """Default for visits.contract_id: the contract of the visit's package.

    Creators that know it (visit generation) pass it; this keeps any other insert
    correct. A package's contract never changes, so the copy never goes stale.
    """
    package_id = context.get_current_parameters()["package_id"]
    return context.connection.scalar(
        sa.select(CarePackage.contract_id).where(CarePackage.id == package_id))


def _wall_clock_start(context):
    """Default for visits.local_time: the planned start on the local wall clock.

    Visit generation passes the pattern's own time (which the spring change may have
    moved the instant away from); this keeps any other insert correct.
    """
    start = context.get_current_parameters()["planned_start"]
    if start.tzinfo is None:  # already bound as naive UTC
        start = start.replace(tzinfo=UTC)
    return start.astimezone(zone()).time()


class Visit(IdMixin, CreatedMixin, db.Model):
    """One planned attendance. Actual times and flags are a cache of the events."""

    __tablename__ = "visits"
    __table_args__ = (
        # One visit per call of the pattern: a package's call is its local day and the
        # wall-clock time the pattern asks for, not the instant (two calls may share an
        # instant in the spring gap; see services/rota/schedule.py).
        sa.UniqueConstraint("package_id", "local_date", "local_time",
                            name="uq_visit_package_local_slot"),
        sa.Index("ix_visits_planned_start_status", "planned_start", "status"),
        # Monitoring scans "still scheduled, past its start" and "still open, past its end".
        sa.Index("ix_visits_status_planned_start", "status", "planned_start"),
        sa.Index("ix_visits_status_planned_end", "status", "planned_end"),
        # Visits whose events changed and that no reaction has judged yet (few).
        sa.Index("ix_visits_review_pending", "id", sqlite_where=sa.text("review_pending = 1"),
                 postgresql_where=sa.text("review_pending")),
    )

    package_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("care_packages.id"), index=True)
    # The package's contract, copied so monitoring finds a visit's tolerances
    # (monitoring_rules by contract and priority) without joining care_packages.
    contract_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("contracts.id", name="fk_visits_contract_id_contracts"),
        default=_package_contract)
    schedule_line_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("schedule_lines.id", ondelete="SET NULL"))
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day the visit belongs to in the service's local time zone, and the wall-clock
    # time its call was planned for that day (01:30 even on the night 01:30 is skipped).
    local_date: Mapped[date] = mapped_column(index=True)
    local_time: Mapped[time] = mapped_column(default=_wall_clock_start)
    duration_min: Mapped[int]
    carers_required: Mapped[int] = mapped_column(default=1)
    priority: Mapped[Priority] = mapped_column(enum_type(Priority), default=Priority.NORMAL)
    # Copied from the pattern line (NICE QS123 statement 4: a short call agreed in the plan).
    short_call_agreed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[VisitStatus] = mapped_column(
        enum_type(VisitStatus), default=VisitStatus.SCHEDULED)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(100))
    # Cache derived from events by services/attendance/visit_state.py.
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Carers' delivered seconds, summed, and shown as whole minutes half up (the one
    # rule: services/attendance/delivered.py). Bills start from the seconds.
    delivered_seconds: Mapped[int | None]
    delivered_minutes: Mapped[int | None]
    location_verified: Mapped[bool | None]
    flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Set when the cached columns are rewritten from events; cleared once monitoring
    # has judged the visit (at once by the check-in path, else by the next pass).
    review_pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    package: Mapped[CarePackage] = relationship()
    assignments: Mapped[list["VisitAssignment"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan")
    tasks: Mapped[list["VisitTask"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitTask.position")
    events: Mapped[list["VisitEvent"]] = relationship(
        back_populates="visit", order_by="VisitEvent.server_time")


class VisitAssignment(IdMixin, CreatedMixin, db.Model):
    """A care worker assigned to a visit (two for a double-up)."""

    __tablename__ = "visit_assignments"
    __table_args__ = (sa.UniqueConstraint("visit_id", "worker_id"),)

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # A manager's promise (the person asked for this carer): the day planner keeps it.
    locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    visit: Mapped[Visit] = relationship(back_populates="assignments")
    worker: Mapped[User] = relationship()


class VisitTask(IdMixin, db.Model):
    """A task planned for a visit; the outcome is cached from the check-out event."""

    __tablename__ = "visit_tasks"

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(200))
    done: Mapped[bool | None]
    not_done_reason: Mapped[str | None] = mapped_column(sa.String(300))

    visit: Mapped[Visit] = relationship(back_populates="tasks")


class EventKind(enum.StrEnum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    NO_ACCESS = "no_access"
    CORRECTION = "correction"


class EventMethod(enum.StrEnum):
    GPS = "gps"
    QR = "qr"
    NFC = "nfc"
    TELEPHONY = "telephony"
    MANUAL = "manual"


class VisitEvent(IdMixin, db.Model):
    """An append-only record: never updated, never deleted.

    device_time is when the phone says it happened; server_time when we received it.
    A correction names the worker whose times it corrects and carries its own
    reason and resolution codes; the original stays.
    """

    __tablename__ = "visit_events"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "client_event_id", name="uq_event_device_client_id"),
        sa.Index(
            "uq_event_once_per_worker", "visit_id", "worker_id", "kind", unique=True,
            sqlite_where=sa.text("kind IN ('check_in', 'check_out')"),
            postgresql_where=sa.text("kind IN ('check_in', 'check_out')"),
        ),
        sa.Index("ix_visit_events_worker_time", "worker_id", "device_time"),
        # Monitoring looks at visits whose events arrived since its last pass.
        sa.Index("ix_visit_events_server_time", "server_time", "visit_id"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    worker_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind))
    device_time: Mapped[datetime] = mapped_column(UTCDateTime)
    server_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    method: Mapped[EventMethod | None] = mapped_column(enum_type(EventMethod))
    distance_m: Mapped[float | None]
    # None when no location was given or the person's geofence is off.
    verified: Mapped[bool | None]
    mock_location: Mapped[bool] = mapped_column(default=False)
    device_id: Mapped[str | None] = mapped_column(sa.String(100))
    client_event_id: Mapped[str | None] = mapped_column(sa.String(100))
    reason_code: Mapped[str | None] = mapped_column(sa.String(50))
    resolution_code: Mapped[str | None] = mapped_column(sa.String(50))
    note: Mapped[str | None] = mapped_column(sa.Text)
    corrects_event_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("visit_events.id"), index=True)  # a visit's record reads its corrections
    corrected_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Signals stored, never used to reject: mock_location, impossible_speed,
    # poor_accuracy, clock_gap ...
    flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Check-out payload as received: tasks, goal progress, concern.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    visit: Mapped[Visit] = relationship(back_populates="events")


class DeliveryConfirmation(IdMixin, db.Model):
    """A provider manager's word that a visit not verified in the home was delivered
    (e.g. "no signal at the home; the person confirmed the visit by phone"): a visit
    its contract holds is billed once confirmed. One per visit; never changed."""

    __tablename__ = "delivery_confirmations"

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"), unique=True)
    confirmed_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.Text)

    confirmed_by: Mapped[User] = relationship()


# A correction with this resolution accepts the worker's location as in the home.
LOCATION_ACCEPTED = "location_accepted"
# A correction with this resolution says the worker did not deliver the visit: their
# time counts as nothing delivered (services/attendance/delivered.py).
NOT_DELIVERED = "not_delivered"
