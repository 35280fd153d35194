"""Capacity Tracker figures per provider and month, counted by hand: people receiving care,
care workers employed and visiting, absences from leave records."""
import csv
import io
from datetime import UTC, date, datetime

import pytest

from backend.extensions import db
from backend.models import CarerLeave, LeaveKind, Role
from backend.services.national.capacity import capacity_figures
from tests.monitoring_helpers import check_in, check_out

NOVEMBER = "2026-11"


@pytest.fixture
def w(make):
    w = make.world()  # w.person: package since 2024; w.worker, w.other_worker: Caring Hands
    for created in (w.worker, w.other_worker, w.foreign_worker):
        created.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    make.package(make.service_user(), contract=w.contract, start_date=date(2026, 11, 30))
    make.package(make.service_user(), contract=w.contract, end_date=date(2026, 11, 29))
    gone = make.package(make.service_user(), contract=w.contract, end_date=date(2026, 11, 15))
    visit = make.visit(gone, start=datetime(2026, 11, 10, 9, tzinfo=UTC), workers=[w.worker])
    check_in(visit, w.worker, datetime(2026, 11, 10, 9, 2, tzinfo=UTC))
    check_out(visit, w.worker, datetime(2026, 11, 10, 9, 31, tzinfo=UTC))
    nhs = make.contract(funder=w.nhs, provider=w.provider)
    make.package(make.service_user(), contract=nhs)  # funded by the NHS
    make.user(Role.CARE_WORKER, w.provider, active=False)  # left: not employed
    make.user(Role.CARE_WORKER, w.provider)  # joined today, after November
    for worker, start, end, kind in (
            (w.worker, date(2026, 10, 28), date(2026, 11, 3), LeaveKind.SICKNESS),  # 3 days
            (w.worker, date(2026, 11, 20), date(2026, 11, 21), LeaveKind.SICKNESS),  # 2 days
            (w.other_worker, date(2026, 11, 25), date(2026, 12, 5), LeaveKind.ANNUAL),  # 6
            (w.other_worker, date(2026, 12, 1), date(2026, 12, 2), LeaveKind.TRAINING),  # none
            (w.foreign_worker, date(2026, 11, 1), date(2026, 11, 30), LeaveKind.OTHER)):
        db.session.add(CarerLeave(worker_id=worker.id, start_date=start, end_date=end,
                                  kind=kind))
    db.session.flush()
    return w


def test_figures_per_provider(w):
    report = capacity_figures(w.admin, NOVEMBER)
    assert (report["from"], report["to"]) == (date(2026, 11, 1), date(2026, 11, 30))
    caring, elsewhere = report["rows"]
    assert caring["provider"]["name"] == "Caring Hands"
    # w.person, the package starting on the 30th, the NHS-funded one; not those ended
    assert caring["people_receiving_care"] == 3
    assert caring["people_visited"] == 1
    assert (caring["care_workers_employed"], caring["care_workers_visiting"]) == (2, 1)
    assert caring["absent_care_workers"] == {"sickness": 1, "annual": 1, "training": 0,
                                             "other": 0}
    assert caring["days_absent"] == {"sickness": 5, "annual": 6, "training": 0, "other": 0}
    assert elsewhere["days_absent"]["other"] == 30 and elsewhere["people_receiving_care"] == 1


def test_each_reader_sees_their_own(w):
    council = capacity_figures(w.commissioner, NOVEMBER)["rows"]
    assert [r["provider"]["name"] for r in council] == ["Caring Hands"]
    assert council[0]["people_receiving_care"] == 2  # the NHS-funded person is not theirs
    assert council[0]["care_workers_employed"] == 2
    assert [r["provider"]["name"] for r in capacity_figures(w.other_manager, NOVEMBER)[
        "rows"]] == ["Elsewhere Care"]


def test_api_page_and_csv(client, bearer, auth, w):
    db.session.commit()
    response = client.get("/api/v1/national/capacity-tracker?month=2026-11",
                          headers=bearer(w.manager))
    assert response.status_code == 200 and response.json["from"] == "2026-11-01"
    assert response.json["rows"][0]["days_absent"]["annual"] == 6
    bad = client.get("/api/v1/national/capacity-tracker?month=November",
                     headers=bearer(w.manager))
    assert bad.status_code == 422 and "month" in bad.json["error"]["fields"]
    assert client.get("/api/v1/national/capacity-tracker", headers=bearer(w.worker)) \
        .status_code == 403
    assert client.get(f"/api/v1/national/capacity-tracker?provider_id={w.other_provider.id}",
                      headers=bearer(w.manager)).status_code == 404
    body = client.get("/api/v1/national/capacity-tracker?month=2026-11&format=csv",
                      headers=bearer(w.manager)).get_data(as_text=True).lstrip("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert (row["People receiving care (month end)"], row["Days absent: sickness leave"]) == (
        "3", "5")
    auth.login(w.manager.username)
    page = client.get("/national/capacity?month=2026-11").get_data(as_text=True)
    assert "Capacity Tracker figures, November 2026" in page and "1 / 5" in page
    assert client.get("/national/capacity?month=nov").status_code == 422
    download = client.get("/national/capacity.csv?month=2026-11").get_data(as_text=True)
    assert "Caring Hands" in download
