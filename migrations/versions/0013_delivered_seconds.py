"""visits.delivered_seconds: delivered time kept in seconds; minutes shown half up

Bills start from each carer's seconds (a complete 15-minute unit needs 900 of
them), and delivered minutes are the seconds rounded once, half up (28:30 -> 29),
where Python's round() had sent halves to the even minute (28:30 -> 28).

The backfill re-derives every visit's delivered time from its event log, by the
rule of this revision (services/attendance/delivered.py and visit_state.py as they
stand; written out here because revisions do not import application code): per
carer, the first check-in and first check-out in server order, a correction's
times replacing either; whole seconds from start to end, none for a carer whose
correction says "not delivered" (until a later correction gives times on other
evidence), summed over the carers.

Revision ID: 0013_delivered_seconds
Revises: 0012_visit_local_slot
Create Date: 2026-11-24 12:00:00.000000

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_delivered_seconds"
down_revision = "0012_visit_local_slot"
branch_labels = None
depends_on = None

BATCH = 5000
SECOND = timedelta(seconds=1)
visits = sa.table("visits", sa.column("id", sa.Uuid()),
                  sa.column("delivered_seconds", sa.Integer()),
                  sa.column("delivered_minutes", sa.Integer()))
events = sa.table("visit_events", sa.column("id", sa.Uuid()), sa.column("visit_id", sa.Uuid()),
                  sa.column("worker_id", sa.Uuid()), sa.column("kind", sa.String()),
                  sa.column("device_time", sa.DateTime(timezone=True)),
                  sa.column("server_time", sa.DateTime(timezone=True)),
                  sa.column("corrected_start", sa.DateTime(timezone=True)),
                  sa.column("corrected_end", sa.DateTime(timezone=True)),
                  sa.column("resolution_code", sa.String()))


def _delivered(visit_events: list) -> int | None:
    """The visit's delivered seconds from its events in server order, or None."""
    carers: dict = {}
    for event in visit_events:
        times = carers.setdefault(event.worker_id, [None, None, False])  # start, end, not
        if event.kind == "check_in":
            times[0] = times[0] or event.device_time
        elif event.kind == "check_out":
            times[1] = times[1] or event.device_time
        elif event.kind == "correction":
            timed = event.corrected_start is not None or event.corrected_end is not None
            times[0] = event.corrected_start or times[0]
            times[1] = event.corrected_end or times[1]
            times[2] = event.resolution_code == "not_delivered" or (times[2] and not timed)
    seconds = [0 if not_delivered else (end - start) // SECOND
               for start, end, not_delivered in carers.values() if start is not None
               and (not_delivered or end is not None and end >= start)]
    return sum(seconds) if seconds else None


def _backfill() -> None:
    connection = op.get_bind()
    update = (visits.update().where(visits.c.id == sa.bindparam("b_id"))
              .values(delivered_seconds=sa.bindparam("b_seconds"),
                      delivered_minutes=sa.bindparam("b_minutes")))
    rows = connection.execute(
        sa.select(events.c.visit_id, events.c.worker_id, events.c.kind, events.c.device_time,
                  events.c.corrected_start, events.c.corrected_end, events.c.resolution_code)
        .order_by(events.c.visit_id, events.c.server_time, events.c.id)
        .execution_options(stream_results=True, yield_per=BATCH))
    pending, current, found = [], None, []

    def finish():
        seconds = _delivered(found)
        pending.append({"b_id": current, "b_seconds": seconds,
                        "b_minutes": None if seconds is None else (seconds + 30) // 60})

    for row in rows:
        if row.visit_id != current:
            if current is not None:
                finish()
            current, found = row.visit_id, []
        found.append(row)
        if len(pending) >= BATCH:
            connection.execute(update, pending)
            pending = []
    if current is not None:
        finish()
    if pending:
        connection.execute(update, pending)


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_seconds", sa.Integer(), nullable=True))
    _backfill()


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("delivered_seconds")
