"""The audit log: who changed what, and when."""
from backend.extensions import db
from backend.models import AuditEntry, User
from backend.services.dates import clock


def record(user: User | None, action: str, obj, **details) -> AuditEntry:
    """Append an audit entry for a change to obj (any model with an id)."""
    entry = AuditEntry(at=clock.now(), user_id=user.id if user else None, action=action,
                       object_type=type(obj).__name__, object_id=str(obj.id),
                       details={k: (str(v) if v is not None else None) for k, v in details.items()})
    db.session.add(entry)
    return entry
