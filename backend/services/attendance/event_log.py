"""The visit event log: append-only; append_one() and append() are the only code that
writes to it.

Check-ins, check-outs, no-access reports and corrections, live, synced or seeded by
the demo, are all appended here. A row is never updated or deleted: a correction is
a new row that names the worker whose times it corrects. One event comes with the
visit's cached state rewritten after it (append_one), in the same statement where the
database can carry both.
"""
import functools
import uuid

import sqlalchemy as sa

from backend.errors import Conflict
from backend.extensions import db
from backend.models import EventKind, VisitEvent
from backend.services.database.dialect import (
    insert_ignoring_duplicates, insert_rows_ignoring_duplicates, write_after,
)

COLUMNS = tuple(column.key for column in VisitEvent.__table__.columns)
# Rows per statement when many are appended at once (the demo's fortnight).
_BATCH = 2000


_EVENTS = VisitEvent.__table__


@functools.cache
def _insert_one(dialect: str, then: sa.Update | None) -> tuple[sa.Executable, bool]:
    """The INSERT of one event (parameters "event_<column>"), built once per database and
    following write: (statement, joined) as dialect.write_after() gives them."""
    insert = insert_ignoring_duplicates(_EVENTS).values({
        key: sa.bindparam(f"event_{key}", type_=_EVENTS.c[key].type) for key in COLUMNS
    }).returning(VisitEvent.id)
    return (insert, False) if then is None else write_after(insert, then, "appended")


def append_one(row: dict, then: sa.Update | None = None, parameters: dict | None = None) -> bool:
    """Append one event (a dict of every column), and then, only if it was stored, run
    `then` (an UPDATE with its `parameters`, named apart from "event_..."): the visit's
    cached state, which every live event rewrites. Where the database can, both go in
    one statement (dialect.write_after). False when a unique index already holds the
    event (this device's replay of a client event id, or a worker's second check-in or
    check-out of one visit): nothing is written, and the caller can tell a replay from
    a refusal without a savepoint."""
    connection = db.session.connection()
    statement, joined = _insert_one(connection.dialect.name, then)
    values = {f"event_{key}": row[key] for key in COLUMNS}
    if joined:
        values.update(parameters)
    stored = connection.execute(statement, values).first() is not None
    if stored and then is not None and not joined:
        connection.execute(then, parameters)
    return stored


def append(rows: list[dict]) -> set[uuid.UUID]:
    """Append events (each a dict of every column); returns the ids stored. An event a
    unique index already holds is skipped, as append_one() skips it."""
    if len(rows) == 1:
        return {rows[0]["id"]} if append_one(rows[0]) else set()
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
