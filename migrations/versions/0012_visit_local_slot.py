"""visits keyed by their call: package, local day and planned wall-clock time

Two calls of one package that the spring clock change puts on the same instant
(01:30 and 02:00 on the night 01:30 is skipped) were one visit under the unique key
(package_id, planned_start), and the second call was lost. A visit is now keyed by
(package_id, local_date, local_time): the call the pattern asks for.

Existing visits take local_time from their planned start on the local wall clock
(ECM_TIMEZONE). A call the spring change moved keeps the time it was moved to; the
next visit generation run puts any lost twin back.

Revision ID: 0012_visit_local_slot
Revises: 0011_concern_escalation
Create Date: 2026-11-24 10:00:00.000000

"""
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0012_visit_local_slot"
down_revision = "0011_concern_escalation"
branch_labels = None
depends_on = None

BATCH = 5000
visits = sa.table("visits", sa.column("id", sa.Uuid()),
                  sa.column("planned_start", sa.DateTime(timezone=True)),
                  sa.column("local_time", sa.Time()))


def _backfill() -> None:
    """local_time = planned start on the local wall clock, in batches."""
    zone = ZoneInfo(current_app.config.get("ECM_TIMEZONE", "Europe/London"))
    connection = op.get_bind()
    rows = connection.execute(sa.select(visits.c.id, visits.c.planned_start)
                              .where(visits.c.local_time.is_(None))).all()
    update = (visits.update().where(visits.c.id == sa.bindparam("b_id"))
              .values(local_time=sa.bindparam("b_time")))
    for first in range(0, len(rows), BATCH):
        values = []
        for visit_id, start in rows[first:first + BATCH]:
            if start.tzinfo is None:  # SQLite keeps UTC without a zone
                start = start.replace(tzinfo=UTC)
            values.append({"b_id": visit_id, "b_time": start.astimezone(zone).time()})
        connection.execute(update, values)


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_time", sa.Time(), nullable=True))
    _backfill()
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.alter_column("local_time", existing_type=sa.Time(), nullable=False)
        batch_op.drop_constraint("uq_visit_package_start", type_="unique")
        batch_op.create_unique_constraint("uq_visit_package_local_slot",
                                          ["package_id", "local_date", "local_time"])


def downgrade():
    # Fails if two calls share an instant (spring gap): merge or cancel one first.
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint("uq_visit_package_local_slot", type_="unique")
        batch_op.create_unique_constraint("uq_visit_package_start",
                                          ["package_id", "planned_start"])
        batch_op.drop_column("local_time")
