"""A carer's "no access" (no answer, not at home, refused, unsafe): the office is told at
once, as an alert to the provider's managers, so someone rings the person or their
family and decides on a second visit while the carer moves on."""
import uuid
from datetime import datetime

from backend.models import Alert, AlertKind, AlertStatus
from backend.services.database.dialect import insert_rows_ignoring_duplicates
from backend.services.monitoring.notifications import Audience, notify


def tell_the_office(visit_id: uuid.UUID, event: dict, now: datetime) -> list:
    """Raise the visit's no-access alert (one per visit) and tell the managers now."""
    reason = (event.get("reason_code") or "not given").replace("_", " ")
    note = (event.get("note") or "").strip()
    detail = f"No access reported by the carer: {reason}." + (f" {note}" if note else "")
    created = insert_rows_ignoring_duplicates(Alert.__table__, [dict(
        id=uuid.uuid4(), visit_id=visit_id, kind=AlertKind.NO_ACCESS, status=AlertStatus.OPEN,
        raised_at=now, detail=detail[:2000], escalated_at=None)], ["visit_id", "kind"],
        list(Alert.__table__.c))
    notify(created, Audience.RAISED, now)
    return created
