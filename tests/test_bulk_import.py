"""Bulk import and export: templates, every problem as row/column/message, dry runs that
store nothing, all-or-nothing real runs, idempotent re-imports, CSV and XLSX."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from openpyxl import Workbook, load_workbook

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    AuditEntry, CarePackage, CarerAvailability, CarerSkill, PackageChange, ScheduleLine,
    ServiceUser, User, Visit,
)
from backend.services.administration import package_changes
from backend.services.bulk_import.run import export, run_import, template
from backend.services.dates import clock
from tests.import_helpers import carer_row, csv_file, package_rows, person_row


@pytest.fixture
def world(make):
    return make.world()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def problems(report) -> set:
    return {(p.row, p.column) for p in report.problems}


def test_template_header_explains_each_column():
    header = template("service_users", "csv").decode("utf-8-sig").splitlines()[0]
    assert header.startswith('"council_ref (required: the person\'s reference')
    assert "nhs_number (10 digits; the check digit is verified)" in header
    sheet = load_workbook(io.BytesIO(template("packages", "xlsx"))).active
    assert sheet["A1"].value.startswith("reference (required:")


def test_bad_rows_are_all_listed_and_nothing_is_stored(world):
    rows = [person_row(n) for n in range(1, 19)]
    rows += [person_row(19, nhs_number="9434765918", postcode="NOWHERE"),
             person_row(20, first_name="", date_of_birth="31/02/1940")]
    data = csv_file("service_users", rows)
    for dry_run in (True, False):  # a real run with 10% bad rows stores nothing either
        report = run_import(world.manager, "service_users", data, "people.csv", dry_run)
        assert problems(report) == {(20, "nhs_number"), (20, "postcode"), (21, "first_name"),
                                    (21, "date_of_birth")}
        assert not report.stored and count(ServiceUser) == 2  # the world's two
    nhs = next(p for p in report.problems if p.column == "nhs_number")
    assert "check digit" in nhs.message


def test_import_is_idempotent_and_updates_only_what_changed(world):
    data = csv_file("service_users", [person_row(n) for n in range(1, 6)])
    report = run_import(world.manager, "service_users", data, "people.csv", dry_run=False)
    assert (report.created, report.stored) == (5, True)
    created = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "person_created"))
    assert created.user_id == world.manager.id and created.details["before"] == {}
    audit = count(AuditEntry)
    again = run_import(world.manager, "service_users", data, "people.csv", dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert count(AuditEntry) == audit  # nothing changed, nothing logged
    changed = csv_file("service_users", [person_row(n) for n in range(1, 5)]
                       + [person_row(5, postcode="NN3 9ZZ")])
    report = run_import(world.manager, "service_users", changed, "people.csv", dry_run=False)
    assert (report.updated, report.unchanged) == (1, 4)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "person_changed"))
    assert entry.details == {"before": {"postcode": "NN1 1AA"}, "after": {"postcode": "NN3 9ZZ"}}
    # Another provider's manager cannot take over these people by their references.
    foreign = run_import(world.other_manager, "service_users", data, "people.csv", False)
    assert problems(foreign) == {(n, "council_ref") for n in range(2, 7)}


def test_packages_with_patterns_then_visits(world, runner, app):
    people = csv_file("service_users", [person_row(n) for n in range(1, 4)])
    run_import(world.manager, "service_users", people, "people.csv", dry_run=False)
    good = package_rows(1, world.contract.name, calls=7)
    good[0].update(required_skills="medication", minutes="15", short_call_agreed="yes")
    overlap = package_rows(2, world.contract.name, calls=2)
    overlap[1].update(day="Mon", start_time="08:15")
    backwards = package_rows(3, world.contract.name, calls=1, end_date="2025-01-01")
    unknown = package_rows(4, "No such contract", calls=1)
    data = csv_file("packages", good + overlap + backwards + unknown)
    report = run_import(world.manager, "packages", data, "packages.csv", dry_run=True)
    assert problems(report) == {(10, "start_time"), (11, "end_date"), (12, "contract"),
                                (12, "council_ref")}
    assert count(CarePackage) == 2
    today = clock.today().isoformat()
    fixed = [dict(r, start_date=today) for r in good]
    report = run_import(world.manager, "packages", csv_file("packages", fixed), "p.csv", False)
    assert report.created == 1 and report.stored
    package = db.session.scalar(sa.select(CarePackage).where(CarePackage.reference == "K00001"))
    assert package.status.value == "active" and package.weekly_minutes == 210
    lines = sorted(package.schedule, key=lambda line: line.weekday)
    assert (lines[0].required_skills, lines[0].short_call_agreed, lines[0].duration_min) == (
        ["medication"], True, 15)
    assert count(ScheduleLine) == 7
    db.session.commit()
    g.pop("user", None)
    assert runner.invoke(args=["scheduler", "tick"]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.package_id == package.id)) >= 7
    # An updated pattern replaces the calls; the same file again changes nothing.
    fixed[1].update(start_time="09:00")
    report = run_import(world.manager, "packages", csv_file("packages", fixed), "p.csv", False)
    assert (report.updated, report.unchanged) == (1, 0)
    report = run_import(world.manager, "packages", csv_file("packages", fixed), "p.csv", False)
    assert (report.updated, report.unchanged) == (0, 1)
    # An end date imported before a scheduled change's day withdraws the change, as ending
    # the package on its page does.
    later = package_changes.schedule_change(world.manager, package.id,
                                            clock.today() + timedelta(days=10),
                                            weekly_minutes=300)
    ended = [dict(r, end_date=(clock.today() + timedelta(days=5)).isoformat()) for r in fixed]
    report = run_import(world.manager, "packages", csv_file("packages", ended), "p.csv", False)
    assert report.updated == 1
    assert db.session.get(PackageChange, later.id) is None
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "package_change_withdrawn")) is not None


def test_care_workers_import_and_update(world):
    rows = [carer_row(n) for n in range(3)]
    report = run_import(world.manager, "care_workers", csv_file("care_workers", rows), "c.csv",
                        False)
    assert report.created == 3
    worker = db.session.scalar(sa.select(User).where(User.staff_ref == "S0001"))
    assert (worker.hourly_pay_pence, worker.contracted_weekly_minutes) == (1260, 1800)
    assert worker.password_hash.startswith("!")  # they choose it from an invitation link
    assert count(CarerSkill) == 6 and count(CarerAvailability) == 9
    rows[1].update(availability="Mon 07:00-12:00", skills="medication")
    rows[2].update(username="")  # known by staff_ref: no username needed
    report = run_import(world.manager, "care_workers", csv_file("care_workers", rows), "c.csv",
                        False)
    assert (report.updated, report.unchanged) == (1, 2)
    assert count(CarerAvailability) == 7 and count(CarerSkill) == 5
    bad = [carer_row(9, availability="Mon 13:00-07:00", skills="juggling", hourly_pay="lots")]
    report = run_import(world.manager, "care_workers", csv_file("care_workers", bad), "c.csv",
                        True)
    assert problems(report) == {(2, "availability"), (2, "skills"), (2, "hourly_pay")}
    foreign = run_import(world.manager, "care_workers", csv_file(
        "care_workers", [carer_row(8, provider=world.other_provider.name)]), "c.csv", True)
    assert problems(foreign) == {(2, "provider")}


def test_file_problems_get_a_clear_message(world):
    with pytest.raises(Invalid, match="not UTF-8"):
        run_import(world.manager, "service_users", "council_ref,nom\nX,Zoë\n".encode("latin-1"),
                   "people.csv", True)
    with pytest.raises(Invalid, match="no column council_ref"):
        run_import(world.manager, "service_users", b"first_name,last_name\nA,B\n", "p.csv", True)
    with pytest.raises(Invalid, match="Unknown column"):
        data = csv_file("service_users", [person_row(1)]).replace(b"area (", b"lot (")
        run_import(world.manager, "service_users", data, "p.csv", True)
    workbook = Workbook()
    workbook.create_sheet("Notes")
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(Invalid, match="2 sheets"):
        run_import(world.manager, "service_users", out.getvalue(), "people.xlsx", True)


def test_xlsx_formulas_are_stored_as_text(world):
    workbook = load_workbook(io.BytesIO(template("service_users", "xlsx")))
    sheet = workbook.active
    row = person_row(1, access_notes='=HYPERLINK("http://evil.example","Click")')
    keys = [cell.value.split(" (")[0] for cell in sheet[1]]
    sheet.append([row.get(key, "") for key in keys])
    sheet["D2"] = "=1+1"  # a formula in the NHS number column is text, not 2
    out = io.BytesIO()
    workbook.save(out)
    report = run_import(world.manager, "service_users", out.getvalue(), "p.xlsx", True)
    assert problems(report) == {(2, "nhs_number")}
    sheet["D2"] = None
    out = io.BytesIO()
    workbook.save(out)
    report = run_import(world.manager, "service_users", out.getvalue(), "p.xlsx", False)
    assert report.stored
    person = db.session.scalar(sa.select(ServiceUser).where(ServiceUser.council_ref == "P00001"))
    assert person.access_notes == '=HYPERLINK("http://evil.example","Click")'
    exported = export(world.manager, "service_users", "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in exported  # a spreadsheet opening the export shows it as text


def test_export_round_trips_unchanged(world):
    world.package.reference, world.other_package.reference = "W-1", "W-2"
    world.worker.staff_ref, world.other_worker.staff_ref = "W-1", "W-2"
    run_import(world.manager, "service_users", csv_file("service_users", [
        person_row(n, nhs_number="9434765919" if n == 1 else "") for n in range(1, 4)]),
        "p.csv", False)
    run_import(world.manager, "packages", csv_file("packages", [
        r for n in range(1, 4) for r in package_rows(n, world.contract.name)]), "k.csv", False)
    run_import(world.manager, "care_workers", csv_file("care_workers", [
        carer_row(n) for n in range(2)]), "c.csv", False)
    for kind in ("service_users", "packages", "care_workers"):
        for fmt in ("csv", "xlsx"):
            report = run_import(world.manager, kind, export(world.manager, kind, fmt),
                                f"{kind}.{fmt}", False)
            assert report.problems == [] and (report.created, report.updated) == (0, 0), kind


def test_import_command(world, runner, tmp_path):
    db.session.commit()
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("service_users", [person_row(1), person_row(2, postcode="x")]))
    result = runner.invoke(args=["import", "service_users", str(path), "--dry-run",
                                 "--as", world.manager.username])
    assert result.exit_code != 0 and "row 3, postcode: That is not a UK postcode." in result.output
    path.write_bytes(csv_file("service_users", [person_row(1), person_row(2)]))
    result = runner.invoke(args=["import", "service_users", str(path),
                                 "--as", world.manager.username])
    assert result.exit_code == 0 and "2 were created" in result.output, result.output
    out = tmp_path / "export.xlsx"
    result = runner.invoke(args=["export", "service_users", str(out),
                                 "--as", world.manager.username])
    # The header, the two imported, and the person of the world's package.
    assert result.exit_code == 0 and load_workbook(out).active.max_row == 4


def test_upload_page_preview_and_limits(world, client, auth, app):
    db.session.commit()
    auth.login(world.manager.username)
    page = client.get("/admin/import")
    assert page.status_code == 200 and b"/admin/import/packages/template.xlsx" in page.data
    assert client.get("/admin/import/care_workers/template.csv").data.startswith(
        b"\xef\xbb\xbfprovider (")
    data = csv_file("service_users", [person_row(1), person_row(2, nhs_number="123")])
    preview = client.post("/admin/import", data={
        "kind": "service_users", "dry_run": "y", "file": (io.BytesIO(data), "people.csv")})
    assert preview.status_code == 422 and b"An NHS number has 10 digits." in preview.data
    assert count(ServiceUser) == 2
    good = csv_file("service_users", [person_row(1), person_row(2)])
    stored = client.post("/admin/import", data={
        "kind": "service_users", "file": (io.BytesIO(good), "people.csv")})
    assert stored.status_code == 200 and b"Stored." in stored.data
    assert count(ServiceUser) == 4
    big = client.post("/admin/import", data={
        "kind": "service_users", "file": (io.BytesIO(b"x" * (50 * 1024 * 1024)), "big.csv")})
    assert big.status_code == 413


def test_import_api(world, client, bearer):
    db.session.commit()
    headers = {**bearer(world.manager), "Content-Type": "text/csv"}
    bad = client.post("/api/v1/imports/service_users?dry_run=true", headers=headers,
                      data=csv_file("service_users", [person_row(1, postcode="x")]))
    assert bad.status_code == 422 and bad.json["error"]["fields"] == {
        "row 2": ["postcode: That is not a UK postcode."]}
    good = client.post("/api/v1/imports/service_users", headers=headers,
                       data=csv_file("service_users", [person_row(1)]))
    assert good.status_code == 200 and good.json["created"] == 1 and good.json["stored"]
    exported = client.get("/api/v1/imports/service_users/export.csv", headers=headers)
    assert b"P00001" in exported.data
    assert client.post("/api/v1/imports/service_users", headers=headers,
                       data=b"x" * (21 * 1024 * 1024)).status_code == 413


def test_pending_package_from_import_starts_on_its_date(world):
    run_import(world.manager, "service_users", csv_file("service_users", [person_row(1)]),
               "p.csv", False)
    later = (clock.today() + timedelta(days=3)).isoformat()
    run_import(world.manager, "packages", csv_file("packages", package_rows(
        1, world.contract.name, start_date=later)), "k.csv", False)
    package = db.session.scalar(sa.select(CarePackage).where(CarePackage.reference == "K00001"))
    assert package.status.value == "pending"


def test_organisations_and_contracts(world):
    from backend.models import Contract, Organisation
    from backend.services.administration.organisations import create_area

    create_area(world.admin, "North")
    orgs = [{"name": "Westshire ICB", "kind": "nhs", "ods_code": "QWS"},
            {"name": "Kind Care", "kind": "provider", "cqc_id": "1-99999999", "areas": "North"},
            {"name": "Odd Care", "kind": "provider", "ods_code": "qws"}]
    report = run_import(world.admin, "organisations", csv_file("organisations", orgs), "o.csv",
                        True)
    assert problems(report) == {(4, "ods_code")}  # the same ODS code as row 2
    report = run_import(world.admin, "organisations", csv_file("organisations", orgs[:2]),
                        "o.csv", False)
    assert report.created == 2
    kind_care = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Kind Care"))
    assert [a.name for a in kind_care.areas] == ["North"]
    with pytest.raises(Exception, match="may not set up"):
        run_import(world.commissioner, "organisations", csv_file("organisations", orgs[:1]),
                   "o.csv", True)

    contract = {"funder": world.council.name, "provider": "Kind Care", "name": "Kind 2026",
                "starts_on": "2026-04-01", "hourly_rate": "24.50", "rounding_unit_min": "15",
                "call_rates": "30=8.20; 45=10.65; 60=14.20", "co_funders": "QWS=30"}
    bad = [dict(contract, name="Bad 1", co_funders="QWS=130"),
           dict(contract, name="Bad 2", rounding_unit_min="7"),
           dict(contract, name="Bad 3", funder="Nobody")]
    report = run_import(world.commissioner, "contracts", csv_file("contracts", [contract] + bad),
                        "c.csv", True)
    assert problems(report) == {(3, "co_funders"), (4, "rounding_unit_min"), (5, "funder")}
    report = run_import(world.commissioner, "contracts", csv_file("contracts", [contract]),
                        "c.csv", False)
    assert report.created == 1
    made = db.session.scalar(sa.select(Contract).where(Contract.name == "Kind 2026"))
    assert {r.duration_min: r.amount_pence for r in made.call_rates} == {30: 820, 45: 1065,
                                                                        60: 1420}
    assert sorted(str(f.share_pct) for f in made.funders) == ["30.00", "70.00"]
    assert made.hourly_rate_pence == 2450 and made.rounding_unit_min == 15
    for kind, user in (("contracts", world.commissioner), ("organisations", world.admin)):
        again = run_import(user, kind, export(user, kind, "csv"), "x.csv", False)
        assert again.problems == [] and (again.created, again.updated) == (0, 0), kind
    nhs = run_import(world.nhs_commissioner, "contracts", csv_file("contracts", [contract]),
                     "c.csv", True)
    assert problems(nhs) == {(2, "funder")}  # another funder's contract


def test_people_bring_their_accommodation_and_contacts_phone(world):
    rows = [person_row(1, accommodation_status="Tenant: Private landlord",
                       contact_name="Ann No1", contact_phone="07700 900123"),
            person_row(2, accommodation_status="A caravan somewhere")]
    report = run_import(world.manager, "service_users", csv_file("service_users", rows),
                        "people.csv", dry_run=False)
    assert problems(report) == {(3, "accommodation_status")}
    assert "Client Level Data" in report.problems[0].message
    report = run_import(world.manager, "service_users", csv_file("service_users", rows[:1]),
                        "people.csv", dry_run=False)
    assert report.created == 1
    person = db.session.scalar(sa.select(ServiceUser).where(ServiceUser.council_ref == "P00001"))
    assert (person.accommodation_status, person.contact_phone) == (
        "Tenant: Private landlord", "07700 900123")
    exported = export(world.manager, "service_users", "csv").decode("utf-8-sig")
    assert "Tenant: Private landlord" in exported and "07700 900123" in exported
