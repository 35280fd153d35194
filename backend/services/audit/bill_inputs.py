"""What a visit's bill starts from: each attending carer's delivered seconds, or why
nothing is billed. Decided here, once, for the payment page, its CSVs and the API.

- Only a completed visit is billed; any other says why (still open, missed ...).
- A carer is billed who delivered time (attendance/delivered.py), on every basis: a
  carer a correction marked "not delivered", or whose corrected time is nothing,
  is not billed, and a double-up with one carer there bills one.
- A completed visit with no such carer bills nothing and names whose correction
  made it so.
A visit of one carer reads its seconds from the visit (Visit.delivered_seconds); a
double-up reads each carer's from its event log. Whether a visit was verified in the
home is the rulebook's (monitoring/rules.not_verified_in_home); a provider manager's
confirmation that one not verified was delivered is read for those only.
"""
from collections import defaultdict
from typing import NamedTuple

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    NOT_DELIVERED, DeliveryConfirmation, EventKind, User, VisitEvent, VisitStatus,
)
from backend.services.attendance.visit_state import worker_times
from backend.services.dates import clock
from backend.services.monitoring.rules import not_verified_in_home

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


def confirmations(visit_ids: list) -> dict:
    """{visit id: a provider manager's confirmation that it was delivered, in words}."""
    if not visit_ids:
        return {}
    zone = clock.zone()
    return {visit_id: f"{name} on {at.astimezone(zone).date().isoformat()}: {reason}"
            for visit_id, name, at, reason in db.session.execute(
                sa.select(DeliveryConfirmation.visit_id, User.display_name,
                          DeliveryConfirmation.confirmed_at, DeliveryConfirmation.reason)
                .join(User, User.id == DeliveryConfirmation.confirmed_by_id)
                .where(DeliveryConfirmation.visit_id.in_(visit_ids)))}


class BillInputs(NamedTuple):
    """What billing.bill_visit starts from for one visit."""

    seconds: tuple  # each billed carer's delivered seconds
    not_billed_because: str | None
    not_verified: bool = False  # judged not verified in the home
    confirmation: str | None = None  # a manager's confirmation, when not verified


def for_visits(rows: list) -> dict:
    """{visit id: BillInputs} for rows with id, status, carers_required, delivered_seconds
    and location_verified."""
    completed = [r for r in rows if r.status == VisitStatus.COMPLETED]
    doubles = _double_up_seconds([r.id for r in completed if r.carers_required > 1])
    corrected = _corrected_to_nothing([r.id for r in completed if not r.delivered_seconds])
    confirmed = confirmations([r.id for r in completed
                               if not_verified_in_home(r.location_verified)])
    decided = {}
    for row in rows:
        if row.status != VisitStatus.COMPLETED:
            why = STATUS_REASONS.get(row.status, f"visit {row.status}")
            decided[row.id] = BillInputs((), why)
            continue
        seconds = doubles.get(row.id, ()) if row.carers_required > 1 else (
            (row.delivered_seconds,) if row.delivered_seconds is not None else ())
        seconds = tuple(s for s in seconds if s > 0)
        decided[row.id] = BillInputs(seconds, None if seconds else corrected.get(row.id),
                                     not_verified_in_home(row.location_verified),
                                     confirmed.get(row.id))
    return decided
