"""What a visit's bill starts from: each attending carer's delivered seconds, or why
nothing is billed. Decided here, once, for the payment page, its CSVs and the API.

- Only a completed visit is billed; any other says why (still open, missed ...).
- A carer is billed who delivered time (attendance/delivered.py), on every basis: a
  carer a correction marked "not delivered", or whose corrected time is nothing,
  is not billed, and a double-up with one carer there bills one.
- A completed visit with no such carer bills nothing and names whose correction
  made it so.
A visit of one carer reads its seconds from the visit (Visit.delivered_seconds); a
double-up reads each carer's from its event log.
"""
from collections import defaultdict

import sqlalchemy as sa

from backend.extensions import db
from backend.models import NOT_DELIVERED, EventKind, User, VisitEvent, VisitStatus
from backend.services.attendance.visit_state import worker_times

STATUS_REASONS = {VisitStatus.IN_PROGRESS: "visit still open (no check-out)",
                  VisitStatus.SCHEDULED: "not yet delivered"}


def _double_up_seconds(visit_ids: list) -> dict:
    """{visit id: [each attending carer's delivered seconds]} from the events of some visits."""
    if not visit_ids:
        return {}
    events: dict = defaultdict(list)
    stmt = sa.select(VisitEvent).where(VisitEvent.visit_id.in_(visit_ids))
    for event in db.session.scalars(stmt):
        events[event.visit_id].append(event)
    return {vid: [t.seconds for t in worker_times(evs).values() if t.seconds is not None]
            for vid, evs in events.items()}


def _corrected_to_nothing(visit_ids: list) -> dict:
    """{visit id: why nothing is billed} from the corrections of visits that delivered
    nothing: a "not delivered" correction if any (its author named), else the latest."""
    if not visit_ids:
        return {}
    found: dict = {}
    for visit_id, resolution, author in db.session.execute(
            sa.select(VisitEvent.visit_id, VisitEvent.resolution_code, User.display_name)
            .join(User, User.id == VisitEvent.recorded_by_id)
            .where(VisitEvent.visit_id.in_(visit_ids), VisitEvent.kind == EventKind.CORRECTION)
            .order_by(VisitEvent.server_time, VisitEvent.id)):
        if resolution == NOT_DELIVERED:
            found[visit_id] = f"not delivered (correction by {author})"
        elif not found.get(visit_id, "").startswith("not delivered"):
            found[visit_id] = f"no delivered time (corrected to 0 min by {author})"
    return found


def for_visits(rows: list) -> dict:
    """{visit id: (each billed carer's delivered seconds, why nothing is billed or None)}
    for rows with id, status, carers_required and delivered_seconds."""
    completed = [r for r in rows if r.status == VisitStatus.COMPLETED]
    doubles = _double_up_seconds([r.id for r in completed if r.carers_required > 1])
    corrected = _corrected_to_nothing([r.id for r in completed if not r.delivered_seconds])
    decided = {}
    for row in rows:
        if row.status != VisitStatus.COMPLETED:
            why = STATUS_REASONS.get(row.status, f"visit {row.status}")
            decided[row.id] = ((), why)
            continue
        seconds = doubles.get(row.id, ()) if row.carers_required > 1 else (
            (row.delivered_seconds,) if row.delivered_seconds is not None else ())
        seconds = tuple(s for s in seconds if s > 0)
        decided[row.id] = (seconds, None if seconds else corrected.get(row.id))
    return decided
