"""The commissioner's overview: scoped by funder, chart and table agree with the CSV."""
import csv
import io
from datetime import time, timedelta

from backend.services.dates import clock
from backend.services.audit.overview import last_full_week
from tests.monitoring_helpers import check_in, check_out


def test_overview_shows_funded_providers_and_csv_totals_match(make, client, auth):
    w = make.world()
    monday, _ = last_full_week()
    start = clock.local_to_utc(monday, time(9, 0))
    visit = make.visit(w.package, start=start, minutes=60, workers=[w.worker])
    check_in(visit, w.worker, start)
    check_out(visit, w.worker, start + timedelta(minutes=45))
    make.commit()
    auth.login(w.commissioner.username)
    page = client.get("/overview").get_data(as_text=True)
    assert w.provider.name in page and w.other_provider.name not in page
    assert "<svg" in page and "Contract target 85%" in page
    assert "0.75" in page  # 45 delivered minutes
    response = client.get(f"/overview/hours.csv?from={monday}&to={monday + timedelta(days=6)}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    mine = [r for r in rows if w.provider.name in r.values()]
    assert mine and "0.75" in mine[0].values()


def test_managers_do_not_get_the_overview(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get("/overview").status_code == 404
    assert client.get("/overview/hours.csv").status_code == 404


def test_bad_period_is_explained_not_crashed(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.commissioner.username)
    response = client.get("/overview?from=2026-05-01&to=2026-04-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "ends before it starts" in page
    assert 'value="2026-04-01"' in page and 'id="to-error"' in page  # kept, explained by it
