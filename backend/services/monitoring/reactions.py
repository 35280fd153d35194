"""Whether an arriving check-in, check-out or no-access can change a visit's alerts.

The check-in path asks this of the visit it has just refreshed, judged in memory by the
rulebook (rules.alerts_due): the usual event (on time, in the home, long enough) needs
no more; any other has the visit judged in SQL at once (monitor.react_to_visit_event).
"""
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, MonitoringRule, Visit
from backend.services.monitoring import rules
from backend.services.monitoring.resolution import UNRESOLVED
from backend.services.monitoring.rules import RULE_COLUMNS

# The strictest rule: no tolerance at all. An alert not due under it is due under none
# (each judgement of a started visit only loses cases as its tolerance grows).
STRICTEST = dict.fromkeys(RULE_COLUMNS, 0)

# Built once and run on the connection (the caller has flushed): these run on every
# check-in and check-out, where building the statement and the ORM's execution layer
# cost more than the query.
_VISIT_ALERTS = sa.select(Alert.kind, Alert.status).where(
    Alert.visit_id == sa.bindparam("visit_id"))
_VISIT_RULE = (
    sa.select(*(getattr(MonitoringRule, name) for name in RULE_COLUMNS))
    .where(MonitoringRule.contract_id == sa.bindparam("contract_id"),
           MonitoringRule.priority == sa.bindparam("priority")))


def reaction_needed(visit, now: datetime, alerts: dict, tolerances_of) -> bool:
    """False when judging the visit could neither raise nor resolve an alert.

    `visit`: its refreshed state (status, planned_start, planned_end, duration_min,
    carers_required, actual_start, actual_end, delivered_minutes, location_verified);
    `alerts`: its alerts' status by kind; `tolerances_of()`: its tolerances
    (rules.tolerances), asked for only when some alert may be due.
    """
    if visit.status in rules.WAITING:
        return True  # nobody has checked in: late and missed are judged in SQL
    if any(status in UNRESOLVED for status in alerts.values()):
        return True  # the event may answer one
    if not (rules.alerts_due(visit, STRICTEST, now) - alerts.keys()):
        return False
    return bool(rules.alerts_due(visit, tolerances_of(), now) - alerts.keys())


def may_react(visit: Visit, now: datetime) -> bool:
    """reaction_needed() for a visit of the session: its alerts read by the (visit_id,
    kind) index and, only when some alert may be due, its monitoring rule."""
    if visit.status in rules.WAITING:
        return True  # as reaction_needed() answers, without reading the alerts
    alerts = dict(db.session.connection().execute(_VISIT_ALERTS, {"visit_id": visit.id}).all())
    return reaction_needed(visit, now, alerts, lambda: tolerances_for(visit))


def tolerances_for(visit: Visit) -> dict:
    """The visit's tolerances: its contract's rule row for its priority, else the defaults."""
    row = db.session.connection().execute(
        _VISIT_RULE, {"contract_id": visit.contract_id, "priority": visit.priority}).first()
    return rules.tolerances(None if row is None else row._mapping, visit.priority)
