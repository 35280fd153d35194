"""The access log: who read which person's record, visit or rota, and who downloaded
which export (issue 16). Changes are kept apart, for good, in the change trail
(audit/trail.py); reads are many, so they are written cheaply and kept for a period.

Cheap: a read is queued, not written, when it happens, and the unit of work writes the
request's reads as one INSERT just before it commits (services/database/deferred.py).
A page that fails is rolled back, and its reads with it: nothing was shown. A person
read several ways in one request (the person page also lists their goals and outcome
timeline) is logged once.
"""
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import AccessEntry, ServiceUser, User
from backend.services.database.deferred import at_commit, pending
from backend.services.dates import clock
from backend.services.identity import access

_INSERT = AccessEntry.__table__.insert()

# What a reader was shown, in the admin page's words.
WHAT = {"person": "person's record", "visit": "visit record", "goals": "goals",
        "outcome_timeline": "outcome timeline", "rota_visit": "visit on the carer's rota",
        "rota_week": "provider's rota week", "export": "export download"}


def _plain(value):
    """A parameter as JSON keeps it (dates as ISO text, ids and choices as text)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(getattr(value, "value", value))


def record_read(user: User, what: str, object_id, person_id: uuid.UUID | None = None,
                **details) -> None:
    """Log that `user` was shown `what` (its id, and the person whose record it is part
    of), written when the unit of work commits."""
    if person_id is not None and any(
            row["service_user_id"] == person_id and row["user_id"] == user.id
            for row in pending(_INSERT)):
        return
    at_commit(_INSERT, {"id": uuid.uuid4(), "at": clock.now(), "user_id": user.id,
                        "what": what, "object_id": str(object_id),
                        "service_user_id": person_id,
                        "details": {k: _plain(v) for k, v in details.items()} or None})


def record_download(user: User, export: str, **parameters) -> None:
    """Log that `user` downloaded an export (its name and the parameters asked for)."""
    # Parameter names as the caller typed them ("from", not the schema's "from_").
    record_read(user, "export", export, **{k.rstrip("_"): v for k, v in parameters.items()
                                           if v is not None})


@dataclass(frozen=True)
class Reading:
    """One line of "who looked at this": when, who, and what they were shown."""

    at: datetime
    reader: User | None
    what: str
    object_id: str
    details: dict


def _readings(user: User, where, limit: int) -> list[Reading]:
    rows = db.session.execute(
        sa.select(AccessEntry, User).outerjoin(User, User.id == AccessEntry.user_id)
        .where(access.visible(user, AccessEntry), where)
        .order_by(AccessEntry.at.desc()).limit(limit)).all()
    return [Reading(entry.at, reader, WHAT.get(entry.what, entry.what), entry.object_id,
                    entry.details or {}) for entry, reader in rows]


def readers_of(user: User, person_id, limit: int = 500) -> tuple[ServiceUser, list[Reading]]:
    """Who looked at this person's record, newest first (NotFound if the user may not
    see the person; an empty list unless the user may read the access log)."""
    person = access.get_visible(user, ServiceUser, person_id, "person")
    return person, _readings(user, AccessEntry.service_user_id == person.id, limit)


def downloads(user: User, limit: int = 500) -> list[Reading]:
    """Who downloaded which export, newest first."""
    return _readings(user, AccessEntry.what == "export", limit)


def prune(now: datetime | None = None) -> int:
    """Delete reads older than ACCESS_LOG_RETENTION_DAYS; answers how many."""
    days = current_app.config["ACCESS_LOG_RETENTION_DAYS"]
    cutoff = (now or clock.now()) - timedelta(days=days)
    return db.session.execute(
        sa.delete(AccessEntry).where(AccessEntry.at < cutoff)
        .execution_options(synchronize_session=False)).rowcount
