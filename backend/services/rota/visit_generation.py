"""Visits from packages: each active package's weekly pattern, over a rolling horizon.

Idempotent: a second run creates nothing. Future visits that have not started
(status scheduled, no events) follow the pattern: a slot the pattern no longer asks
for is cancelled with an automatic reason (kept, so a phone that already has its
id gets a clear answer), an automatically cancelled slot the pattern asks for again
is reinstated, and a changed length or priority is updated in place. A slot is a
package's local day and planned wall-clock time (see rota/schedule.py: two calls in
the spring gap share an instant but not a slot). Assignments stay on every visit
that keeps its slot. Past and started visits never change. A package change scheduled
from a later day (package_changes) is followed from that day only: the days before
it keep the pattern in force.
Bulk reads and Core inserts: 3,000 packages x 28 days runs in seconds on SQLite.
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from backend.extensions import db
from backend.models import (
    CarePackage, PackageChange, PackageStatus, Visit, VisitEvent, VisitStatus, VisitTask,
)
from backend.services.dates import clock
from backend.services.rota.schedule import (
    PlannedVisit, later_patterns, planned_visits, suspended_on,
)
from backend.services.database.dialect import insert_many

# Cancel reasons this service sets itself; only these are ever reinstated.
PATTERN_CHANGED = "pattern_changed"
NOT_PLANNED = "package_not_planned"  # ended or not active
SUSPENDED = "package_suspended"  # a suspension (a hospital stay) covers the day
AUTO_CANCEL_REASONS = (PATTERN_CHANGED, NOT_PLANNED, SUSPENDED)


@dataclass
class GenerationResult:
    """What one run did."""

    created: int = 0
    updated: int = 0
    cancelled: int = 0
    reinstated: int = 0
    packages: int = 0
    created_ids: list = field(default_factory=list, repr=False)


def _active_packages(first, last, package_ids) -> list[CarePackage]:
    query = (sa.select(CarePackage)
             .where(CarePackage.status == PackageStatus.ACTIVE,
                    CarePackage.start_date <= last,
                    sa.or_(CarePackage.end_date.is_(None), CarePackage.end_date >= first))
             .options(selectinload(CarePackage.schedule), selectinload(CarePackage.suspensions),
                      selectinload(CarePackage.changes).selectinload(PackageChange.lines)))
    if package_ids is not None:
        query = query.where(CarePackage.id.in_(package_ids))
    return list(db.session.scalars(query))


def _slot(package_id, local_date, local_time) -> tuple:
    """A visit's key: the package's call on a local day at a wall-clock time."""
    return package_id, local_date, local_time


def _existing(now: datetime, horizon_end: datetime, package_ids) -> dict:
    """Future visits in the horizon keyed by slot, with whether started."""
    has_events = sa.exists().where(VisitEvent.visit_id == Visit.id)
    query = sa.select(
        Visit.id, Visit.package_id, Visit.local_date, Visit.local_time, Visit.planned_start,
        Visit.status, Visit.cancel_reason,
        Visit.duration_min, Visit.carers_required, Visit.priority, Visit.schedule_line_id,
        Visit.short_call_agreed, has_events.label("started"),
    ).where(Visit.planned_start > now, Visit.planned_start < horizon_end)
    if package_ids is not None:
        query = query.where(Visit.package_id.in_(package_ids))
    return {_slot(row.package_id, row.local_date, row.local_time): row
            for row in db.session.execute(query)}


def _changeable(row) -> bool:
    return not row.started and (
        row.status == VisitStatus.SCHEDULED
        or (row.status == VisitStatus.CANCELLED and row.cancel_reason in AUTO_CANCEL_REASONS))


def _same_shape(row, want: PlannedVisit) -> bool:
    return (row.planned_start, row.duration_min, row.carers_required, row.priority,
            row.schedule_line_id, row.short_call_agreed) == (
        want.planned_start, want.duration_min, want.carers_required, want.priority,
        want.schedule_line_id, want.short_call_agreed)


def _wanted(packages, first, last, now, horizon_end, tz) -> dict:
    wanted: dict = {}
    for package in packages:
        for want in planned_visits(package, first, last, tz, later=later_patterns(package)):
            if now < want.planned_start < horizon_end:
                wanted[_slot(package.id, want.local_date, want.local_time)] = want
    return wanted


def _new_rows(key, want: PlannedVisit, contract_id, at: datetime):
    visit_id = uuid.uuid4()
    visit = dict(id=visit_id, package_id=key[0], contract_id=contract_id,
                 schedule_line_id=want.schedule_line_id,
                 planned_start=want.planned_start, planned_end=want.planned_end,
                 local_date=want.local_date, local_time=want.local_time,
                 duration_min=want.duration_min,
                 carers_required=want.carers_required, priority=want.priority,
                 short_call_agreed=want.short_call_agreed,
                 status=VisitStatus.SCHEDULED, flags=[], created_at=at)
    tasks = [dict(id=uuid.uuid4(), visit_id=visit_id, position=i, description=text[:200])
             for i, text in enumerate(want.tasks)]
    return visit, tasks


def generate_visits(now: datetime | None = None, horizon_days: int | None = None,
                    package_ids=None) -> GenerationResult:
    """Create, update, cancel or reinstate future visits so they follow each package's pattern.

    Covers local days from today to today + horizon_days - 1 (VISIT_HORIZON_DAYS,
    default 14); only visits starting after `now` are touched. Flushes, never commits.
    """
    now = now or clock.now()
    horizon_days = horizon_days or current_app.config.get("VISIT_HORIZON_DAYS", 14)
    tz = clock.zone()
    first = now.astimezone(tz).date()
    last = first + timedelta(days=horizon_days - 1)
    horizon_end = clock.local_day_bounds(last, tz)[1]

    packages = _active_packages(first, last, package_ids)
    wanted = _wanted(packages, first, last, now, horizon_end, tz)
    existing = _existing(now, horizon_end, package_ids)
    result = GenerationResult(packages=len(packages))

    contracts = {p.id: p.contract_id for p in packages}
    new_visits, new_tasks, updates, cancels = [], [], [], []
    for key, want in wanted.items():
        row = existing.get(key)
        if row is None:
            visit, tasks = _new_rows(key, want, contracts[key[0]], now)
            new_visits.append(visit)
            new_tasks.extend(tasks)
            result.created_ids.append(visit["id"])
        elif _changeable(row) and (row.status == VisitStatus.CANCELLED
                                   or not _same_shape(row, want)):
            result.reinstated += row.status == VisitStatus.CANCELLED
            result.updated += row.status != VisitStatus.CANCELLED
            updates.append(dict(
                b_id=row.id, b_status=VisitStatus.SCHEDULED, b_cancel_reason=None,
                b_planned_start=want.planned_start, b_planned_end=want.planned_end,
                b_duration_min=want.duration_min,
                b_carers_required=want.carers_required, b_priority=want.priority,
                b_schedule_line_id=want.schedule_line_id,
                b_short_call_agreed=want.short_call_agreed))
    planned_ids = {p.id for p in packages}
    suspensions = {p.id: p.suspensions for p in packages if p.suspensions}
    for key, row in existing.items():
        if key not in wanted and row.status == VisitStatus.SCHEDULED and _changeable(row):
            reason = PATTERN_CHANGED if key[0] in planned_ids else NOT_PLANNED
            if key[0] in suspensions and suspended_on(key[1], suspensions[key[0]]):
                reason = SUSPENDED
            cancels.append(dict(b_id=row.id, b_status=VisitStatus.CANCELLED,
                                b_cancel_reason=reason))

    _write(new_visits, new_tasks, updates, cancels)
    result.created = len(new_visits)
    result.cancelled = len(cancels)
    return result


_UPDATED = ("status", "cancel_reason", "planned_start", "planned_end", "duration_min",
            "carers_required", "priority", "schedule_line_id", "short_call_agreed")


def _write(new_visits, new_tasks, updates, cancels) -> None:
    """Bulk writes: one executemany per table, no per-row ORM round trips."""
    insert_many(Visit.__table__, new_visits)
    insert_many(VisitTask.__table__, new_tasks)
    table = Visit.__table__
    for rows, columns in ((updates, _UPDATED), (cancels, ("status", "cancel_reason"))):
        if rows:
            db.session.execute(
                table.update().where(table.c.id == sa.bindparam("b_id"))
                .values({c: sa.bindparam(f"b_{c}") for c in columns}), rows)
    if new_visits or updates or cancels:
        db.session.expire_all()  # ORM objects loaded earlier must see the new rows
