"""Visits from packages: rolling horizon, idempotence, clock changes, pattern changes."""
from datetime import date, time, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    PackageStatus, PackageSuspension, Priority, Role, ScheduleLine, Visit, VisitAssignment,
    VisitStatus, VisitTask,
)
from backend.services.rota.visit_generation import generate_visits
from tests.monitoring_helpers import check_in, utc

SAT, SUN, MON = 5, 6, 0


def visits(package):
    return list(db.session.scalars(sa.select(Visit).where(Visit.package_id == package.id)
                                   .order_by(Visit.planned_start)))


def test_generates_horizon_with_tasks_and_is_idempotent(make):
    package = make.package(schedule=[(d, "08:00", 30) for d in range(7)] + [(MON, "18:00", 45)])
    now = utc(2026, 11, 23, 0, 0)  # a Monday, midnight GMT
    first = generate_visits(now=now, horizon_days=14)
    assert first.created == 14 + 2
    again = generate_visits(now=now + timedelta(hours=1), horizon_days=14)
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)
    rows = visits(package)
    assert len(rows) == 16
    assert rows[0].planned_start == utc(2026, 11, 23, 8, 0)
    assert rows[0].planned_end == utc(2026, 11, 23, 8, 30)
    assert rows[0].local_date == date(2026, 11, 23)
    tasks = db.session.scalars(sa.select(VisitTask).where(VisitTask.visit_id == rows[0].id)
                               .order_by(VisitTask.position)).all()
    assert [t.description for t in tasks] == ["Personal care", "Medication prompt"]


def test_never_creates_visits_in_the_past(make):
    package = make.package(schedule=[(MON, "08:00", 30), (MON, "18:00", 30)])
    generate_visits(now=utc(2026, 11, 23, 12, 0), horizon_days=1)
    assert [v.planned_start for v in visits(package)] == [utc(2026, 11, 23, 18, 0)]


def test_spring_change_keeps_local_times_and_moves_the_missing_hour(make):
    # Clocks go forward at 01:00 UTC on Sunday 28 March 2027.
    package = make.package(schedule=[(SAT, "08:00", 30), (SUN, "08:00", 30),
                                     (SUN, "01:30", 30), (MON, "08:00", 30)])
    generate_visits(now=utc(2027, 3, 26, 23, 0), horizon_days=4)
    starts = [(v.local_date, v.planned_start) for v in visits(package)]
    assert starts == [
        (date(2027, 3, 27), utc(2027, 3, 27, 8, 0)),   # 08:00 GMT
        (date(2027, 3, 28), utc(2027, 3, 28, 1, 0)),   # 01:30 does not exist -> 02:00 BST
        (date(2027, 3, 28), utc(2027, 3, 28, 7, 0)),   # 08:00 BST
        (date(2027, 3, 29), utc(2027, 3, 29, 7, 0)),
    ]


def test_two_lines_meeting_in_the_spring_gap_stay_two_calls(make):
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026: 01:30 does not exist that
    # night and moves to 02:00 BST, the very instant of the 02:00 call.
    package = make.package(schedule=[(SUN, "01:30", 15, 1, Priority.CRITICAL),
                                     (SUN, "02:00", 30, 1, Priority.NORMAL)])
    now = utc(2026, 3, 28, 12, 0)
    created = generate_visits(now=now, horizon_days=2)
    assert created.created == 2
    calls = sorted((v.local_date, v.planned_start, v.duration_min, v.priority)
                   for v in visits(package))
    assert calls == [(date(2026, 3, 29), utc(2026, 3, 29, 1, 0), 15, Priority.CRITICAL),
                     (date(2026, 3, 29), utc(2026, 3, 29, 1, 0), 30, Priority.NORMAL)]
    again = generate_visits(now=now + timedelta(hours=1), horizon_days=2)
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)
    assert len(visits(package)) == 2


def test_autumn_change_keeps_local_times_and_the_repeated_hour_happens_once(make):
    # Clocks go back at 01:00 UTC on Sunday 31 October 2027; 01:30 happens twice.
    package = make.package(schedule=[(SAT, "08:00", 30), (SUN, "01:30", 30),
                                     (SUN, "08:00", 30)])
    generate_visits(now=utc(2027, 10, 29, 23, 0), horizon_days=3)
    starts = [v.planned_start for v in visits(package)]
    assert starts == [utc(2027, 10, 30, 7, 0),   # 08:00 BST
                      utc(2027, 10, 31, 0, 30),  # 01:30 BST, the first time only
                      utc(2027, 10, 31, 8, 0)]   # 08:00 GMT
    assert generate_visits(now=utc(2027, 10, 31, 0, 45), horizon_days=3).created == 0


def test_start_end_and_suspensions_are_honoured(make):
    package = make.package(schedule=[(d, "09:00", 30) for d in range(7)],
                           start_date=date(2026, 11, 25), end_date=date(2026, 12, 4))
    package.suspensions.append(PackageSuspension(start_date=date(2026, 11, 28),
                                                 end_date=date(2026, 11, 30), reason="hospital"))
    db.session.flush()
    generate_visits(now=utc(2026, 11, 23, 0, 0), horizon_days=14)
    days = [v.local_date for v in visits(package)]
    assert days == [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27),
                    date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)]


def test_pattern_change_moves_future_unstarted_visits_only(make):
    package = make.package(schedule=[(d, "08:00", 30) for d in range(7)])
    worker = make.user(Role.CARE_WORKER, organisation=package.provider)
    now = utc(2026, 11, 23, 0, 0)
    generate_visits(now=now, horizon_days=3)
    monday, tuesday, wednesday = visits(package)
    tuesday.assignments.append(VisitAssignment(worker_id=worker.id))
    check_in(monday, worker, utc(2026, 11, 23, 8, 2))
    wednesday_id = wednesday.id

    for line in package.schedule:
        line.start_time = time(9, 0)
    db.session.flush()
    later = utc(2026, 11, 23, 8, 10)
    result = generate_visits(now=later, horizon_days=3)
    assert (result.created, result.cancelled) == (3, 2)
    rows = visits(package)
    assert rows[0].id == monday.id and rows[0].status == VisitStatus.IN_PROGRESS  # started
    assert {(v.planned_start, v.status, v.cancel_reason) for v in rows[1:]} == {
        (utc(2026, 11, 23, 9, 0), VisitStatus.SCHEDULED, None),  # today 09:00 is future
        (utc(2026, 11, 24, 8, 0), VisitStatus.CANCELLED, "pattern_changed"),
        (utc(2026, 11, 24, 9, 0), VisitStatus.SCHEDULED, None),
        (utc(2026, 11, 25, 8, 0), VisitStatus.CANCELLED, "pattern_changed"),
        (utc(2026, 11, 25, 9, 0), VisitStatus.SCHEDULED, None),
    }

    # Back to 08:00: the cancelled slots come back with their ids and assignments.
    for line in package.schedule:
        line.start_time = time(8, 0)
    db.session.flush()
    result = generate_visits(now=later, horizon_days=3)
    assert (result.reinstated, result.cancelled) == (2, 3)
    back = db.session.get(Visit, wednesday_id)
    assert back.status == VisitStatus.SCHEDULED and back.cancel_reason is None
    assert [a.worker_id for a in db.session.get(Visit, tuesday.id).assignments] == [worker.id]


def test_length_change_updates_in_place_and_keeps_assignments(make):
    package = make.package(schedule=[(MON, "08:00", 30, 1, Priority.NORMAL)])
    worker = make.user(Role.CARE_WORKER, organisation=package.provider)
    generate_visits(now=utc(2026, 11, 23, 0, 0), horizon_days=1)
    (visit,) = visits(package)
    visit.assignments.append(VisitAssignment(worker_id=worker.id))
    line = package.schedule[0]
    line.duration_min, line.priority = 45, Priority.CRITICAL
    db.session.flush()
    assert generate_visits(now=utc(2026, 11, 23, 1, 0), horizon_days=1).updated == 1
    db.session.refresh(visit)
    assert (visit.duration_min, visit.priority) == (45, Priority.CRITICAL)
    assert visit.planned_end == utc(2026, 11, 23, 8, 45)
    assert [a.worker_id for a in visit.assignments] == [worker.id]


def test_ended_package_and_manager_cancellations(make):
    package = make.package(schedule=[(d, "08:00", 30) for d in range(7)])
    generate_visits(now=utc(2026, 11, 23, 0, 0), horizon_days=3)
    first, second, third = visits(package)
    first.status, first.cancel_reason = VisitStatus.CANCELLED, "person_away"
    package.status = PackageStatus.ENDED
    db.session.flush()
    result = generate_visits(now=utc(2026, 11, 23, 1, 0), horizon_days=3)
    assert result.cancelled == 2
    assert {v.cancel_reason for v in visits(package)} == {"person_away", "package_not_planned"}
    package.status = PackageStatus.ACTIVE
    db.session.flush()
    result = generate_visits(now=utc(2026, 11, 23, 1, 0), horizon_days=3)
    assert result.reinstated == 2
    db.session.refresh(first)
    assert first.cancel_reason == "person_away"  # a person's decision is never undone


def test_added_line_adds_visits(make):
    package = make.package(schedule=[(MON, "08:00", 30)])
    generate_visits(now=utc(2026, 11, 23, 0, 0), horizon_days=7)
    package.schedule.append(ScheduleLine(weekday=MON, start_time=time(12, 0), duration_min=30,
                                         tasks=["Lunch"]))
    db.session.flush()
    assert generate_visits(now=utc(2026, 11, 23, 0, 0), horizon_days=7).created == 1
