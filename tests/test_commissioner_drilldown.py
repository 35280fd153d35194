"""Drill-down from the overview: provider -> funded packages -> visits -> the visit record."""
from datetime import time, timedelta

from backend.models import VisitStatus
from backend.services.dates import clock
from backend.services.audit.overview import last_full_week
from tests.monitoring_helpers import check_in, check_out


def _delivered_visit(make, w, minutes=60, delivered=45):
    monday, _ = last_full_week()
    start = clock.local_to_utc(monday, time(9, 0))
    visit = make.visit(w.package, start=start, minutes=minutes, workers=[w.worker])
    check_in(visit, w.worker, start + timedelta(minutes=5))
    check_out(visit, w.worker, start + timedelta(minutes=5 + delivered))
    return visit


def test_provider_page_lists_funded_packages_with_hours_and_quality(make, client, auth):
    w = make.world()
    _delivered_visit(make, w)
    nhs_package = make.package(make.service_user(), funder=w.nhs, provider=w.provider)
    make.commit()
    auth.login(w.commissioner.username)
    overview = client.get("/overview").get_data(as_text=True)
    assert f"/overview/providers/{w.provider.id}" in overview
    response = client.get(f"/overview/providers/{w.provider.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert w.person.council_ref in page and nhs_package.service_user.council_ref not in page
    assert "0.75" in page  # 45 of 60 minutes delivered
    assert "100.00%" in page  # punctual and verified in the home
    assert f"/overview/packages/{w.package.id}" in page
    assert "<svg" in page


def test_each_package_has_its_own_quality_figures(make, client, auth):
    w = make.world()
    _delivered_visit(make, w)
    second = make.package(make.service_user(), contract=w.contract)
    monday, _ = last_full_week()
    make.visit(second, start=clock.local_to_utc(monday, time(18, 0)), status=VisitStatus.MISSED)
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get(f"/overview/providers/{w.provider.id}").get_data(as_text=True)
    table = page.split('id="packages-table"')[1]
    first_row = table.split(w.person.council_ref)[1].split("</tr>")[0]
    second_row = table.split(second.service_user.council_ref)[1].split("</tr>")[0]
    assert "<td>0.00%</td>" in first_row  # nothing missed
    assert "<td>100.00% (1)</td>" in second_row  # its one visit missed


def test_package_page_lists_visits_with_links_to_the_record(make, client, auth):
    w = make.world()
    visit = _delivered_visit(make, w)
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get(f"/overview/packages/{w.package.id}").get_data(as_text=True)
    assert f"/visits/{visit.id}" in page
    assert "09:00–10:00" in page and "09:05–09:50" in page and "completed" in page
    record = client.get(f"/visits/{visit.id}")
    text = record.get_data(as_text=True)
    assert record.status_code == 200 and "Planned and actual" in text
    assert "Reassign this visit" not in text
    # The funder's commissioner may correct the record (the only one who may once it locks).
    assert "Correct this visit" in text and 'name="reason_code"' in text


def test_package_page_shows_what_the_rulebook_judges_each_visit(make, client, auth):
    w = make.world()
    _delivered_visit(make, w, minutes=60, delivered=20)  # 20 < 60 - 15; ends 35 min early
    monday, _ = last_full_week()
    make.visit(w.package, start=clock.local_to_utc(monday, time(18, 0)))  # nobody came
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get(f"/overview/packages/{w.package.id}").get_data(as_text=True)
    table = page.split('id="visits-table"')[1]
    assert "<td>short, early finish</td>" in table
    assert '<strong class="warn late-by">late by ' in table and "min</strong>, missed</td>" \
        in table and "1 missed" in table


def test_package_page_says_how_late_a_visit_started(make, client, auth):

    w = make.world()
    monday, _ = last_full_week()
    start = clock.local_to_utc(monday, time(8, 0))
    visit = make.visit(w.package, start=start, minutes=30, workers=[w.worker])
    check_in(visit, w.worker, start + timedelta(minutes=52))
    check_out(visit, w.worker, start + timedelta(minutes=80))
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get(f"/overview/packages/{w.package.id}").get_data(as_text=True)
    assert "late by 52 min" in page.split('id="visits-table"')[1]


def test_manager_still_gets_the_correction_form(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert "Correct this visit" in client.get(f"/visits/{w.visit.id}").get_data(as_text=True)


def test_foreign_provider_package_and_visit_are_not_found(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    assert client.get(f"/overview/providers/{w.other_provider.id}").status_code == 404
    assert client.get(f"/overview/providers/{w.council.id}").status_code == 404
    assert client.get(f"/overview/packages/{w.other_package.id}").status_code == 404
    assert client.get(f"/visits/{w.other_visit.id}").status_code == 404


def test_managers_do_not_get_the_drilldown(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get(f"/overview/providers/{w.provider.id}").status_code == 404
    assert client.get(f"/overview/packages/{w.package.id}").status_code == 404


def test_bad_dates_are_kept_and_explained_next_to_the_field(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    response = client.get(f"/overview/providers/{w.provider.id}?from=2026-13-01&to=2026-11-08")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="2026-13-01"' in page and 'id="from-error"' in page
    assert "YYYY-MM-DD" in page
    response = client.get(f"/overview/packages/{w.package.id}?from=2026-11-08&to=2026-11-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="to-error"' in page
    assert "ends before it starts" in page and 'value="2026-11-01"' in page
