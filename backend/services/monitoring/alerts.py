"""Alerts as managers and commissioners see them: list, acknowledge with a note, resolve."""
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.errors import Conflict
from backend.extensions import db
from backend.models import (
    Alert, AlertKind, AlertStatus, CarePackage, Priority, User, Visit, VisitAssignment,
)
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.identity.names import told_apart


@dataclass
class AlertFilter:
    """Optional filters for the alert list."""

    status: AlertStatus | None = None
    kind: AlertKind | None = None
    raised_from: date | None = None  # local dates, inclusive
    raised_to: date | None = None
    provider_id: object = None
    escalated_only: bool = False
    unresolved_only: bool = False  # open and acknowledged: still someone's to finish
    by_urgency: bool = False  # most urgent first (URGENCY), else newest first
    limit: int = 100
    offset: int = 0


# Urgency of an alert: time-critical calls (medication, insulin) first, then by kind (a
# missed call or a carer's concern before a late start), unanswered before acknowledged,
# then the one waiting longest.
KIND_URGENCY = (AlertKind.MISSED, AlertKind.CONCERN, AlertKind.LATE, AlertKind.NO_CHECKOUT,
                AlertKind.LOCATION_UNVERIFIED, AlertKind.SHORT, AlertKind.EARLY_FINISH)


def _urgency_order() -> list:
    critical = sa.select(Visit.priority).where(Visit.id == Alert.visit_id).scalar_subquery()
    return [sa.case((critical == Priority.CRITICAL, 0), else_=1),
            sa.case(*((Alert.kind == k, n) for n, k in enumerate(KIND_URGENCY)),
                    else_=len(KIND_URGENCY)),
            sa.case((Alert.status == AlertStatus.OPEN, 0), else_=1),
            Alert.raised_at, Alert.id]


def list_alerts(user: User, filters: AlertFilter) -> list[Alert]:
    """The alerts `user` may see, newest first, filtered."""
    query = access.scoped(user, Alert)
    if filters.status is not None:
        query = query.where(Alert.status == filters.status)
    if filters.kind is not None:
        query = query.where(Alert.kind == filters.kind)
    if filters.raised_from is not None:
        query = query.where(Alert.raised_at >= clock.local_day_bounds(filters.raised_from)[0])
    if filters.raised_to is not None:
        query = query.where(Alert.raised_at < clock.local_day_bounds(filters.raised_to)[1])
    if filters.escalated_only:
        query = query.where(Alert.escalated_at.is_not(None))
    if filters.unresolved_only:
        query = query.where(Alert.status != AlertStatus.RESOLVED)
    if filters.provider_id is not None:
        query = query.where(Alert.visit_id.in_(
            sa.select(Visit.id).join(CarePackage, CarePackage.id == Visit.package_id)
            .where(CarePackage.provider_id == filters.provider_id)))
    order = _urgency_order() if filters.by_urgency else [Alert.raised_at.desc(), Alert.id]
    query = query.order_by(*order).limit(filters.limit).options(
        selectinload(Alert.visit).selectinload(Visit.package)
        .selectinload(CarePackage.service_user),
        selectinload(Alert.visit).selectinload(Visit.assignments)
        .selectinload(VisitAssignment.worker))
    return list(db.session.scalars(query.offset(filters.offset)))


def carer_names(alerts: list[Alert]) -> dict:
    """Alert id -> the names of its visit's carers (same-named carers told apart)."""
    names = told_apart(a.worker for alert in alerts for a in alert.visit.assignments)
    return {alert.id: [names[a.worker_id] for a in alert.visit.assignments] for alert in alerts}


def get_alert(user: User, alert_id) -> Alert:
    """One alert the user may see; NotFound otherwise."""
    return access.get_visible(user, Alert, alert_id, "alert")


def _when(instant: datetime) -> str:
    return instant.astimezone(clock.zone()).strftime("%d %b %Y %H:%M")


def acknowledge(user: User, alert_id, note: str, now: datetime | None = None) -> Alert:
    """Say someone is dealing with it. A resolved or already acknowledged alert -> Conflict."""
    alert = access.get_changeable(user, Alert, alert_id, "alert")
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(f"This alert was resolved at {_when(alert.resolved_at)} "
                       f"({alert.resolution}); it cannot be acknowledged.", code="alert_resolved")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        raise Conflict(f"This alert was already acknowledged at {_when(alert.acknowledged_at)}.",
                       code="already_acknowledged")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at, alert.acknowledged_by_id = now or clock.now(), user.id
    alert.acknowledge_note = note
    db.session.flush()
    return alert


def resolve(user: User, alert_id, resolution: str, now: datetime | None = None) -> Alert:
    """Close the alert with what was done. Resolving twice -> Conflict saying when and how."""
    alert = access.get_changeable(user, Alert, alert_id, "alert")
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(f"This alert was already resolved at {_when(alert.resolved_at)}: "
                       f"{alert.resolution}", code="already_resolved")
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_by_id, alert.resolution = now or clock.now(), user.id, \
        resolution
    db.session.flush()
    return alert


@dataclass
class AlertDetail:
    """One alert with what its page shows: the visit's person and carers (told apart by
    name) and who acknowledged and resolved it."""

    alert: Alert
    carers: list[str]
    acknowledged_by: str | None
    resolved_by: str | None

    @property
    def visit(self) -> Visit:
        return self.alert.visit


def alert_detail(user: User, alert_id) -> AlertDetail:
    """One alert the user may see, with its visit's carers and the people who acted."""
    alert = get_alert(user, alert_id)
    carers = told_apart(a.worker for a in alert.visit.assignments)
    acted = {u.id: u.display_name for u in db.session.scalars(sa.select(User).where(
        User.id.in_([i for i in (alert.acknowledged_by_id, alert.resolved_by_id) if i])))}
    return AlertDetail(alert, list(carers.values()), acted.get(alert.acknowledged_by_id),
                       acted.get(alert.resolved_by_id))
