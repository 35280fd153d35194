"""The audit log: who changed what, and when."""
import enum
import uuid
from datetime import date, datetime, time
from decimal import Decimal

from backend.extensions import db
from backend.models import AuditEntry, User
from backend.services.database.dialect import bulk_insert
from backend.services.database.ids import new_ids
from backend.services.dates import clock


def record(user: User | None, action: str, obj, **details) -> AuditEntry:
    """Append an audit entry for a change to obj (any model with an id)."""
    entry = AuditEntry(at=clock.now(), user_id=user.id if user else None, action=action,
                       object_type=type(obj).__name__, object_id=str(obj.id),
                       details={k: (str(v) if v is not None else None) for k, v in details.items()})
    db.session.add(entry)
    return entry


def plain(value):
    """A value as it is kept in the log's JSON: text for dates, ids, enums and money."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime, time, uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def record_change(user: User | None, action: str, obj, before: dict, after: dict) -> AuditEntry:
    """Append an audit entry with the fields a change touched, as they were and are now."""
    entry = AuditEntry(at=clock.now(), user_id=user.id if user else None, action=action,
                       object_type=type(obj).__name__, object_id=str(obj.id),
                       details={"before": plain(before), "after": plain(after)})
    db.session.add(entry)
    return entry


def record_created_many(user: User | None, action: str, object_type: str,
                        records: list[tuple]) -> None:
    """Audit many new records at once (an import): [(id, fields)], each with an empty
    "before" and its fields "after"; one executemany."""
    at = clock.now()
    bulk_insert(AuditEntry.__table__, [
        {"id": entry_id, "at": at, "user_id": user.id if user else None, "action": action,
         "object_type": object_type, "object_id": str(object_id),
         "details": {"before": {}, "after": plain(fields)}}
        for entry_id, (object_id, fields) in zip(new_ids(len(records)), records, strict=True)])
