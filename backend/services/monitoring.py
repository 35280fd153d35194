"""Call monitoring: the detection pass, reactions to arriving events, and escalation.

`run_detection(now)` is the scheduler's minute job. `react_to_visit_event(visit, now)`
is what the check-in service calls right after it applies an event and refreshes
the visit. Both raise due alerts, resolve the ones an arriving check-in or
check-out answers ("late, delivered"), and tell the right people (notifications.py).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, Alert, AlertKind, AlertStatus, CarePackage, MonitoringRule, SchedulerJobRun,
    Visit, VisitStatus,
)
from backend.services import clock
from backend.services.detection import (
    Scope, in_chunks, raise_alerts, reached, recently_changed, tolerance_values, with_rules,
)
from backend.services.notifications import Audience, notify
from backend.services.sql_dialect import among

JOB_NAME = "detection"
# Events are stamped before their request commits: look a little behind the last pass
# (a request lives well under a minute: gunicorn's worker timeout is 30 s).
EVENT_OVERLAP = timedelta(minutes=1)
# With no earlier pass on record, events of the last hour are looked at.
FIRST_PASS_EVENTS = timedelta(hours=1)
UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# Kinds that go to the funder when nobody has acknowledged them in time.
ESCALATING = (AlertKind.LATE, AlertKind.MISSED, AlertKind.SHORT, AlertKind.NO_CHECKOUT,
              AlertKind.EARLY_FINISH, AlertKind.CONCERN)


@dataclass
class DetectionResult:
    """What one pass did, by kind."""

    raised: dict = field(default_factory=dict)
    resolved: int = 0
    escalated: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        """Plain summary for logs and the job record."""
        return {"raised": self.raised, "resolved": self.resolved,
                "escalated": self.escalated, "notifications": self.notifications}


def _hhmm(instant: datetime | None) -> str:
    return instant.astimezone(clock.zone()).strftime("%H:%M") if instant else "?"


def describe(kind: AlertKind, visit: Visit) -> str:
    """One line a manager can act on."""
    planned = f"{_hhmm(visit.planned_start)}-{_hhmm(visit.planned_end)} on {visit.local_date}"
    return {
        AlertKind.LATE: f"No check-in yet for the visit planned {planned}.",
        AlertKind.MISSED: f"Missed: nobody checked in for the visit planned {planned}.",
        AlertKind.SHORT: f"Short call: {visit.delivered_minutes} of {visit.duration_min} "
                         f"minutes delivered ({planned}).",
        AlertKind.NO_CHECKOUT: f"Checked in at {_hhmm(visit.actual_start)} but not checked "
                               f"out; planned {planned}.",
        AlertKind.EARLY_FINISH: f"Finished at {_hhmm(visit.actual_end)}, before the planned "
                                f"end ({planned}).",
        AlertKind.LOCATION_UNVERIFIED: f"Check-in location not verified at the home ({planned}).",
    }.get(kind, f"Alert for the visit planned {planned}.")


def _scope(now: datetime, visit_ids=None) -> Scope:
    lookback = now - timedelta(hours=current_app.config.get("MONITORING_LOOKBACK_HOURS", 24))
    since = lookback
    if visit_ids is None:
        last = db.session.get(SchedulerJobRun, JOB_NAME)
        since = now - FIRST_PASS_EVENTS if last is None else min(last.last_run_at, now)
        since = max(lookback, since - EVENT_OVERLAP)
    return Scope(now=now, lookback_start=lookback, events_since=since,
                 visit_ids=tuple(visit_ids) if visit_ids is not None else None,
                 values=tolerance_values())


def _resolution(alert: Alert, visit: Visit) -> str | None:
    """Why an unresolved alert is answered by the visit's events, or None."""
    if alert.kind in (AlertKind.LATE, AlertKind.MISSED) and visit.actual_start is not None:
        minutes = round((visit.actual_start - visit.planned_start).total_seconds() / 60)
        when = f"checked in at {_hhmm(visit.actual_start)}, {minutes} min after planned start"
        return f"late, delivered: {when}" if alert.kind == AlertKind.MISSED else when
    if alert.kind == AlertKind.NO_CHECKOUT and visit.actual_end is not None:
        return f"checked out at {_hhmm(visit.actual_end)}"
    if alert.kind == AlertKind.LOCATION_UNVERIFIED and visit.location_verified:
        return "location accepted by a correction"
    return None


def reconcile(scope: Scope) -> int:
    """Resolve unresolved alerts that arriving events have answered; history is kept.

    Only visits whose events arrived since the last pass can have been answered.
    """
    answered = sa.or_(
        sa.and_(Alert.kind.in_([AlertKind.LATE, AlertKind.MISSED]),
                Visit.actual_start.is_not(None)),
        sa.and_(Alert.kind == AlertKind.NO_CHECKOUT, Visit.actual_end.is_not(None)),
        sa.and_(Alert.kind == AlertKind.LOCATION_UNVERIFIED, Visit.location_verified.is_(True)))
    query = (sa.select(Alert, Visit).join(Visit, Visit.id == Alert.visit_id)
             .where(Alert.status.in_(UNRESOLVED), answered))
    if scope.visit_ids is not None:
        query = query.where(among(Alert.visit_id, scope.visit_ids))
    else:
        query = query.where(recently_changed(scope))
    count = 0
    for alert, visit in db.session.execute(query).all():
        text = _resolution(alert, visit)
        if text is None:
            continue
        alert.status, alert.resolved_at, alert.resolution = AlertStatus.RESOLVED, scope.now, text
        count += 1
    db.session.flush()
    return count


def escalate(scope: Scope) -> list[Alert]:
    """Mark open alerts nobody acknowledged within escalate_after_min; returns them.

    Looks only at alerts whose deadline fell since the last pass (indexed by age).
    """
    now, values = scope.now, scope.values["escalate_after_min"]
    query = (with_rules(sa.select(Alert).join(Visit, Visit.id == Alert.visit_id))
             .where(Alert.status == AlertStatus.OPEN, Alert.escalated_at.is_(None),
                    Alert.kind.in_(ESCALATING),
                    Alert.raised_at > scope.events_since - timedelta(minutes=max(values)),
                    Alert.raised_at <= now - timedelta(minutes=min(values)),
                    reached(Alert.raised_at, "escalate_after_min", values, now)))
    alerts = list(db.session.scalars(query))
    for alert in alerts:
        alert.escalated_at = now
    db.session.flush()
    return alerts


def _pass(scope: Scope) -> DetectionResult:
    result = DetectionResult()
    created = []
    for part in in_chunks(scope):
        result.resolved += reconcile(part)
        created += raise_alerts(part, describe)
    for alert in created:
        result.raised[alert.kind.value] = result.raised.get(alert.kind.value, 0) + 1
    result.notifications += notify(created, Audience.RAISED, scope.now)
    return result


def run_detection(now: datetime | None = None) -> DetectionResult:
    """The minute job: resolve, raise, escalate and notify, for every visit in the window."""
    now = now or clock.now()
    scope = _scope(now)
    result = _pass(scope)
    escalated = escalate(scope)
    result.escalated = len(escalated)
    result.notifications += notify(escalated, Audience.ESCALATED, now)
    _record_run(now, result)
    return result


def react_to_visit_event(visit: Visit, now: datetime | None = None) -> DetectionResult:
    """Call right after applying a visit event and visit_state.refresh(visit).

    Resolves the late/missed alert a check-in answers (an offline check-in after a
    missed alert makes it "late, delivered"), and raises short, early-finish and
    location alerts for this visit at once. Flushes, never commits.
    """
    now = now or clock.now()
    db.session.flush()
    if visit.status == VisitStatus.CANCELLED or not _may_react(visit, now):
        return DetectionResult()
    return _pass(_scope(now, visit_ids=[visit.id]))


def _may_react(visit: Visit, now: datetime) -> bool:
    """False when the full pass could neither raise nor resolve an alert for this visit.

    Decided from the visit's refreshed columns, one read of its alerts by the
    (visit_id, kind) index and, only when a kind may be due, its monitoring rule row,
    so the usual event (on time, in the home) skips the rule query. Each test is a
    necessary condition of the pass's SQL, a minute generous at the boundaries; when
    in doubt the pass runs.
    """
    if visit.status in (VisitStatus.SCHEDULED, VisitStatus.MISSED):
        return True  # late and missed are the pass's business
    alerts = dict(db.session.connection().execute(_VISIT_ALERTS, {"visit_id": visit.id}).all())
    if any(status in UNRESOLVED for status in alerts.values()):
        return True  # the pass may resolve it
    if visit.location_verified is False and AlertKind.LOCATION_UNVERIFIED not in alerts:
        return True
    due = _due_with_tolerance(visit, now, tolerance=lambda name: 0)
    if not (due - alerts.keys()):
        return False
    rules = _rules_for(visit)
    return bool(_due_with_tolerance(visit, now, tolerance=rules.get) - alerts.keys())


def _due_with_tolerance(visit: Visit, now: datetime, tolerance) -> set[AlertKind]:
    """Time-based kinds that may be due, given each tolerance in minutes."""
    slack = timedelta(minutes=1)  # SQL compares fractional minutes; never miss by rounding
    due = set()
    if visit.status == VisitStatus.IN_PROGRESS and visit.planned_end <= (
            now - timedelta(minutes=tolerance("no_checkout_after_min")) + slack):
        due.add(AlertKind.NO_CHECKOUT)
    if visit.status == VisitStatus.COMPLETED:
        if visit.delivered_minutes is not None and (
                visit.delivered_minutes < visit.duration_min - tolerance("short_margin_min")):
            due.add(AlertKind.SHORT)
        if visit.actual_end is not None and visit.planned_end - visit.actual_end > (
                timedelta(minutes=tolerance("early_finish_min")) - slack):
            due.add(AlertKind.EARLY_FINISH)
    return due


# Built once and run on the connection (the caller has flushed): these run on every
# check-in and check-out, where building the statement and the ORM's execution layer
# cost more than the query.
_VISIT_ALERTS = sa.select(Alert.kind, Alert.status).where(
    Alert.visit_id == sa.bindparam("visit_id"))
_VISIT_RULES = (
    sa.select(MonitoringRule.short_margin_min, MonitoringRule.early_finish_min,
              MonitoringRule.no_checkout_after_min)
    .join(CarePackage, CarePackage.contract_id == MonitoringRule.contract_id)
    .where(CarePackage.id == sa.bindparam("package_id"),
           MonitoringRule.priority == sa.bindparam("priority")))


def _rules_for(visit: Visit) -> dict:
    """The visit's tolerances: its contract's rule row for its priority, else the defaults."""
    row = db.session.connection().execute(
        _VISIT_RULES, {"package_id": visit.package_id, "priority": visit.priority}).first()
    return dict(row._mapping) if row is not None else dict(DEFAULT_RULES[visit.priority])


def _record_run(now: datetime, result: DetectionResult) -> None:
    run = db.session.get(SchedulerJobRun, JOB_NAME)
    if run is None:
        run = SchedulerJobRun(name=JOB_NAME, last_run_at=now)
        db.session.add(run)
    run.last_run_at = max(run.last_run_at, now)
    run.last_finished_at = clock.now()
    run.last_summary = result.as_dict()
    db.session.flush()
