"""Contracts: the monitoring, billing and rate rules agreed between a funder and a provider.

Every tolerance and money rule is a column here with DOMAIN.md's default, never a
constant in code. Money is integer pence.
"""
import enum
import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import CreatedMixin, IdMixin, enum_type


class Priority(enum.StrEnum):
    NORMAL = "normal"
    CRITICAL = "critical"  # time-critical: medication, insulin


class BillingBasis(enum.StrEnum):
    PLANNED = "planned"
    ACTUAL = "actual"
    ACTUAL_CAPPED = "actual_capped"  # actual, never more than planned


class Rounding(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    NEAREST = "nearest"


class DoubleUpRule(enum.StrEnum):
    EACH_WORKER = "each_worker"  # both carers' time is billed
    ONCE = "once"  # the visit is billed once


class UnverifiedVisits(enum.StrEnum):
    """What the contract does with a delivered visit not verified in the home."""

    PAID = "paid"  # billed as any other visit
    HELD = "held"  # billed nothing until a provider manager confirms it was delivered


ROUNDING_UNITS = (1, 5, 10, 15, 30, 60)
MAX_OFFLINE_WINDOW_HOURS = 120


class Contract(IdMixin, CreatedMixin, db.Model):
    """A funder's contract with a provider; packages are bought under one."""

    __tablename__ = "contracts"

    name: Mapped[str] = mapped_column(sa.String(200))
    funder_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    # Location
    geofence_radius_m: Mapped[int] = mapped_column(default=200)
    # Reported GPS accuracy is credited up to this much (phones err 20-100 m).
    accuracy_allowance_max_m: Mapped[int] = mapped_column(default=100)
    offline_window_hours: Mapped[int] = mapped_column(default=24)
    home_logging_target_pct: Mapped[int] = mapped_column(default=85)
    # The commissioner's red/amber/green: delivered hours as a share of commissioned are
    # green at or above this, amber within rag_amber_margin_pct points below, else red
    # (the home-logging target above is rated with the same margin).
    delivery_target_pct: Mapped[int] = mapped_column(default=95, server_default="95")
    rag_amber_margin_pct: Mapped[int] = mapped_column(default=5, server_default="5")
    # A carer's concern goes to the provider's managers at once, and to the funder's
    # commissioners if no manager acknowledges it within this many minutes.
    concern_escalate_after_min: Mapped[int] = mapped_column(default=60, server_default="60")
    # Email subjects pass through mail servers' logs: they name the person visited only
    # when the contract says so (the body, behind the sign-in link, always can).
    names_in_email_subjects: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A check-in more than this many minutes before the planned start is an "early
    # start": the carer's app warns and asks why, and the manager sees it.
    early_checkin_warn_min: Mapped[int] = mapped_column(default=60, server_default="60")
    # Edits
    lock_after_days: Mapped[int] = mapped_column(default=7)
    # Travel checks between consecutive visits
    travel_speed_kmh: Mapped[int] = mapped_column(default=20)
    # Billing
    billing_basis: Mapped[BillingBasis] = mapped_column(
        enum_type(BillingBasis), default=BillingBasis.ACTUAL_CAPPED)
    rounding_unit_min: Mapped[int] = mapped_column(default=1)
    rounding: Mapped[Rounding] = mapped_column(enum_type(Rounding), default=Rounding.NEAREST)
    minimum_billable_min: Mapped[int] = mapped_column(default=0)
    complete_units_only: Mapped[bool] = mapped_column(default=False)
    hourly_rate_pence: Mapped[int] = mapped_column(default=1893)
    floor_rate_pence: Mapped[int | None]
    ceiling_rate_pence: Mapped[int | None]
    double_up_rule: Mapped[DoubleUpRule] = mapped_column(
        enum_type(DoubleUpRule), default=DoubleUpRule.EACH_WORKER)
    # A visit whose check-ins were not verified in the home (monitoring/rules.py) is
    # paid as usual, or held until a provider manager confirms it with a reason.
    unverified_visits: Mapped[UnverifiedVisits] = mapped_column(
        enum_type(UnverifiedVisits), default=UnverifiedVisits.PAID,
        server_default=UnverifiedVisits.PAID.value)

    rules: Mapped[list["MonitoringRule"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan")
    call_rates: Mapped[list["CallRate"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="CallRate.duration_min")
    funders: Mapped[list["ContractFunder"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan")


class MonitoringRule(IdMixin, db.Model):
    """Tolerances for one priority of call under one contract."""

    __tablename__ = "monitoring_rules"
    __table_args__ = (sa.UniqueConstraint("contract_id", "priority"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("contracts.id"))
    priority: Mapped[Priority] = mapped_column(enum_type(Priority))
    late_after_min: Mapped[int] = mapped_column(default=15)
    # None: missed when nobody has checked in by the planned end.
    missed_after_min: Mapped[int | None]
    short_margin_min: Mapped[int] = mapped_column(default=15)
    early_finish_min: Mapped[int] = mapped_column(default=15)
    no_checkout_after_min: Mapped[int] = mapped_column(default=60)
    escalate_after_min: Mapped[int] = mapped_column(default=60)

    contract: Mapped[Contract] = relationship(back_populates="rules")


# DOMAIN.md defaults; critical calls are watched more tightly and escalate sooner.
DEFAULT_RULES = {
    Priority.NORMAL: dict(late_after_min=15, missed_after_min=None, short_margin_min=15,
                          early_finish_min=15, no_checkout_after_min=60, escalate_after_min=60),
    Priority.CRITICAL: dict(late_after_min=5, missed_after_min=30, short_margin_min=10,
                            early_finish_min=10, no_checkout_after_min=30, escalate_after_min=15),
}


class CallRate(IdMixin, db.Model):
    """A price for a call of a given planned length (e.g. 30 min £8.20)."""

    __tablename__ = "call_rates"
    __table_args__ = (sa.UniqueConstraint("contract_id", "duration_min"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("contracts.id"))
    duration_min: Mapped[int]
    amount_pence: Mapped[int]

    contract: Mapped[Contract] = relationship(back_populates="call_rates")


class ContractFunder(IdMixin, db.Model):
    """A funder's share of a jointly funded contract (e.g. council 70%, NHS 30%).

    A contract with no rows here is paid wholly by its funder_id; with rows, the
    shares (percentages summing to 100) split every hour, pound and count reported.
    """

    __tablename__ = "contract_funders"
    __table_args__ = (sa.UniqueConstraint("contract_id", "funder_id"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    funder_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"))
    share_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    contract: Mapped[Contract] = relationship(back_populates="funders")
