"""Escalation: an alert nobody acknowledged within its rule's escalate_after_min (a carer's
concern: its contract's concern_escalate_after_min) goes to the funder's commissioners
(notifications.Audience.ESCALATED)."""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, AlertKind, AlertStatus, Visit
from backend.services.database.dialect import among
from backend.services.monitoring import concerns, rules
from backend.services.monitoring.detection import NOW, Scope, now_clock
from backend.services.monitoring.rules import fixed, minutes_of

# Kinds that go to the funder when nobody has acknowledged them in time, by the rule
# of the visit's contract and priority (a concern by its contract's own time).
ESCALATING = (AlertKind.LATE, AlertKind.MISSED, AlertKind.SHORT, AlertKind.NO_CHECKOUT,
              AlertKind.EARLY_FINISH, AlertKind.CONCERN)
ESCALATE = "escalate"  # the kind column of the overdue-alert rows (minute_pass.judgement_read)


def unacknowledged(raised_after, raised_before):
    """SQL: an open alert of an escalating kind, not escalated yet, raised in
    [raised_after, raised_before)."""
    return sa.and_(Alert.status == fixed(AlertStatus.OPEN, Alert.status.type),
                   Alert.escalated_at.is_(None),
                   Alert.kind.in_([fixed(kind, Alert.kind.type) for kind in ESCALATING]),
                   Alert.raised_at >= raised_after, Alert.raised_at < raised_before)


def overdue(values: dict):
    """SELECT (alert id, ESCALATE) of the open alerts nobody acknowledged in time.

    The unacknowledged alerts in the age range that covers every escalation time are
    read first (a materialised CTE, indexed by status, kind and age); their visit's rule
    then decides which are overdue, so the planner never weighs the OR of rule values
    against the indexes (which cost more than running the statement).
    """
    shortest = minutes_of(values["escalate_after_min"])[0]
    found = (
        sa.select(Alert.id, Alert.raised_at, Visit.contract_id, Visit.priority)
        .join(Visit, Visit.id == Alert.visit_id)
        .where(unacknowledged(sa.bindparam("raised_after"), sa.bindparam(f"upto_{shortest}")))
        .cte("unacknowledged").prefix_with("MATERIALIZED"))
    c = found.c
    waited_too_long = now_clock(values).passed(
        c.raised_at, rules.tolerance("escalate_after_min", c.priority), "escalate_after_min")
    return rules.with_rule(sa.select(c.id, fixed(ESCALATE)).select_from(found),
                           c.contract_id, c.priority).where(waited_too_long)


def overdue_concerns():
    """SELECT (alert id, ESCALATE) of the carers' concerns overdue at the pass's instant."""
    return concerns.overdue(NOW).add_columns(fixed(ESCALATE))


def escalate(scope: Scope, overdue_ids: list) -> list[Alert]:
    """Mark the overdue alerts (read by minute_pass.judgement_read) escalated; returns them.

    Only those still open and unescalated: this pass may have resolved one since.
    """
    if not overdue_ids:
        return []
    ids = [row.id for row in db.session.execute(
        sa.update(Alert).where(among(Alert.id, overdue_ids), Alert.status == AlertStatus.OPEN,
                               Alert.escalated_at.is_(None))
        .values(escalated_at=scope.now).returning(Alert.id)
        .execution_options(synchronize_session=False))]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Alert).where(among(Alert.id, ids))
                                   .execution_options(populate_existing=True)))
