"""Client Level Data (Release 2): a council's service rows for a quarter, the code lists,
and the validation report that lists each planted error without dropping a row."""
import csv
import io
from datetime import date

import pytest

from backend.extensions import db
from backend.models import EpisodeOutcome, PackageType
from backend.services.national.cld import FIELDS, cld_csv, validation_report
from tests.outcome_helpers import episode

Q1 = date(2026, 1, 1)


def nhs(first_nine: str) -> str | None:
    """A valid NHS number from nine digits; None when they would need check digit 10."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    check = (11 - total % 11) % 11
    return None if check == 10 else first_nine + str(check)


def rows_of(lines) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(lines))))


@pytest.fixture
def w(make):
    w = make.world()
    w.council.ods_code = "E10000999"
    w.person.nhs_number = nhs("943476591")
    w.person.accommodation_status = "Tenant: Private landlord"

    def person(**kw):
        number = None
        while number is None:
            number = nhs(f"4{make._n():08d}")
        kw.setdefault("nhs_number", number)
        return make.service_user(**kw)

    def package(who, **kw):
        return make.package(who, contract=w.contract, **kw)

    # 1 w.package: long-term home care since 2024, still open.
    no_number = person(nhs_number=None)
    package(no_number)  # 2: no NHS number: flagged, still sent
    package(person(nhs_number="9434765918"))  # 3: wrong check digit
    package(person(accommodation_status="Bungalow"))  # 4: not a CLD accommodation status
    package(person(), start_date=date(2026, 2, 10), end_date=date(2026, 2, 1))  # 5: end first
    moved = person()
    package(moved, start_date=date(2025, 6, 1), end_date=date(2026, 1, 31))  # 6: continued
    package(moved, start_date=date(2026, 2, 3))  # 7: ... by this one
    died = person(date_of_death=date(2026, 3, 2))
    package(died, start_date=date(2025, 6, 1), end_date=date(2026, 3, 1))  # 8: NFA: Deceased
    package(person(), end_date=date(2026, 5, 1))  # 9: ends after the quarter: no end sent
    package(person(), package_type=PackageType.REABLEMENT,
            start_date=date(2026, 3, 20))  # 10: reablement without an episode
    reabled = person()
    episode(package(reabled, package_type=PackageType.REABLEMENT, start_date=date(2026, 1, 5)),
            start=date(2026, 1, 5), actual_end=date(2026, 2, 14),
            outcome=EpisodeOutcome.LOW_LEVEL_SUPPORT,
            weekly_minutes_start=630)  # 11: the episode, not its package
    # Not in the council's file: ended before the quarter, another funder's.
    package(person(), start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    make.package(person(), contract=w.other_contract)
    db.session.flush()
    w.no_number, w.moved, w.died, w.reabled = no_number, moved, died, reabled
    return w


def test_service_rows_in_the_release_2_layout(w):
    rows = rows_of(cld_csv(w.commissioner, w.council.id, Q1))
    assert list(rows[0]) == FIELDS
    assert len(rows) == 11
    first = rows[0]
    assert (first["LA_Code"], first["Reporting_Period_Start_Date"],
            first["Reporting_Period_End_Date"]) == ("E10000999", "2026-01-01", "2026-03-31")
    assert (first["NHS_Number"], first["LA_Person_Unique_Identifier"]) == (
        w.person.nhs_number, w.person.council_ref)
    assert (first["Event_Type"], first["Service_Type"], first["Service_Component"],
            first["Delivery_Mechanism"]) == ("Service", "Long term support: Community",
                                             "Home support or domiciliary care",
                                             "CASSR commissioned support")
    assert (first["Unit_Cost"], first["Cost_Frequency_Unit_Type"],
            first["Planned_units_per_week"]) == ("18.93", "Hourly", "7.00")
    assert first["Event_End_Date"] == "" and first["Event_Outcome"] == ""
    assert first["Provider_CQC_Location_ID"] == w.provider.cqc_id
    by_person = {}
    for r in rows:
        by_person.setdefault(r["LA_Person_Unique_Identifier"], []).append(r)
    assert [r["Event_Outcome"] for r in by_person[w.moved.council_ref]] == [
        "Continuation of support or services", ""]
    assert by_person[w.died.council_ref][0]["Event_Outcome"] == "NFA: Deceased"
    assert by_person[w.died.council_ref][0]["Date_of_Death"] == "2026-03-02"
    [reablement] = by_person[w.reabled.council_ref]
    assert (reablement["Service_Type"], reablement["Service_Component"],
            reablement["Event_End_Date"], reablement["Event_Outcome"],
            reablement["Planned_units_per_week"]) == (
        "Short term support: ST-Max", "Reablement", "2026-02-14",
        "Progress to support planning or services", "10.50")
    assert sum(r["Service_Component"] == "Reablement" for r in rows) == 2
    assert not any(r["Event_End_Date"] == "2026-05-01" for r in rows)
    assert not any(r["LA_Person_Unique_Identifier"] == w.other_person.council_ref for r in rows)
    assert by_person[w.no_number.council_ref][0]["NHS_Number"] == ""  # sent, not dropped


def test_validation_lists_each_planted_error(w):
    report = validation_report(w.commissioner, w.council.id, Q1)
    assert (report["rows"], report["rejected_rows"], report["file_problems"]) == (11, 4, [])
    found = {(p["person"], p["field"]) for p in report["problems"]}
    refs = {r["LA_Person_Unique_Identifier"]: r for r in rows_of(
        cld_csv(w.commissioner, w.council.id, Q1))}
    assert w.no_number.council_ref in refs
    assert len(report["problems"]) == 4
    assert (w.no_number.council_ref, "NHS_Number") in found
    fields = sorted(p["field"] for p in report["problems"])
    assert fields == ["Accommodation_Status", "Event_End_Date", "NHS_Number", "NHS_Number"]
    problems = {p["field"] + ":" + p["problem"] for p in report["problems"]}
    assert "Accommodation_Status:unknown code 'Bungalow'" in problems
    assert "Event_End_Date:ends (2026-02-01) before it starts (2026-02-10)" in problems
    assert any("check digit" in p for p in problems)
    assert [p["row"] for p in report["problems"]] == sorted(p["row"] for p in report["problems"])


def test_missing_la_code_is_a_problem_of_the_file(w):
    w.council.ods_code = None
    report = validation_report(w.commissioner, w.council.id, Q1)
    assert report["file_problems"] == [
        {"field": "LA_Code", "problem": "the council has no LA code (organisations.ods_code)"}]


def test_an_empty_quarter_gives_the_headers_only(w):
    text = "".join(cld_csv(w.commissioner, w.council.id, date(2019, 1, 1)))
    assert text == ",".join(FIELDS) + "\r\n"
    assert validation_report(w.commissioner, w.council.id, date(2019, 1, 1))["rows"] == 0


def test_api_access_and_bad_input(client, bearer, make, w):
    other_council = make.council(name="Southshire County Council")
    db.session.commit()
    url = f"/api/v1/national/cld/{w.council.id}"
    ok = client.get(f"{url}.csv?quarter=2026-01-01", headers=bearer(w.commissioner))
    assert ok.status_code == 200 and ok.mimetype == "text/csv"
    assert len(rows_of([ok.get_data(as_text=True)])) == 11
    report = client.get(f"{url}/validation?quarter=2026-01-01", headers=bearer(w.commissioner))
    assert report.json["rejected_rows"] == 4 and report.json["rows"] == 11
    for who, council in ((w.commissioner, other_council), (w.nhs_commissioner, w.council)):
        for tail in (".csv", "/validation"):
            response = client.get(f"/api/v1/national/cld/{council.id}{tail}?quarter=2026-01-01",
                                  headers=bearer(who))
            assert response.status_code == 404, (who.username, tail)
    assert client.get(f"{url}.csv?quarter=2026-01-01", headers=bearer(w.manager)) \
        .status_code == 403
    wrong = client.get(f"{url}.csv?quarter=2026-02-01", headers=bearer(w.commissioner))
    assert wrong.status_code == 422 and "quarter" in wrong.json["error"]["fields"]
    assert client.get(f"{url}.csv", headers=bearer(w.commissioner)).status_code == 422
    assert client.get(f"{url}.csv?quarter=soon", headers=bearer(w.commissioner)) \
        .status_code == 422
    admin = client.get(f"/api/v1/national/cld/{other_council.id}.csv?quarter=2026-01-01",
                       headers=bearer(w.admin))
    assert admin.status_code == 200 and admin.get_data(as_text=True).count("\r\n") == 1


def test_page(client, auth, w):
    db.session.commit()
    auth.login(w.commissioner.username)
    page = client.get("/national/cld?quarter=2026-01-01")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "11 service rows; 4 would be rejected." in text and "Bungalow" in text
    download = client.get("/national/cld.csv?quarter=2026-01-01")
    assert len(rows_of([download.get_data(as_text=True)])) == 11
    bad = client.get("/national/cld?quarter=2026-02-30")
    assert bad.status_code == 422 and 'value="2026-02-30"' in bad.get_data(as_text=True)
    assert client.get("/national/cld").status_code == 200  # the last quarter by default


def test_returns_open_on_what_the_organisation_sends(client, auth, w):
    """The menu's "Returns" opens the CLD return for a council's commissioner. An ICB's
    commissioner sends no CLD return (councils do): they are taken to the visit length
    return, and the returns' tabs offer them no CLD tab to land on a 404 from."""
    db.session.commit()
    auth.login(w.commissioner.username)
    council_page = client.get("/national/visit-length").get_data(as_text=True)
    assert ">CLD return</a>" in council_page
    auth.logout()
    auth.login(w.nhs_commissioner.username)
    home = client.get("/national/cld")
    assert home.status_code == 302 and home.headers["Location"].endswith("/national/visit-length")
    icb_page = client.get("/national/visit-length").get_data(as_text=True)
    assert ">CLD return</a>" not in icb_page and ">Capacity Tracker</a>" in icb_page
    # Asked for by name, another council's return is still not theirs.
    asked = client.get(f"/national/cld?council_id={w.council.id}&quarter=2026-01-01")
    assert asked.status_code == 404
