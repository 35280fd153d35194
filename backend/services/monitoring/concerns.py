"""A carer's concern, raised at check-out: an urgent alert to the provider's managers.

The concern goes to the provider's managers at once. If none of them acknowledges it
within the contract's concern escalation time (60 minutes unless the contract says
otherwise), the minute pass escalates it to the funder's commissioners, as it does
every unanswered alert.
"""
import uuid
from datetime import datetime

import sqlalchemy as sa

from backend.models import Alert, AlertKind, AlertStatus, Contract, Visit
from backend.services.database.dialect import insert_rows_ignoring_duplicates
from backend.services.monitoring import rules
from backend.services.monitoring.notifications import Audience, notify
from backend.services.monitoring.rules import fixed


def raise_concern(visit_id: uuid.UUID, event: dict, now: datetime) -> list:
    """Raise the visit's concern alert (one per visit: a second carer's concern on the
    same visit is on the visit's record, and the alert stands) and tell the managers."""
    concern = event["details"]["concern"]
    text = (concern.get("text") or "").strip()
    created = insert_rows_ignoring_duplicates(Alert.__table__, [dict(
        id=uuid.uuid4(), visit_id=visit_id, kind=AlertKind.CONCERN, status=AlertStatus.OPEN,
        raised_at=now, detail=f"Concern raised by the carer at check-out: {text}"[:2000],
        escalated_at=None)], ["visit_id", "kind"], list(Alert.__table__.c))
    notify(created, Audience.RAISED, now)
    return created


def overdue(now_param):
    """SELECT (alert id) of the open concerns no manager acknowledged within their
    contract's concern escalation time, at the instant `now_param` (SQL). The minute
    pass escalates them with the other overdue alerts (escalation.escalate)."""
    waited_too_long = rules.At(now_param).passed(Alert.raised_at,
                                                 Contract.concern_escalate_after_min)
    return (sa.select(Alert.id).join(Visit, Visit.id == Alert.visit_id)
            .join(Contract, Contract.id == Visit.contract_id)
            .where(Alert.status == fixed(AlertStatus.OPEN, Alert.status.type),
                   Alert.kind == fixed(AlertKind.CONCERN, Alert.kind.type),
                   Alert.escalated_at.is_(None), waited_too_long))
