"""Call monitoring, driven two ways: the minute pass, and the reaction to an arriving event.

`run_detection(now)` is the scheduler's minute job. `react_to_visit_event(visit, now)`
is what the check-in service calls right after it applies an event and refreshes the
visit. Both resolve the alerts arriving check-ins and check-outs answer ("late,
delivered"), raise the alerts the rulebook (rules.py) finds due, and tell the right
people (notifications.py); the pass also escalates what nobody acknowledged in time.
"""
from dataclasses import dataclass, field
from datetime import datetime

from backend.extensions import db
from backend.models import Visit, VisitStatus
from backend.services.dates import clock
from backend.services.monitoring import minute_pass
from backend.services.monitoring.alert_lines import describe
from backend.services.monitoring.detection import Scope, raise_alerts, tolerance_values
from backend.services.monitoring.escalation import escalate
from backend.services.monitoring.notifications import Audience, notify
from backend.services.monitoring.reactions import may_react
from backend.services.monitoring.resolution import reconcile


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


def _judge(scope: Scope, crossed_rows: list = ()) -> DetectionResult:
    """Resolve what events answered, raise what is due, tell the people concerned."""
    result = DetectionResult()
    result.resolved += reconcile(scope)
    created = raise_alerts(scope, describe, crossed_rows)
    for alert in created.alerts:
        result.raised[alert.kind.value] = result.raised.get(alert.kind.value, 0) + 1
    result.notifications += notify(created.alerts, Audience.RAISED, scope.now, created.about)
    return result


def run_detection(now: datetime | None = None) -> DetectionResult:
    """The minute job: resolve, raise, escalate and notify, for every visit in the window."""
    now = now or clock.now()
    start = minute_pass.start_pass(now)
    scope = start.scope
    crossed, overdue = minute_pass.judgement_read(scope) if start.maybe_due else ([], [])
    result = _judge(scope, crossed)
    minute_pass.reviewed(scope.changed_ids)
    escalated = escalate(scope, overdue)
    result.escalated = len(escalated)
    result.notifications += notify(escalated, Audience.ESCALATED, now)
    if start.first_pass or not start.recorded or result.as_dict() != minute_pass.EMPTY_SUMMARY:
        minute_pass.record_run(now, result.as_dict(), start.first_pass)
    else:
        minute_pass.forget_job_run()  # recorded by the starting read
    return result


def react_to_visit_event(visit: Visit, now: datetime | None = None) -> DetectionResult:
    """Call right after applying a visit event and visit_state.refresh(visit).

    Resolves the late/missed alert a check-in answers (an offline check-in after a
    missed alert makes it "late, delivered"), and raises short, early-finish and
    location alerts for this visit at once; the visit then needs no review by the
    next pass. Flushes, never commits.
    """
    now = now or clock.now()
    if visit.review_pending is not False:  # the check-in path's refresh wrote it already
        visit.review_pending = False
    db.session.flush()
    if visit.status == VisitStatus.CANCELLED or not may_react(visit, now):
        return DetectionResult()
    return _judge(Scope(now=now, lookback_start=minute_pass.lookback_start(now),
                        changed_ids=(visit.id,), values=tolerance_values()))
