"""The visit event log: append-only, and `append()` is the only code that writes to it.

Check-ins, check-outs, no-access reports and corrections, live, synced or seeded by
the demo, are all appended here. A row is never updated or deleted: a correction is
a new row that names the worker whose times it corrects.
"""
import functools
import uuid

import sqlalchemy as sa

from backend.errors import Conflict
from backend.extensions import db
from backend.models import EventKind, VisitEvent
from backend.services.database.dialect import (
    insert_ignoring_duplicates, insert_rows_ignoring_duplicates,
)

COLUMNS = tuple(column.key for column in VisitEvent.__table__.columns)
# Rows per statement when many are appended at once (the demo's fortnight).
_BATCH = 2000


@functools.cache
def _insert_one(dialect: str) -> sa.Insert:
    """The INSERT of one event, built once per database: it runs on every check-in."""
    return insert_ignoring_duplicates(VisitEvent.__table__).returning(VisitEvent.id)


def append(rows: list[dict]) -> set[uuid.UUID]:
    """Append events (each a dict of every column); returns the ids stored.

    An event that a unique index already holds (this device's replay of a client
    event id, or a worker's second check-in or check-out of one visit) is skipped,
    not an error, so the caller can tell a replay from a refusal without a savepoint.
    """
    if len(rows) == 1:
        values = {key: rows[0][key] for key in COLUMNS}
        connection = db.session.connection()
        stored = connection.execute(_insert_one(connection.dialect.name), values).first()
        return {stored.id} if stored is not None else set()
    stored = set()
    for start in range(0, len(rows), _BATCH):
        batch = [{key: row[key] for key in COLUMNS} for row in rows[start:start + _BATCH]]
        stored.update(row.id for row in insert_rows_ignoring_duplicates(
            VisitEvent.__table__, batch, None, [VisitEvent.id]))
    return stored


_BY_CLIENT_ID = sa.select(VisitEvent).where(
    VisitEvent.device_id == sa.bindparam("device_id"),
    VisitEvent.client_event_id == sa.bindparam("client_event_id"))


def find_replay(worker_id: uuid.UUID, data: dict) -> VisitEvent | None:
    """The event already stored under this device's client event id, if any."""
    if not data.get("device_id") or not data.get("client_event_id"):
        return None
    event = db.session.scalar(_BY_CLIENT_ID, {"device_id": data["device_id"],
                                              "client_event_id": data["client_event_id"]})
    if event is not None and event.worker_id != worker_id:
        raise Conflict("That client event id is already taken on this device.",
                       code="client_event_id_taken")
    return event


def check_same_event(event: VisitEvent, visit_id, kind: EventKind) -> None:
    """A replay must be the same event: same visit, same kind."""
    if str(event.visit_id) != str(visit_id) or event.kind != kind:
        raise Conflict("That client event id was already used for a different event.",
                       code="client_event_id_reused")
