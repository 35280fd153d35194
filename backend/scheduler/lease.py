"""The database lease that lets only one scheduler act at a time (portable: both databases).

Every job renews the lease in its own transaction before it works. The renewal is
one UPDATE that succeeds only for the holder or once the lease has expired, so two
schedulers started by mistake never act together: the second waits until the
first stops renewing (SCHEDULER_LEASE_SECONDS) and then takes over. On PostgreSQL
the UPDATE also locks the row until the job commits, so a rival blocks instead of
racing.
"""
import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import SchedulerLease
from backend.services.database.dialect import insert_ignoring_duplicates

LEASE_NAME = "scheduler"


def new_holder_id() -> str:
    """A name for this process that no other process shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hold_lease(holder: str, now: datetime, seconds: int, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease for `seconds`; False if another live holder has it."""
    table = SchedulerLease.__table__
    expires = now + timedelta(seconds=seconds)
    renewed = db.session.execute(
        table.update()
        .where(table.c.name == name, sa.or_(table.c.holder == holder, table.c.expires_at < now))
        .values(holder=holder, expires_at=expires))
    if renewed.rowcount:
        return True
    db.session.execute(insert_ignoring_duplicates(table, ["name"]).values(
        name=name, holder=holder, expires_at=expires))
    current = db.session.scalar(sa.select(table.c.holder).where(table.c.name == name))
    return current == holder


def release_lease(holder: str, now: datetime, name: str = LEASE_NAME) -> None:
    """Give the lease up at once (clean shutdown), so a standby need not wait for expiry."""
    table = SchedulerLease.__table__
    db.session.execute(table.update().where(table.c.name == name, table.c.holder == holder)
                       .values(expires_at=now))


def lease_holder(name: str = LEASE_NAME) -> SchedulerLease | None:
    """The lease row, for status output."""
    return db.session.get(SchedulerLease, name)
