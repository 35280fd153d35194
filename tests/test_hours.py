"""Hours engine: commissioned vs planned vs delivered, on local dates across clock changes."""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from backend.errors import Invalid
from backend.extensions import db
from backend.models import PackageSuspension, Role, Visit, VisitStatus
from backend.services.attendance import visit_state
from backend.services.dates import periods
from backend.services.attendance.corrections import correct_visit
from backend.services.audit.hours import hours_report
from backend.services.audit.payment import billed_visits
from backend.services.audit.report_scope import parse_grouping
from tests.audit_support import attend


def at(*args):
    return datetime(*args, tzinfo=UTC)


def report(user, first, last, group="provider", **kw):
    return hours_report(user, periods.resolve("custom", first=first, last=last),
                        parse_grouping(group), **kw)


@pytest.fixture
def w(make):
    return make.world()


def test_figures_per_provider(make, w):
    pkg = make.package(make.service_user(), contract=w.contract, weekly_minutes=420)
    done = make.visit(pkg, start=at(2026, 3, 2, 9), minutes=30)
    attend(done, w.worker, at(2026, 3, 2, 9, 5), 25, verified=True)
    unverified = make.visit(pkg, start=at(2026, 3, 3, 9), minutes=30)
    attend(unverified, w.worker, at(2026, 3, 3, 9), 40, verified=False)
    make.visit(pkg, start=at(2026, 3, 4, 9), minutes=45, status=VisitStatus.MISSED)
    make.visit(pkg, start=at(2026, 3, 5, 9), minutes=30, status=VisitStatus.NO_ACCESS)
    make.visit(pkg, start=at(2026, 3, 6, 9), minutes=60, status=VisitStatus.CANCELLED,
               cancel_reason="hospital")
    result = report(w.commissioner, date(2026, 3, 2), date(2026, 3, 8))
    (row,) = result["rows"]
    assert row["group"]["provider"]["name"] == "Caring Hands"
    assert row["visits"] == 4
    assert row["commissioned_minutes"] == 840  # two packages, one whole week each
    assert row["planned_minutes"] == 30 + 30 + 45 + 30
    assert row["delivered_minutes"] == 25 + 40
    assert row["verified_minutes"] == 25 and row["unverified_minutes"] == 40
    assert (row["missed_minutes"], row["no_access_minutes"]) == (45, 30)
    assert row["cancelled_minutes"] == 60 and row["cancelled_by_reason"] == {"hospital": 60}
    assert row["variance_minutes"] == 65 - 840
    assert row["variance_pct"] == Decimal("-92.26")  # -775 / 840
    assert row["delivered_hours"] == Decimal("1.08")
    assert result["total"]["delivered_minutes"] == 65


def test_double_up_counts_each_worker(make, w):
    visit = make.visit(w.package, start=at(2026, 3, 2, 9), minutes=30, carers_required=2)
    attend(visit, w.worker, at(2026, 3, 2, 9), 30)
    attend(visit, w.other_worker, at(2026, 3, 2, 9), 28)
    (row,) = report(w.manager, date(2026, 3, 2), date(2026, 3, 2))["rows"]
    assert row["planned_minutes"] == 60 and row["delivered_minutes"] == 58


def test_autumn_change_week_has_a_25_hour_sunday(make, w):
    """25 Oct 2026: clocks go back; the week's last local day runs 00:00 BST to 00:00 GMT."""
    period = periods.resolve("day", date(2026, 10, 25))
    assert period.end - period.start == timedelta(hours=25)
    inside = [at(2026, 10, 24, 23, 10),  # 00:10 BST on the 25th
              at(2026, 10, 25, 1, 30),   # 01:30 GMT: the repeated hour, second time
              at(2026, 10, 25, 23, 50)]  # 23:50 GMT on the 25th
    outside = [at(2026, 10, 18, 22, 30),  # 23:30 BST on Sunday the 18th (week before)
               at(2026, 10, 26, 0, 10)]   # 00:10 GMT on Monday the 26th
    for start in inside + outside:
        attend(make.visit(w.package, start=start, minutes=30), w.worker, start, 30)
    week = report(w.commissioner, date(2026, 10, 19), date(2026, 10, 25), group="provider,week")
    (row,) = week["rows"]
    assert row["group"]["week"] == "2026-10-19"
    assert row["visits"] == 3 and row["delivered_minutes"] == 90
    day = hours_report(w.commissioner, period, parse_grouping("provider"))
    assert day["rows"][0]["visits"] == 3
    assert day["rows"][0]["commissioned_minutes"] == 60  # 420 / 7: a day is a day


def test_package_starting_and_ending_mid_period_is_pro_rated(make, w):
    person = make.service_user()
    make.package(person, contract=w.contract, weekly_minutes=420, start_date=date(2026, 3, 15))
    ended = make.package(make.service_user(), contract=w.contract, weekly_minutes=480,
                         start_date=date(2025, 1, 1), end_date=date(2026, 3, 3))
    paused = make.package(make.service_user(), contract=w.contract, weekly_minutes=700,
                          start_date=date(2025, 1, 1))
    db.session.add(PackageSuspension(package=paused, start_date=date(2026, 3, 10),
                                     end_date=date(2026, 3, 12), reason="In hospital"))
    db.session.flush()
    result = report(w.manager, date(2026, 3, 1), date(2026, 3, 31), group="package")
    by_package = {r["group"]["package"]["id"]: r["commissioned_minutes"] for r in result["rows"]}
    assert by_package[str(w.package.id)] == Decimal("1860.00")  # 420 x 31 / 7
    assert Decimal("1020.00") in by_package.values()            # 420 x 17 days / 7
    assert by_package[str(ended.id)] == Decimal("205.71")       # 480 x 3 / 7
    assert by_package[str(paused.id)] == Decimal("2800.00")     # 700 x 28 / 7
    assert result["total"]["commissioned_minutes"] == Decimal("5885.71")


def test_commissioned_hours_split_by_week(make, w):
    """Tue 3 - Sun 15 March: 6 days of the first week, then one whole week."""
    result = report(w.commissioner, date(2026, 3, 3), date(2026, 3, 15), group="week")
    assert [(r["group"]["week"], r["commissioned_minutes"]) for r in result["rows"]] == [
        ("2026-03-02", Decimal("360.00")), ("2026-03-09", Decimal("420.00"))]


def test_offline_events_arriving_after_the_period_closed_are_counted_on_rerun(make, w):
    start = at(2026, 3, 31, 18)
    visit = make.visit(w.package, start=start, minutes=30)
    before = report(w.commissioner, date(2026, 3, 1), date(2026, 3, 31))
    assert before["total"]["delivered_minutes"] == 0
    attend(visit, w.worker, start, 30, received=at(2026, 4, 2, 9))  # synced two days later
    after = report(w.commissioner, date(2026, 3, 1), date(2026, 3, 31))
    assert after["total"]["delivered_minutes"] == 30
    assert report(w.commissioner, date(2026, 4, 1), date(2026, 4, 30))["total"][
        "delivered_minutes"] == 0


def test_reports_are_reproducible_from_the_event_log(make, w):
    for day in range(2, 6):
        start = at(2026, 3, day, 9)
        attend(make.visit(w.package, start=start, minutes=30), w.worker, start, 20 + day,
               verified=day % 2 == 0)
    first = report(w.admin, date(2026, 3, 1), date(2026, 3, 31))
    for visit in db.session.scalars(db.select(Visit)):
        visit.delivered_minutes, visit.location_verified = None, None  # lose the cache
        visit.status = VisitStatus.SCHEDULED
    db.session.flush()
    assert report(w.admin, date(2026, 3, 1), date(2026, 3, 31))["total"]["delivered_minutes"] == 0
    for visit in db.session.scalars(db.select(Visit)):
        visit_state.refresh(visit)  # rebuilt from the append-only events alone
    db.session.flush()
    assert report(w.admin, date(2026, 3, 1), date(2026, 3, 31)) == first


def test_a_correction_moves_delivered_minutes(make, w):
    start = at(2026, 3, 2, 9)
    visit = attend(make.visit(w.package, start=start, minutes=45), w.worker, start, 28,
                   verified=False)
    assert report(w.manager, date(2026, 3, 2), date(2026, 3, 2))["total"][
        "delivered_minutes"] == 28
    correct_visit(visit, w.worker, w.manager, None, start + timedelta(minutes=45),
                  "phone_failure", "location_accepted", now=at(2026, 3, 3, 9))
    total = report(w.manager, date(2026, 3, 2), date(2026, 3, 2))["total"]
    assert total["delivered_minutes"] == 45 and total["verified_minutes"] == 45


def test_joint_contract_splits_by_funder(make, w):
    nhs_contract = make.contract(funder=w.nhs, provider=w.provider)
    chc = make.package(make.service_user(), contract=nhs_contract, weekly_minutes=700)
    attend(make.visit(chc, start=at(2026, 3, 2, 10), minutes=60), w.worker,
           at(2026, 3, 2, 10), 60)
    attend(make.visit(w.package, start=at(2026, 3, 2, 9), minutes=30), w.worker,
           at(2026, 3, 2, 9), 30)
    week = (date(2026, 3, 2), date(2026, 3, 8))
    council = report(w.commissioner, *week)["total"]
    nhs = report(w.nhs_commissioner, *week, group="provider")
    manager = report(w.manager, *week, group="funder")
    assert (council["delivered_minutes"], council["commissioned_minutes"]) == (30, 420)
    nhs_rows = {r["group"]["provider"]["name"]: r for r in nhs["rows"]}
    assert nhs_rows["Caring Hands"]["delivered_minutes"] == 60
    assert nhs_rows["Caring Hands"]["commissioned_minutes"] == 700
    by_funder = {r["group"]["funder"]["name"]: r["delivered_minutes"] for r in manager["rows"]}
    assert by_funder == {"Northshire County Council": 30, "Northshire ICB": 60}


def test_totals_equal_the_sum_of_per_visit_rows(make, w):
    for day, minutes, status in ((2, 30, None), (3, 45, None), (4, 30, VisitStatus.MISSED),
                                 (5, 60, VisitStatus.CANCELLED)):
        visit = make.visit(w.package, start=at(2026, 3, day, 9), minutes=minutes,
                           **({"status": status} if status else {}))
        if status is None:
            attend(visit, w.worker, at(2026, 3, day, 9, 3), minutes - 4)
    period = periods.resolve("month", date(2026, 3, 9))
    total = hours_report(w.commissioner, period, parse_grouping("month"))["total"]
    lines = list(billed_visits(w.commissioner, period))
    assert total["delivered_minutes"] == sum(r.delivered_minutes or 0 for r, _ in lines)
    assert total["planned_minutes"] == sum(r.duration_min for r, _ in lines
                                           if r.status != VisitStatus.CANCELLED)


def test_empty_period_gives_zeros_with_the_right_shape(w):
    result = report(w.commissioner, date(2019, 1, 1), date(2019, 1, 31), group="area,month")
    assert result["rows"] == []
    assert result["total"]["delivered_minutes"] == 0
    assert result["total"]["commissioned_minutes"] == 0
    assert result["total"]["variance_pct"] is None


def test_area_grouping_names_the_lot(make, w):
    from backend.models import Area

    lot = Area(name="Lot 3 North")
    db.session.add(lot)
    db.session.flush()
    w.person.area_id = lot.id
    attend(make.visit(w.package, start=at(2026, 3, 2, 9)), w.worker, at(2026, 3, 2, 9), 30)
    (row,) = report(w.commissioner, date(2026, 3, 2), date(2026, 3, 2), group="area")["rows"]
    assert row["group"]["area"]["name"] == "Lot 3 North"


@pytest.mark.parametrize("group", ["carer", "provider,funder", "week,month", ""])
def test_unknown_or_doubled_grouping_is_refused(group):
    with pytest.raises(Invalid):
        parse_grouping(group or "nonsense")


def test_period_rules():
    with pytest.raises(Invalid):
        periods.resolve("custom", first=date(2026, 3, 2), last=date(2026, 3, 1))
    with pytest.raises(Invalid):
        periods.resolve("custom", first=date(2025, 1, 1), last=date(2026, 3, 1))
    q = periods.resolve("quarter", date(2026, 11, 23))
    assert (q.first, q.last) == (date(2026, 10, 1), date(2026, 12, 31))
    assert periods.resolve("week", date(2026, 11, 26)).first == date(2026, 11, 23)


def test_care_workers_get_no_report(w):
    from backend.errors import Forbidden

    for user in (w.worker, w.panel):
        with pytest.raises(Forbidden):
            report(user, date(2026, 3, 1), date(2026, 3, 31))
    assert w.worker.role == Role.CARE_WORKER
