"""Step: every package's visits from the first to the last day, on a rota, with events.

Visits still to come are made by visit_generation.generate_visits itself, so the
scheduler's first generation run finds nothing to create or cancel. Visits whose
start has passed follow the same rules (schedule.planned_visits: local time, clock
changes, package dates, suspensions) and get events; their cached columns come from
visit_state.derive over the very events written, so the cache always agrees with
the event log. Each day, each provider's visits are staffed by rota.Rota: no
overlaps, travel that fits, daily limits, the same few carers for a person. Days
are written a block at a time so memory stays bounded however long the window.
"""
import uuid
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from tqdm import tqdm

from backend.demo.attendance import Attendance, Row, Spots, attend, cancelled
from backend.demo.county import DemoCounty
from backend.demo.rota import Call, Rota, plant_problems
from backend.extensions import db
from backend.models import CarerLeave, Visit, VisitAssignment, VisitStatus, VisitTask
from backend.services.attendance import event_log
from backend.services.database.dialect import load_rows
from backend.services.rota.schedule import planned_visits
from backend.services.rota.visit_generation import generate_visits
from backend.services.attendance.visit_state import derive

VISITS_PER_BLOCK = 10_000


def add_visits(county: DemoCounty) -> None:
    """Future visits by the generator, past ones here; a rota for all; events for the past."""
    rng, spots = county.rng("visits"), Spots(county.rng("locations"))
    packages = {p.id: p for p in county.packages}
    order = {p.id: i for i, p in enumerate(county.packages)}
    future = _generated(county, packages)
    rota, tomorrow = Rota(county.workers, county.tz), county.today + timedelta(days=1)
    days = (county.last_day - county.first_day).days + 1
    per_block = max(1, VISITS_PER_BLOCK // (3 * max(1, len(packages))))  # days at a time
    with tqdm(total=days, unit="day", desc="Visits", disable=not county.progress,
              mininterval=1.0) as bar:
        for offset in range(0, days, per_block):
            first = county.first_day + timedelta(days=offset)
            last = min(county.last_day, first + timedelta(days=per_block - 1))
            past = _past_calls(county, first, last)
            rows = {"visits": [], "visit_assignments": [], "visit_tasks": [],
                    "visit_events": []}
            called_off = []
            day = first
            while day <= last:
                calls = sorted(past.pop(day, []) + future.pop(day, []),
                               key=lambda c: (c.start, -c.needed, order[c.package.id]))
                outcomes = {c.id: cancelled(rng) for c in calls}
                by_provider = defaultdict(list)
                for call in calls:
                    if outcomes[call.id] is None:
                        by_provider[id(call.package.provider)].append(call)
                for provider in county.providers:
                    rota.staff_day(day, provider.worker_ids, by_provider[id(provider)])
                if day == tomorrow:
                    county.planted, sick = plant_problems(
                        by_provider[id(county.providers[0])], rota,
                        keep_clear={county.users["carer"]})
                    _rang_in_sick(county, sick, day)
                for call in calls:
                    if outcomes[call.id] is not None:
                        call.workers = rota.regulars(call)
                    if call.planned is None:
                        if outcomes[call.id] is not None:
                            called_off.append(dict(b_id=call.id,
                                                   b_reason=outcomes[call.id].cancel_reason))
                    else:
                        _past_visit(county, rng, spots, call, outcomes[call.id], rows)
                    rows["visit_assignments"] += [dict(
                        id=uuid.uuid4(), created_at=county.now, visit_id=call.id, worker_id=w)
                        for w in call.workers]
                day += timedelta(days=1)
                bar.update(1)
            for table in (Visit.__table__, VisitAssignment.__table__, VisitTask.__table__):
                county.count(table.name, load_rows(table, rows[table.name]))
            county.count("visit_events", len(event_log.append(rows["visit_events"])))
            _call_off(called_off)


def _generated(county: DemoCounty, packages: dict) -> dict:
    """The scheduler's own visits from now to the last day, as calls by local day."""
    skills = {line.id: frozenset(line.required_skills) for p in packages.values()
              for line in p.schedule}
    generate_visits(now=county.now, horizon_days=county.future_days + 1)
    county.count("visit_tasks", db.session.scalar(
        sa.select(sa.func.count()).select_from(VisitTask)))
    calls = defaultdict(list)
    rows = db.session.execute(
        sa.select(Visit.id, Visit.package_id, Visit.local_date, Visit.planned_start,
                  Visit.planned_end, Visit.duration_min, Visit.carers_required,
                  Visit.schedule_line_id)
        .where(Visit.planned_start > county.now)).all()
    # Counted here: a hospital stay recorded on a package made its visits already.
    county.count("visits", len(rows))
    for row in rows:
        calls[row.local_date].append(Call(
            row.id, packages[row.package_id], row.planned_start, row.planned_end,
            row.duration_min, row.carers_required, skills=skills[row.schedule_line_id]))
    return calls


def _past_calls(county: DemoCounty, first, last) -> dict:
    """Visits the patterns asked for that have started by now, as calls by local day."""
    calls = defaultdict(list)
    skills = {line.id: frozenset(line.required_skills) for p in county.packages
              for line in p.schedule}
    for package in county.packages:
        for planned in planned_visits(package, first, last, county.tz):
            if planned.planned_start > county.now:
                continue  # later visits are the generator's
            calls[planned.local_date].append(Call(
                uuid.uuid4(), package, planned.planned_start, planned.planned_end,
                planned.duration_min, planned.carers_required, planned,
                skills=skills[planned.schedule_line_id]))
    return calls


def _past_visit(county: DemoCounty, rng, spots: Spots, call: Call, outcome, rows: dict) -> None:
    planned, package = call.planned, call.package
    visit = Row(
        id=call.id, created_at=county.now, package_id=package.id,
        contract_id=package.contract.id,
        schedule_line_id=planned.schedule_line_id, planned_start=planned.planned_start,
        planned_end=planned.planned_end, local_date=planned.local_date,
        local_time=planned.local_time,
        duration_min=planned.duration_min, carers_required=planned.carers_required,
        priority=str(planned.priority), short_call_agreed=planned.short_call_agreed,
        status="scheduled", cancel_reason=None)
    if outcome is None and not call.workers:  # nobody on the rota could go
        outcome = Attendance(status="missed" if visit.planned_end <= county.now
                             else "scheduled")
    if outcome is None:
        outcome = attend(rng, visit, planned.tasks, package, call.workers,
                         spots.for_package(package), package.provider.manager_id, county.now)
    visit["status"], visit["cancel_reason"] = outcome.status, outcome.cancel_reason
    state = derive(visit, outcome.events)
    visit.update(status=state.status.value, actual_start=state.actual_start,
                 actual_end=state.actual_end, delivered_seconds=state.delivered_seconds,
                 delivered_minutes=state.delivered_minutes,
                 location_verified=state.location_verified, flags=state.flags)
    rows["visits"].append(visit)
    results = outcome.task_results
    rows["visit_tasks"] += [dict(
        id=uuid.uuid4(), visit_id=visit.id, position=i, description=text,
        done=results[i][0] if results else None,
        not_done_reason=results[i][1] if results else None)
        for i, text in enumerate(planned.tasks)]
    rows["visit_events"] += outcome.events


def _rang_in_sick(county: DemoCounty, worker_id, day) -> None:
    """The planted sick carer's leave, recorded after their day was planned."""
    if worker_id is not None:
        county.count("carer_leave", load_rows(CarerLeave.__table__, [dict(
            id=uuid.uuid4(), created_at=county.now, worker_id=worker_id, start_date=day,
            end_date=day, kind="sickness", reason="Rang in sick")]))
        county.users["sick carer"] = worker_id


def _call_off(rows: list[dict]) -> None:
    """Visits to come that were called off in advance (family visiting, day centre)."""
    if rows:
        table = Visit.__table__
        db.session.execute(
            table.update().where(table.c.id == sa.bindparam("b_id"))
            .values(status=VisitStatus.CANCELLED, cancel_reason=sa.bindparam("b_reason")), rows)
