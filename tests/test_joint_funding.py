"""Joint funding: a contract of the council (70%) and the ICB (30%), carried through access,
hours, payment, quality, QS123, CLD and the exports. Every figure is computed by hand.

The week: one package of 420 commissioned minutes a week under the jointly funded
contract (default terms: actual capped at planned, £18.93 an hour, nearest minute), and
two visits on it:
  A: 60 min planned, 50 delivered, verified in the home -> 50 min, 1577.5p -> 1578p
  B: 30 min planned, 31 delivered, not verified -> capped at 30 min, 946.5p -> 947p
Bill 2525p. Split per visit, whole pence, largest remainder (lead funder first on a tie):
  A: 1104.6 / 473.4 -> 1105p council, 473p ICB
  B: 662.9 / 284.1 -> 663p council, 284p ICB
  council 1768p + ICB 757p = 2525p.
"""
import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backend.errors import Forbidden, NotFound
from backend.extensions import db
from backend.models import Alert, AlertKind, CarePackage, Contract, Feedback, Role, Visit
from backend.services.administration.contracts import set_funders
from backend.services.administration.packages import get_package
from backend.services.audit.drilldown import provider_packages
from backend.services.audit.exports import actuals_csv
from backend.services.audit.hours import hours_report
from backend.services.audit.payment import billed_visits, payment_totals, visit_line
from backend.services.audit.one_view import one_view
from backend.services.audit.overview import provider_overview
from backend.services.audit.quality import quality_report
from backend.services.audit.report_scope import parse_grouping
from backend.services.audit.visit_times import evv_csv, visit_times_csv
from backend.services.dates import periods
from backend.services.feedback.reading import present_one
from backend.services.feedback.safety import moderate_feedback
from backend.services.identity import access
from backend.services.national.cld import cld_csv
from backend.services.national.qs123 import visit_length
from backend.services.outcomes.measures import package_scope
from backend.services.reference.funding import split_pence
from tests.audit_support import attend
from tests.feedback_helpers import add_feedback

WEEK = periods.resolve("custom", first=date(2026, 3, 2), last=date(2026, 3, 8))


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def w(make):
    w = make.world()
    set_funders(w.admin, w.contract.id, {w.council.id: "70", w.nhs.id: "30"})
    w.a = make.visit(w.package, start=at(2026, 3, 2, 9), minutes=60)
    attend(w.a, w.worker, at(2026, 3, 2, 9), 50, verified=True)
    w.b = make.visit(w.package, start=at(2026, 3, 3, 9), minutes=30)
    attend(w.b, w.worker, at(2026, 3, 3, 9), 31, verified=False)
    w.stranger = make.user(Role.COMMISSIONER, make.nhs(name="Southshire ICB"))
    make.commit()
    return w


def rows(lines) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(lines).lstrip("\ufeff"))))


def test_pence_split_adds_up_to_the_bill():
    council, icb, third = "council", "icb", "third"
    assert split_pence(1578, [(council, 7000), (icb, 3000)]) == {council: 1105, icb: 473}
    assert split_pence(947, [(council, 7000), (icb, 3000)]) == {council: 663, icb: 284}
    # 3.5p and 1.5p: a tie, so the lead funder (listed first) takes the odd penny.
    assert split_pence(5, [(council, 7000), (icb, 3000)]) == {council: 4, icb: 1}
    assert split_pence(5, [(icb, 3000), (council, 7000)]) == {icb: 2, council: 3}
    assert split_pence(100, [(council, 3334), (icb, 3333), (third, 3333)]) == {
        council: 34, icb: 33, third: 33}
    assert split_pence(0, [(council, 7000), (icb, 3000)]) == {council: 0, icb: 0}
    assert split_pence(947, [(council, 10000)]) == {council: 947}


def test_a_co_funder_reads_the_package_and_its_visits(w):
    assert access.get_visible(w.nhs_commissioner, CarePackage, w.package.id) == w.package
    assert access.get_visible(w.nhs_commissioner, Visit, w.a.id) == w.a
    assert access.get_visible(w.nhs_commissioner, Contract, w.contract.id) == w.contract
    # A funder with no share gets 404, as for any foreign object.
    for model, obj in ((CarePackage, w.package), (Visit, w.a), (Contract, w.contract)):
        with pytest.raises(NotFound):
            access.get_visible(w.stranger, model, obj.id)
    # Read access only: the contract's own funder changes it and its packages.
    with pytest.raises(Forbidden):
        set_funders(w.nhs_commissioner, w.contract.id, {})
    with pytest.raises(Forbidden):
        access.get_administrable(w.nhs_commissioner, CarePackage, w.package.id)
    assert not access.can_change(w.nhs_commissioner, w.contract)
    alert = Alert(visit_id=w.a.id, kind=AlertKind.LATE, raised_at=at(2026, 3, 2, 9, 20))
    db.session.add(alert)
    db.session.flush()
    assert access.can_see(w.nhs_commissioner, alert)
    assert not access.can_change(w.nhs_commissioner, alert)
    assert access.can_change(w.commissioner, alert)
    assert access.can_change(w.commissioner, w.contract)
    assert get_package(w.commissioner, w.package.id) == w.package  # the lead funder still does


def test_feedback_is_moderated_by_the_providers_own_commissioner(w, client, bearer):
    add_feedback(w.provider, 2, free_text="Jo Bloggs at 4 Elm Road was left waiting.")
    feedback = db.session.scalar(sa.select(Feedback))
    db.session.commit()
    # The co-funder reads it, but only a commissioner holding a contract of its own with
    # the provider sets what the provider sees.
    assert present_one(w.nhs_commissioner, feedback)["may_moderate"] is False
    read = client.get(f"/api/v1/feedback/{feedback.id}", headers=bearer(w.nhs_commissioner))
    assert read.status_code == 200 and read.get_json()["may_moderate"] is False
    with pytest.raises(Forbidden):
        moderate_feedback(w.nhs_commissioner, feedback.id, "A person was left waiting.")
    response = client.post(f"/api/v1/feedback/{feedback.id}/moderation",
                           json={"redacted_text": "A person was left waiting."},
                           headers=bearer(w.nhs_commissioner))
    assert response.status_code == 403, response.get_json()
    db.session.rollback()
    assert db.session.get(Feedback, feedback.id).moderated_at is None
    assert present_one(w.commissioner, feedback)["may_moderate"] is True
    moderate_feedback(w.commissioner, feedback.id, "A person was left waiting.")
    assert db.session.get(Feedback, feedback.id).redacted_text == "A person was left waiting."


def test_hours_are_each_funders_share(w):
    group = parse_grouping("provider")
    council = hours_report(w.commissioner, WEEK, group)["total"]
    icb = hours_report(w.nhs_commissioner, WEEK, group)["total"]
    assert (council["visits"], icb["visits"]) == (Decimal("1.4"), Decimal("0.6"))
    # 420 commissioned minutes a week: 294 and 126 (the ICB also has 420 of its own).
    assert (council["commissioned_minutes"], icb["commissioned_minutes"]) == (294, 126 + 420)
    icb_rows = {r["group"]["provider"]["name"]: r
                for r in hours_report(w.nhs_commissioner, WEEK, group)["rows"]}
    assert icb_rows["Caring Hands"]["commissioned_minutes"] == 126
    assert (council["planned_minutes"], icb["planned_minutes"]) == (63, 27)
    assert (council["delivered_minutes"], icb["delivered_minutes"]) == (
        Decimal("56.7"), Decimal("24.3"))
    assert (council["verified_minutes"], icb["verified_minutes"]) == (35, 15)
    assert (council["delivered_hours"], icb["delivered_hours"]) == (
        Decimal("0.95"), Decimal("0.41"))  # 56.7 / 60 = 0.945 half up; 24.3 / 60 = 0.405
    assert hours_report(w.stranger, WEEK, group)["rows"] == []
    # The other NHS-funded package stays wholly the ICB's (no visits this week).
    assert len(hours_report(w.nhs_commissioner, WEEK, group)["rows"]) == 2


def test_an_admin_reads_whole_and_by_funder_split(w):
    whole = hours_report(w.admin, WEEK, parse_grouping("provider"))["total"]
    assert (whole["visits"], whole["delivered_minutes"], whole["planned_minutes"]) == (2, 81, 90)
    by_funder = hours_report(w.admin, WEEK, parse_grouping("funder"))
    found = {r["group"]["funder"]["name"]: r for r in by_funder["rows"]}
    council, icb = found["Northshire County Council"], found["Northshire ICB"]
    assert (council["delivered_minutes"], icb["delivered_minutes"]) == (
        Decimal("56.7"), Decimal("24.3"))
    # The ICB's own package (420 a week) and its 30% of the joint one (126).
    assert (council["commissioned_minutes"], icb["commissioned_minutes"]) == (294, 546)
    assert by_funder["total"]["delivered_minutes"] == 81


def test_payment_is_split_per_visit_and_adds_up(w, make):
    group = parse_grouping("provider")
    council = payment_totals(w.commissioner, WEEK, group)["total"]
    icb = payment_totals(w.nhs_commissioner, WEEK, group)["total"]
    assert (council["amount_pence"], icb["amount_pence"]) == (1768, 757)
    assert (council["billed_minutes"], icb["billed_minutes"]) == (56, 24)  # 80 billed
    assert (council["visits"], icb["visits"]) == (Decimal("1.4"), Decimal("0.6"))
    assert (council["unverified_amount_pence"], icb["unverified_amount_pence"]) == (663, 284)
    assert payment_totals(w.admin, WEEK, group)["total"]["amount_pence"] == 2525
    # The provider sees the bill per funder: each pays its share.
    for reader in (w.manager, w.admin):
        report = payment_totals(reader, WEEK, parse_grouping("funder"))
        assert {r["group"]["funder"]["name"]: r["amount_pence"] for r in report["rows"]} == {
            "Northshire County Council": 1768, "Northshire ICB": 757}
        assert report["total"]["amount_pence"] == 2525
    lines = {line["visit_id"]: line for line in (
        visit_line(row, bill) for row, bill in billed_visits(w.nhs_commissioner, WEEK))}
    a = lines[str(w.a.id)]
    assert (a["amount_pence"], a["share_pct"], a["share_pence"]) == (1578, Decimal("30.00"), 473)
    assert [(s["funder"], s["amount_pence"]) for s in a["funder_shares"]] == [
        ("Northshire County Council", 1105), ("Northshire ICB", 473)]


def test_exports_carry_the_share(w):
    mine = rows(actuals_csv(w.nhs_commissioner, WEEK))
    assert sorted((r["Amount (£)"], r["Share (%)"], r["Share amount (£)"]) for r in mine) == [
        ("15.78", "30.00", "4.73"), ("9.47", "30.00", "2.84")]
    assert all("Northshire County Council 70.00%" in r["Funder shares"] for r in mine)
    whole = rows(actuals_csv(w.admin, WEEK))
    assert {r["Share (%)"] for r in whole} == {"100.00"}
    times = rows(visit_times_csv(w.commissioner, WEEK))
    assert sorted(r["Share amount (£)"] for r in times) == ["11.05", "6.63"]
    evv = rows(evv_csv(w.nhs_commissioner, WEEK))
    assert [r["Funder share (%)"] for r in evv] == ["30.00", "30.00"]


def test_quality_counts_by_share(w):
    council = quality_report(w.commissioner, WEEK)["total"]
    icb = quality_report(w.nhs_commissioner, WEEK)["total"]
    assert (council["visits_due"], icb["visits_due"]) == (Decimal("1.4"), Decimal("0.6"))
    assert (council["location_verified"], icb["location_verified"]) == (
        Decimal("0.7"), Decimal("0.3"))
    # Proportions stand: one of the two check-ins was in the home.
    assert council["home_logging_pct"] == icb["home_logging_pct"] == Decimal("50.00")
    assert quality_report(w.admin, WEEK)["total"]["visits_due"] == 2


def test_qs123_rows_per_funder_by_share(w, make):
    w.person.date_of_birth = date(1940, 1, 1)
    make.commit()
    report = visit_length(w.admin, date(2026, 3, 1), date(2026, 3, 31))
    found = {r["funder"]["name"]: r["at_least_30_minutes"] for r in report["rows"]}
    assert found["Northshire County Council"]["denominator"] == Decimal("1.4")
    assert found["Northshire ICB"]["denominator"] == Decimal("0.6")
    assert report["total"]["at_least_30_minutes"]["denominator"] == 2
    mine = visit_length(w.nhs_commissioner, date(2026, 3, 1), date(2026, 3, 31))
    assert [r["funder"]["name"] for r in mine["rows"]] == ["Northshire ICB"]


def test_outcome_measures_count_people_for_each_funder(w):
    """A person counts whole for each funder of their package (people are not split)."""
    found = db.session.scalars(sa.select(CarePackage.id).where(
        package_scope(w.admin, funder_id=w.nhs.id))).all()
    assert set(found) == {w.package.id, w.other_package.id}


def test_cld_sends_the_councils_rows_at_its_share_of_the_unit_cost(w):
    found = rows(cld_csv(w.commissioner, w.council.id, date(2026, 1, 1)))
    (row,) = [r for r in found if r["LA_Person_Unique_Identifier"] == w.person.council_ref]
    assert row["Unit_Cost"] == "13.25"  # £18.93 x 70% = 1325.1p
    with pytest.raises(NotFound):  # an ICB co-funding a council's package sends no CLD
        list(cld_csv(w.nhs_commissioner, w.council.id, date(2026, 1, 1)))


def test_one_view_overview_and_drill_down_by_share(w, client, auth):
    billed = {}
    for user in (w.commissioner, w.nhs_commissioner, w.admin):
        view = one_view(user, "week", date(2026, 3, 2))
        stage = view["total"].stages[-1]
        billed[user.role, user.organisation_id] = stage.pence
    assert billed[Role.COMMISSIONER, w.council.id] == 1768
    assert billed[Role.COMMISSIONER, w.nhs.id] == 757
    assert billed[Role.ADMIN, w.council.id] == 2525
    overview = provider_overview(w.nhs_commissioner, date(2026, 3, 2), date(2026, 3, 8))
    (row,) = [r for r in overview["rows"] if r["provider"]["name"] == "Caring Hands"]
    assert (row["delivered_minutes"], row["verified_minutes"]) == (Decimal("24.3"), 15)
    assert row["quality"]["visits_due"] == Decimal("0.6")
    drill = provider_packages(w.nhs_commissioner, w.provider.id, WEEK)
    (package,) = drill["rows"]
    assert (package["share_pct"], package["planned_minutes"]) == (Decimal("30.00"), 27)
    assert package["quality"]["visits_due"] == Decimal("0.6")
    auth.login(w.nhs_commissioner.username)
    page = client.get(f"/overview/providers/{w.provider.id}?from=2026-03-02&to=2026-03-08")
    assert page.status_code == 200
    assert "Jointly funded: your share 30.00%" in page.get_data(as_text=True)
    auth.login(w.stranger.username)
    assert client.get(f"/overview/providers/{w.provider.id}").status_code == 404
