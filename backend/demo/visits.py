"""Step: every package's visits from the first to the last day, with carers, tasks and events.

Patterns are expanded with schedule.planned_visits (local time, clock changes).
Visits whose start has passed get events; later ones stay scheduled. The cached
columns come from visit_state.derive over the very events written, so the cache
always agrees with the event log. Packages are handled in chunks so memory stays
bounded however long the window.
"""
import uuid

from tqdm import tqdm

from backend.demo.attendance import Row, Spots, attend, cancelled
from backend.demo.bulk import insert_rows
from backend.demo.county import DemoCounty
from backend.models import Visit, VisitAssignment, VisitEvent, VisitTask
from backend.services.schedule import planned_visits
from backend.services.visit_state import derive

VISITS_PER_CHUNK = 10_000


def add_visits(county: DemoCounty) -> None:
    """Write visits, assignments, tasks and events, a chunk of packages at a time."""
    rng, spots = county.rng("visits"), Spots(county.rng("locations"))
    days = (county.last_day - county.first_day).days + 1
    per_chunk = max(1, VISITS_PER_CHUNK // (days * 3))
    packages = county.packages
    with tqdm(total=len(packages), unit="package", desc="Visits", disable=not county.progress,
              mininterval=1.0) as bar:
        for first in range(0, len(packages), per_chunk):
            chunk = packages[first:first + per_chunk]
            rows = {"visits": [], "visit_assignments": [], "visit_tasks": [], "visit_events": []}
            for package in chunk:
                _package_visits(county, rng, spots, package, rows)
            for table in (Visit.__table__, VisitAssignment.__table__, VisitTask.__table__,
                          VisitEvent.__table__):
                county.count(table.name, insert_rows(table, rows[table.name]))
            bar.update(len(chunk))


def _package_visits(county: DemoCounty, rng, spots: Spots, package, rows: dict) -> None:
    workers = package.provider.worker_ids
    for planned in planned_visits(package, county.first_day, county.last_day, county.tz):
        visit = Row(
            id=uuid.uuid4(), created_at=county.now, package_id=package.id,
            contract_id=package.contract.id,
            schedule_line_id=planned.schedule_line_id, planned_start=planned.planned_start,
            planned_end=planned.planned_end, local_date=planned.local_date,
            duration_min=planned.duration_min, carers_required=planned.carers_required,
            priority=str(planned.priority), status="scheduled", cancel_reason=None)
        assigned = _carers(rng, package, workers, planned.carers_required)
        outcome = cancelled(rng)
        if outcome is None and planned.planned_start <= county.now:
            outcome = attend(rng, visit, planned.tasks, package, assigned,
                             spots.for_package(package), package.provider.manager_id,
                             county.now)
        if outcome is not None:
            visit["status"], visit["cancel_reason"] = outcome.status, outcome.cancel_reason
        events = outcome.events if outcome else []
        state = derive(visit, events)
        visit.update(status=state.status.value, actual_start=state.actual_start,
                     actual_end=state.actual_end, delivered_minutes=state.delivered_minutes,
                     location_verified=state.location_verified, flags=state.flags)
        rows["visits"].append(visit)
        rows["visit_assignments"] += [dict(id=uuid.uuid4(), created_at=county.now,
                                           visit_id=visit.id, worker_id=w) for w in assigned]
        results = outcome.task_results if outcome and outcome.task_results else None
        rows["visit_tasks"] += [dict(
            id=uuid.uuid4(), visit_id=visit.id, position=i, description=text,
            done=results[i][0] if results else None,
            not_done_reason=results[i][1] if results else None)
            for i, text in enumerate(planned.tasks)]
        rows["visit_events"] += events


def _carers(rng, package, workers: list, needed: int) -> list:
    """Continuity: the person's main carer most days, the backup often, others sometimes."""
    roll = rng.random()
    first = package.main_worker_id if roll < 0.75 else package.backup_worker_id \
        if roll < 0.9 else rng.choice(workers)
    chosen = [first]
    while len(chosen) < needed:
        other = package.backup_worker_id if first != package.backup_worker_id \
            else package.main_worker_id
        if other in chosen:
            other = rng.choice(workers)
        if other not in chosen:
            chosen.append(other)
    return chosen
