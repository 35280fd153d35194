"""Alerts answered by arriving events: a late or missed call checked in, an open visit
checked out, a location accepted by a correction. The alert is resolved; history stays."""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus, Visit
from backend.services.database.dialect import among
from backend.services.monitoring.alert_lines import hhmm
from backend.services.monitoring.detection import CHUNK, Scope

UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# The alert kinds an event can answer.
ANSWERABLE = (AlertKind.LATE, AlertKind.MISSED, AlertKind.NO_CHECKOUT,
              AlertKind.LOCATION_UNVERIFIED)


def resolution(alert: Alert, visit: Visit) -> str | None:
    """Why an unresolved alert is answered by the visit's events, or None."""
    if alert.kind in (AlertKind.LATE, AlertKind.MISSED) and visit.actual_start is not None:
        minutes = round((visit.actual_start - visit.planned_start).total_seconds() / 60)
        when = f"checked in at {hhmm(visit.actual_start)}, {minutes} min after planned start"
        return f"late, delivered: {when}" if alert.kind == AlertKind.MISSED else when
    if alert.kind == AlertKind.NO_CHECKOUT and visit.actual_end is not None:
        return f"checked out at {hhmm(visit.actual_end)}"
    if alert.kind == AlertKind.LOCATION_UNVERIFIED and visit.location_verified:
        return "location accepted by a correction"
    return None


def reconcile(scope: Scope) -> int:
    """Resolve unresolved alerts that arriving events have answered; history is kept.

    Only visits whose events changed (scope.changed_ids) can have been answered.
    """
    if not scope.changed_ids:
        return 0
    answered = sa.or_(
        sa.and_(Alert.kind.in_([AlertKind.LATE, AlertKind.MISSED]),
                Visit.actual_start.is_not(None)),
        sa.and_(Alert.kind == AlertKind.NO_CHECKOUT, Visit.actual_end.is_not(None)),
        sa.and_(Alert.kind == AlertKind.LOCATION_UNVERIFIED, Visit.location_verified.is_(True)))
    query = (sa.select(Alert, Visit).join(Visit, Visit.id == Alert.visit_id)
             .where(Alert.status.in_(UNRESOLVED), answered))
    rows = []
    for start in range(0, len(scope.changed_ids), CHUNK):
        rows += db.session.execute(query.where(
            among(Alert.visit_id, scope.changed_ids[start:start + CHUNK]))).all()
    count = 0
    for alert, visit in rows:
        text = resolution(alert, visit)
        if text is None:
            continue
        alert.status, alert.resolved_at, alert.resolution = AlertStatus.RESOLVED, scope.now, text
        count += 1
    db.session.flush()
    return count
