"""Package changes with an effective date: new commissioned minutes and a new weekly
pattern from a later day. Visits before the day stay as they are, visits from the day
follow the new pattern at once, past and delivered visits never change; on the day the
scheduler makes the change the package's own without touching a visit; every step audited."""
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.models import (
    AuditEntry, CarePackage, PackageChange, Visit, VisitAssignment, VisitStatus,
)
from backend.services.administration import package_changes, packages
from backend.services.audit.hours import hours_report
from backend.services.audit.report_scope import parse_grouping
from backend.services.dates import clock, periods
from backend.services.reference.packages import CallLine
from backend.services.rota.visit_generation import PATTERN_CHANGED, generate_visits
from tests.monitoring_helpers import check_in, check_out

EVERY_DAY_0800 = [(d, "08:00", 30) for d in range(7)]


def new_pattern() -> list[CallLine]:
    """Breakfast longer, and a teatime call added, every day."""
    return [CallLine(d, time(8, 0), 45) for d in range(7)] + \
        [CallLine(d, time(18, 0), 30) for d in range(7)]


@pytest.fixture
def setup(make):
    world = make.world()
    package = make.package(world.person, contract=world.contract, schedule=EVERY_DAY_0800)
    # A visit delivered yesterday, before any change.
    start = clock.now().replace(second=0, microsecond=0) - timedelta(days=1)
    delivered = make.visit(package, start=start, minutes=30, workers=[world.worker])
    check_in(delivered, world.worker, start)
    check_out(delivered, world.worker, start + timedelta(minutes=31))
    make.commit()
    generate_visits(package_ids=[package.id])
    db.session.commit()
    return world, package, delivered


def shape(package) -> dict:
    """Every visit of the package: id -> (day, wall-clock time, minutes, status)."""
    return {v.id: (v.local_date, v.local_time, v.duration_min, v.status, v.cancel_reason)
            for v in db.session.scalars(sa.select(Visit).where(Visit.package_id == package.id))}


def test_a_change_from_a_later_day_leaves_the_days_before_it(setup):
    world, package, delivered = setup
    today = clock.today()
    day = today + timedelta(days=5)
    future_0800 = db.session.scalar(sa.select(Visit).where(
        Visit.package_id == package.id, Visit.local_date == day + timedelta(days=1)))
    db.session.add(VisitAssignment(visit_id=future_0800.id, worker_id=world.worker.id))
    db.session.commit()
    before = shape(package)

    change = package_changes.schedule_change(world.manager, package.id, day,
                                             weekly_minutes=525, lines=new_pattern())
    db.session.commit()
    db.session.expire_all()
    after = shape(package)
    for visit_id, (local_date, *_) in before.items():
        if local_date < day:  # before the day (and the delivered one): exactly as they were
            assert after[visit_id] == before[visit_id]
        else:  # from the day: the same visit, longer (its carer stays on it)
            assert (after[visit_id][2], after[visit_id][3]) == (45, VisitStatus.SCHEDULED)
    assert after[delivered.id] == before[delivered.id]
    teatime = [s for s in after.values() if s[1] == time(18, 0)]
    assert teatime and min(s[0] for s in teatime) == day
    assert db.session.scalar(sa.select(VisitAssignment.worker_id).where(
        VisitAssignment.visit_id == future_0800.id)) == world.worker.id
    package = db.session.get(CarePackage, package.id)
    assert package.weekly_minutes == 420  # the commissioned minutes change on the day
    assert [(line.start_time, line.duration_min) for line in package.schedule] == \
        [(time(8, 0), 30)] * 7
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "package_change_scheduled")).all()
    assert entry.user_id == world.manager.id
    assert entry.details["before"]["weekly_minutes"] == 420
    assert entry.details["after"]["weekly_minutes"] == 525
    assert entry.details["after"]["effective_date"] == str(day)
    assert len(entry.details["after"]["pattern"]) == 14

    # On the day, the scheduler makes it the package's own and no visit moves.
    line_ids = {line.id for line in db.session.get(PackageChange, change.id).lines}
    at_the_day = clock.local_to_utc(day, time(0, 30))
    assert package_changes.apply_due_changes(day, now=at_the_day) == 1
    db.session.commit()
    package = db.session.get(CarePackage, package.id)
    assert package.weekly_minutes == 525
    assert {line.id for line in package.schedule} == line_ids
    settled = shape(package)
    again = generate_visits(now=at_the_day)
    assert (again.updated, again.cancelled) == (0, 0)  # no visit already made moves
    assert again.created == 5 * 2  # only the horizon's five new days, two calls each
    moved_on = shape(package)
    assert {k: moved_on[k] for k in settled} == settled
    assert package_changes.apply_due_changes(day, now=at_the_day) == 0  # idempotent
    assert db.session.get(PackageChange, change.id).applied_at is not None


def test_a_change_is_refused_naming_the_field(setup):
    world, package, _ = setup
    today = clock.today()
    with pytest.raises(Invalid) as past:
        package_changes.schedule_change(world.manager, package.id, today - timedelta(days=1),
                                        weekly_minutes=300)
    assert past.value.fields == {"effective_date": [past.value.message]}
    with pytest.raises(Invalid) as same:
        package_changes.schedule_change(world.manager, package.id, today + timedelta(days=3),
                                        weekly_minutes=420)
    assert "effective_date" in same.value.fields  # nothing would change
    with pytest.raises(Invalid) as line:
        package_changes.schedule_change(world.manager, package.id, today + timedelta(days=3),
                                        lines=[CallLine(0, time(8, 0), 2)])
    assert "schedule[0].duration_min" in line.value.fields
    package_changes.schedule_change(world.manager, package.id, today + timedelta(days=3),
                                    weekly_minutes=300)
    with pytest.raises(Conflict):
        package_changes.schedule_change(world.manager, package.id, today + timedelta(days=3),
                                        weekly_minutes=360)
    with pytest.raises(NotFound):
        package_changes.schedule_change(world.other_manager, package.id,
                                        today + timedelta(days=4), weekly_minutes=300)
    with pytest.raises(Forbidden):
        package_changes.schedule_change(world.worker, package.id,
                                        today + timedelta(days=4), weekly_minutes=300)


def test_cancelling_a_change_brings_the_pattern_in_force_back(setup):
    world, package, _ = setup
    day = clock.today() + timedelta(days=4)
    before = shape(package)
    change = package_changes.schedule_change(world.manager, package.id, day,
                                             lines=new_pattern())
    db.session.commit()
    package_changes.cancel_change(world.manager, change.id)
    db.session.commit()
    db.session.expire_all()
    after = shape(package)
    for visit_id, was in before.items():
        assert after[visit_id] == was
    teatime = [s for visit_id, s in after.items() if visit_id not in before]
    assert teatime and all(s[3] == VisitStatus.CANCELLED and s[4] == PATTERN_CHANGED
                           for s in teatime)
    assert db.session.get(PackageChange, change.id) is None
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "package_change_cancelled")) is not None
    with pytest.raises(NotFound):
        package_changes.cancel_change(world.manager, change.id)


def test_ending_the_package_before_a_change_withdraws_the_change(setup):
    world, package, _ = setup
    today = clock.today()
    kept = package_changes.schedule_change(world.manager, package.id,
                                           today + timedelta(days=2), weekly_minutes=300)
    later = package_changes.schedule_change(world.manager, package.id,
                                            today + timedelta(days=6), lines=new_pattern())
    db.session.commit()
    packages.end_package(world.manager, package.id, today + timedelta(days=4))
    db.session.commit()
    db.session.expire_all()
    # The change after the last day would never take effect: withdrawn and audited, so
    # the scheduler never changes an ended package; the one before it stays.
    assert db.session.get(PackageChange, later.id) is None
    assert db.session.get(PackageChange, kept.id) is not None
    withdrawn = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "package_change_withdrawn"))
    assert withdrawn is not None and withdrawn.user_id == world.manager.id
    assert package_changes.apply_due_changes(today + timedelta(days=10)) == 1
    db.session.commit()
    assert db.session.get(CarePackage, package.id).weekly_minutes == 300
    # The same when the end date is set by editing the package.
    package = db.session.get(CarePackage, package.id)
    packages.change_package(world.manager, package.id, end_date=None)
    again = package_changes.schedule_change(world.manager, package.id,
                                            today + timedelta(days=8), weekly_minutes=200)
    packages.change_package(world.manager, package.id, end_date=today + timedelta(days=7))
    assert db.session.get(PackageChange, again.id) is None


def test_commissioned_hours_count_each_day_at_the_minutes_in_force(setup):
    """420 minutes a week (60 a day) until day 14, then 700 (100 a day); a hospital stay
    on days 10 to 17 straddles the change. Over days 0 to 27:
      days 0-13 at 60, less days 10-13 away: 10 x 60 = 600
      days 14-27 at 100, less days 14-17 away: 10 x 100 = 1000      -> 1600 minutes.
    The same once the change has applied (the 420 it replaced is kept). Then a change to
    350 (50 a day) from day 21: 600 + (7 - 4) x 100 + 7 x 50 = 1250 minutes."""
    world, package, _ = setup
    today = clock.today()
    four_weeks = periods.resolve("custom", first=today, last=today + timedelta(days=27))

    def commissioned():
        db.session.expire_all()
        rows = hours_report(world.commissioner, four_weeks, parse_grouping("package"))["rows"]
        return next(r["commissioned_minutes"] for r in rows
                    if r["group"]["package"]["id"] == str(package.id))

    assert commissioned() == 28 * 60
    package_changes.schedule_change(world.manager, package.id, today + timedelta(days=14),
                                    weekly_minutes=700)
    packages.suspend_package(world.manager, package.id, today + timedelta(days=10),
                             today + timedelta(days=17), "Hospital stay")
    db.session.commit()
    assert commissioned() == 1600
    assert package_changes.apply_due_changes(today + timedelta(days=14)) == 1
    db.session.commit()
    assert db.session.get(CarePackage, package.id).weekly_minutes == 700
    assert commissioned() == 1600
    package_changes.schedule_change(world.manager, package.id, today + timedelta(days=21),
                                    weekly_minutes=350)
    db.session.commit()
    assert commissioned() == 1250


def test_a_change_from_today_applies_now_and_spares_what_was_delivered(setup, make):
    world, package, delivered = setup
    # 14:00 today, whatever the hour the suite runs: a visit 90 minutes ago is today's.
    with clock.pinned(datetime.combine(clock.today(), time(14, 0), clock.zone())):
        earlier = clock.now().replace(second=0, microsecond=0) - timedelta(minutes=90)
        this_morning = make.visit(package, start=earlier, minutes=30, workers=[world.worker])
        check_in(this_morning, world.worker, earlier)
        make.commit()
        before = shape(package)
        package_changes.schedule_change(world.manager, package.id, clock.today(),
                                        weekly_minutes=600, lines=new_pattern())
        db.session.commit()
        db.session.expire_all()
        package = db.session.get(CarePackage, package.id)
        assert package.weekly_minutes == 600
        assert len(package.schedule) == 14
        after = shape(package)
        assert after[delivered.id] == before[delivered.id]
        assert after[this_morning.id] == before[this_morning.id]  # started: never changes
        tomorrow = clock.today() + timedelta(days=1)
        assert {s[2] for s in after.values() if s[0] == tomorrow and s[1] == time(8, 0)} == {45}


def _row(i: int, weekday: int, start: str, minutes: str) -> dict:
    p = f"change-schedule-{i}-"
    return {p + "weekday": str(weekday), p + "start_time": start, p + "duration_min": minutes,
            p + "carers_required": "1", p + "priority": "normal"}


def test_the_package_page_schedules_shows_and_cancels_a_change(setup, client, auth):
    world, package, _ = setup
    auth.login(world.manager.username)
    base = f"/admin/packages/{package.id}"
    page = client.get(base).get_data(as_text=True)
    assert 'id="change-form"' in page and "Changes from a later day" in page

    refused = client.post(f"{base}/change", data={
        "change-effective_date": str(clock.today() - timedelta(days=2)),
        "change-weekly_minutes": "525", **_row(0, 0, "08:00", "45")})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="change-effective_date-error"' in html and "never change" in html
    assert 'name="change-weekly_minutes" type="number" value="525"' in html  # kept

    day = clock.today() + timedelta(days=6)
    bad_line = client.post(f"{base}/change", data={
        "change-effective_date": str(day), **_row(0, 0, "08:00", "45"),
        **_row(1, 0, "08:30", "30")})
    assert bad_line.status_code == 422
    assert 'id="change-schedule-1-start_time-error"' in bad_line.get_data(as_text=True)

    rows = {}
    for i, weekday in enumerate(range(7)):
        rows.update(_row(i, weekday, "08:00", "45"))
    done = client.post(f"{base}/change", data={
        "change-effective_date": str(day), "change-weekly_minutes": "525", **rows})
    assert done.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert f"420 minutes a week; 525 from {day}" in page
    assert "Mon 08:00 45 min" in page and "Cancel this change" in page
    change = db.session.scalar(sa.select(PackageChange))
    assert client.post(f"{base}/changes/{change.id}/cancel").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PackageChange)) == 0

    auth.logout()
    g.pop("user", None)
    auth.login(world.other_manager.username)
    assert client.post(f"{base}/change", data={
        "change-effective_date": str(day), "change-weekly_minutes": "300"}).status_code == 404


def test_machine_clients_schedule_and_cancel_a_change(setup, client, bearer):
    world, package, _ = setup
    day = clock.today() + timedelta(days=3)
    manager = bearer(world.manager)
    refused = client.post(f"/api/v1/packages/{package.id}/changes", headers=manager,
                          json={"effective_date": str(day), "schedule": [
                              {"weekday": 0, "start_time": "08:00", "duration_min": 1}]})
    assert refused.status_code == 422
    assert "schedule[0].duration_min" in refused.json["error"]["fields"]
    made = client.post(f"/api/v1/packages/{package.id}/changes", headers=manager, json={
        "effective_date": str(day), "weekly_minutes": 300, "schedule": [
            {"weekday": d, "start_time": "09:00", "duration_min": 40} for d in range(7)]})
    assert made.status_code == 201, made.json
    assert made.json["weekly_minutes"] == 300 and len(made.json["schedule"]) == 7
    other = client.delete(f"/api/v1/packages/{world.other_package.id}/changes/"
                          f"{made.json['id']}", headers=bearer(world.admin))
    assert other.status_code == 404  # not that package's change
    assert client.delete(f"/api/v1/packages/{package.id}/changes/{made.json['id']}",
                         headers=manager).status_code == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PackageChange)) == 0
