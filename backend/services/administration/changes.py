"""Applying a change to a record and auditing it: who, when, the fields before and after."""
from backend.models import User
from backend.services.audit import trail


def apply(user: User | None, obj, action: str, values: dict) -> dict:
    """Set the given (already checked) fields on obj; audit the ones that really changed.

    Returns the changed fields' new values: empty when nothing changed, and then
    nothing is written to the audit log either (a re-import of the same row is silent).
    """
    before, after = {}, {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            before[name], after[name] = old, value
            setattr(obj, name, value)
    if after:
        trail.record_change(user, action, obj, before, after)
    return after


def created(user: User | None, obj, action: str, fields) -> None:
    """Audit a new record with the fields it was created with."""
    trail.record_change(user, action, obj, {}, {name: getattr(obj, name) for name in fields})
