"""NICE QS123 statement 4: the agreed short call travels from the pattern to its visits, and
the two proportions per provider and funder, counted by hand."""
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import ScheduleLine, Visit, VisitStatus
from backend.services.national.qs123 import visit_length
from backend.services.rota.visit_generation import generate_visits
from tests.monitoring_helpers import utc

PERIOD = dict(start=date(2026, 2, 1), end=date(2026, 2, 28))
MON = 0


def test_visit_generation_copies_the_agreed_short_call(make):
    package = make.package(schedule=[(MON, "08:00", 30), (MON, "12:00", 15), (MON, "18:00", 15)])
    lunch = next(line for line in package.schedule if line.duration_min == 15
                 and line.start_time.hour == 12)
    lunch.short_call_agreed = True
    db.session.flush()
    now = utc(2026, 11, 23, 0, 0)  # a Monday
    generate_visits(now=now, horizon_days=7)

    def agreed():
        return {(v.planned_start.hour, v.short_call_agreed) for v in db.session.scalars(
            sa.select(Visit).where(Visit.package_id == package.id))}

    assert agreed() == {(8, False), (12, True), (18, False)}
    # The plan changes: the evening call is agreed too, the lunch call no longer is.
    db.session.execute(sa.update(ScheduleLine).where(ScheduleLine.package_id == package.id)
                       .values(short_call_agreed=ScheduleLine.start_time.in_(
                           [line.start_time for line in package.schedule
                            if line.start_time.hour == 18])))
    db.session.expire_all()
    result = generate_visits(now=now + timedelta(hours=1), horizon_days=7)
    assert result.updated == 2
    assert agreed() == {(8, False), (12, False), (18, True)}


@pytest.fixture
def cohort(make):
    w = make.world()  # its own visits fall today, outside the period
    nhs_contract = make.contract(funder=w.nhs, provider=w.provider)
    day = datetime(2026, 2, 10, 9, tzinfo=UTC)

    def visits(package, *shapes):
        for n, (minutes, agreed, *status) in enumerate(shapes):
            make.visit(package, start=day + timedelta(hours=n), minutes=minutes,
                       short_call_agreed=agreed,
                       status=status[0] if status else VisitStatus.COMPLETED)

    # Caring Hands for the council (w.person is 85): 4 of 8 visits 30 minutes or longer;
    # of the 4 shorter ones, 2 agreed in the plan.
    visits(w.package, (30, False), (30, False), (30, False, VisitStatus.MISSED), (45, False),
           (15, True), (15, True), (15, False), (29, False),
           (15, True, VisitStatus.CANCELLED))  # cancelled: not a visit
    make.visit(w.package, start=datetime(2026, 1, 31, 12, tzinfo=UTC), minutes=15)  # January
    make.visit(w.package, start=datetime(2026, 3, 1, 9, tzinfo=UTC), minutes=15)  # March
    # Caring Hands for the NHS: 1 of 2, and the one short visit agreed.
    visits(make.package(make.service_user(), contract=nhs_contract), (30, False), (10, True))
    # Left out: a younger person and one without a date of birth (council-funded).
    visits(make.package(make.service_user(date_of_birth=date(1970, 1, 1)), contract=w.contract),
           (15, False))
    visits(make.package(make.service_user(date_of_birth=None), contract=w.contract),
           (15, False))
    return w


def _pair(r):
    a, b = r["at_least_30_minutes"], r["short_agreed"]
    return (a["numerator"], a["denominator"]), (b["numerator"], b["denominator"])


def test_two_proportions_per_provider_and_funder(cohort):
    w = cohort
    report = visit_length(w.manager, **PERIOD)
    assert [(r["provider"]["name"], r["funder"]["name"]) for r in report["rows"]] == [
        ("Caring Hands", "Northshire County Council"), ("Caring Hands", "Northshire ICB")]
    council, nhs = report["rows"]
    assert _pair(council) == ((4, 8), (2, 4))
    assert council["at_least_30_minutes"]["value"] == 0.5
    assert council["left_out"] == {"under_65": 1, "age_unknown": 1}
    assert _pair(nhs) == ((1, 2), (1, 1))
    assert _pair(report["total"]) == ((5, 10), (3, 5))


def test_each_reader_sees_their_own(cohort):
    w = cohort
    council = visit_length(w.commissioner, **PERIOD)
    assert len(council["rows"]) == 1 and _pair(council["total"]) == ((4, 8), (2, 4))
    nhs = visit_length(w.nhs_commissioner, **PERIOD)
    assert _pair(nhs["total"]) == ((1, 2), (1, 1))
    other = visit_length(w.other_manager, **PERIOD)
    assert other["rows"] == [] and other["total"]["short_agreed"]["value"] is None
    by_funder = visit_length(w.manager, funder_id=w.nhs.id, **PERIOD)
    assert _pair(by_funder["total"]) == ((1, 2), (1, 1))


def url(**params):
    query = "&".join(f"{k}={v}" for k, v in {"from": "2026-02-01", "to": "2026-02-28",
                                             **params}.items())
    return f"/api/v1/national/qs123/visit-length?{query}"


def test_api(client, bearer, cohort):
    w = cohort
    db.session.commit()
    response = client.get(url(), headers=bearer(w.commissioner))
    assert response.status_code == 200
    assert _pair(response.json["total"]) == ((4, 8), (2, 4))
    assert "qs123" in response.json["definition"]["sources"][0]
    assert client.get(url(), headers=bearer(w.worker)).status_code == 403
    assert client.get(url(provider_id=w.other_provider.id),
                      headers=bearer(w.commissioner)).status_code == 404
    backwards = client.get(url(**{"from": "2026-03-01"}), headers=bearer(w.commissioner))
    assert backwards.status_code == 422 and "to" in backwards.json["error"]["fields"]
    assert client.get(url(to="soon"), headers=bearer(w.commissioner)).status_code == 422


def test_page_and_csv(client, auth, cohort):
    w = cohort
    db.session.commit()
    auth.login(w.commissioner.username)
    page = client.get("/national/visit-length?from=2026-02-01&to=2026-02-28")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "50.0% <small>(4 / 8)</small>" in text and "50.0% <small>(2 / 4)</small>" in text
    assert "Northshire ICB" not in text
    body = client.get("/national/visit-length.csv?from=2026-02-01&to=2026-02-28") \
        .get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["Provider"] for r in rows] == ["Caring Hands", "All providers"]
    assert rows[-1]["Visits under 30 minutes"] == "4"
    assert rows[-1]["Of which agreed in the plan"] == "2"
    assert client.get("/national/visit-length?to=soon").status_code == 422


def test_page_is_not_for_the_panel(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.panel.username)
    assert client.get("/national/visit-length").status_code == 404
