"""Administration services: organisations, contracts, people, packages and care workers,
with the access rules and an audit entry (who, when, before, after) for every change."""
from datetime import time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.models import (
    AuditEntry, CarerAvailability, CarerSkill, OrganisationKind, PackageStatus, Role, Visit,
    VisitStatus,
)
from backend.services.administration import carers, contracts, organisations, packages, people
from backend.services.dates import clock
from backend.services.reference.packages import CallLine

PERSON = dict(council_ref="NC-1", first_name="Ada", last_name="Jones", address="1 Mill Lane",
              postcode="nn2 6aa", home_lat=52.25, home_lon=-0.88, nhs_number="9434765919")


def entries(obj, action=None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.object_id == str(obj.id)).order_by(
        AuditEntry.at)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


@pytest.fixture
def world(make):
    return make.world()


def test_admin_creates_and_changes_organisations_audited(world):
    icb = organisations.create_organisation(world.admin, "Westshire ICB", "nhs", ods_code="qpm")
    assert icb.ods_code == "QPM" and icb.framework_status is None
    provider = organisations.create_organisation(world.admin, "Kind Care", "provider",
                                                 cqc_id="1-234567890")
    assert provider.framework_status.value == "accredited"
    organisations.update_organisation(world.admin, provider.id, name="Kind Care Ltd")
    (change,) = entries(provider, "organisation_changed")
    assert change.user_id == world.admin.id and change.at is not None
    assert change.details == {"before": {"name": "Kind Care"}, "after": {"name": "Kind Care Ltd"}}
    organisations.update_organisation(world.admin, provider.id, name="Kind Care Ltd")
    assert len(entries(provider, "organisation_changed")) == 1  # nothing changed, nothing logged


@pytest.mark.parametrize("fields,field", [
    ({"ods_code": "a b"}, "ods_code"), ({"cqc_id": "123"}, "cqc_id"),
    ({"email": "nobody"}, "email"), ({"webhook_url": "ftp://x"}, "webhook_url"),
])
def test_bad_organisation_field_named(world, fields, field):
    with pytest.raises(Invalid) as err:
        organisations.create_organisation(world.admin, "New Care", "provider", **fields)
    assert field in err.value.fields


def test_only_admins_create_organisations(world):
    for user in (world.commissioner, world.manager):
        with pytest.raises(Forbidden):
            organisations.create_organisation(user, "Sneaky", OrganisationKind.PROVIDER)
    with pytest.raises(Conflict):
        organisations.create_organisation(world.admin, world.provider.name, "provider")


def test_commissioner_sets_up_contract_with_rates_rules_and_joint_funding(world, make):
    new_provider = organisations.create_organisation(world.admin, "Fresh Care", "provider")
    contract = contracts.create_contract(
        world.commissioner, world.council.id, new_provider.id, "Fresh Care 2026",
        clock.today(), billing_basis="planned", rounding_unit_min=15, rounding="up",
        minimum_billable_min=30, geofence_radius_m=150, offline_window_hours=48,
        home_logging_target_pct=90, hourly_rate_pence=2400)
    contracts.set_call_rates(world.commissioner, contract.id, {30: 820, 45: 1065, 60: 1420})
    rule = contracts.set_monitoring_rule(world.commissioner, contract.id, "critical",
                                         late_after_min=3, missed_after_min=20)
    assert (rule.late_after_min, rule.missed_after_min) == (3, 20)
    contracts.set_funders(world.commissioner, contract.id,
                          {world.council.id: 70, world.nhs.id: "30"})
    terms = contracts.contract_terms(world.commissioner, contract.id)
    assert [(r.duration_min, r.amount_pence) for r in terms["call_rates"]] == [
        (30, 820), (45, 1065), (60, 1420)]
    assert {f["name"]: f["share_pct"] for f in terms["funders"]} == {
        world.council.name: Decimal("70.00"), world.nhs.name: Decimal("30.00")}
    assert terms["may_change"]
    (rates,) = entries(contract, "contract_call_rates_changed")
    assert rates.details["after"] == {"call_rates": {"30": 820, "45": 1065, "60": 1420}}
    (rule_change,) = entries(rule, "contract_rule_critical_changed")
    assert rule_change.details["before"] == {"late_after_min": 5, "missed_after_min": 30}


def test_contract_terms_checked(world):
    with pytest.raises(Invalid) as err:
        contracts.create_contract(world.commissioner, world.council.id, world.provider.id, "x",
                                  clock.today(), rounding_unit_min=7)
    assert "rounding_unit_min" in err.value.fields
    with pytest.raises(Invalid) as err:
        contracts.update_contract(world.commissioner, world.contract.id, floor_rate_pence=2000,
                                  ceiling_rate_pence=1500)
    assert "floor_rate_pence" in err.value.fields
    with pytest.raises(Invalid) as err:
        contracts.update_contract(world.commissioner, world.contract.id,
                                  ends_on=world.contract.starts_on - timedelta(days=1))
    assert "ends_on" in err.value.fields
    for shares in ({world.council.id: 60, world.nhs.id: 30}, {world.nhs.id: 100},
                   {world.council.id: 50, world.provider.id: 50}):
        with pytest.raises(Invalid) as err:
            contracts.set_funders(world.commissioner, world.contract.id, shares)
        assert all(name.startswith("funders") for name in err.value.fields)


def test_contract_access(world):
    with pytest.raises(Forbidden):  # the provider reads its contract's terms, never changes them
        contracts.update_contract(world.manager, world.contract.id, hourly_rate_pence=1)
    assert contracts.contract_terms(world.manager, world.contract.id)["may_change"] is False
    with pytest.raises(NotFound):  # another funder's contract does not exist for them
        contracts.update_contract(world.nhs_commissioner, world.contract.id, name="x")
    with pytest.raises(Forbidden):  # a commissioner contracts only for their own organisation
        contracts.create_contract(world.commissioner, world.nhs.id, world.provider.id, "x",
                                  clock.today())
    contracts.update_contract(world.commissioner, world.contract.id, hourly_rate_pence=2500)
    (change,) = entries(world.contract, "contract_changed")
    assert change.details == {"before": {"hourly_rate_pence": 1893},
                              "after": {"hourly_rate_pence": 2500}}


def test_manager_records_person_seen_before_any_package(world):
    person = people.create_person(world.manager, **PERSON, contact_name="Bea Jones",
                                  contact_email="bea@example.org", contact_opted_in=True)
    assert person.organisation_id == world.provider.id and person.postcode == "NN2 6AA"
    assert person in people.list_people(world.manager)
    assert person not in people.list_people(world.other_manager)
    people.update_person(world.manager, person.id, access_notes="Key safe by the back door",
                         geofence_off=True)
    (change,) = entries(person, "person_changed")
    assert change.details["after"] == {"access_notes": "Key safe by the back door",
                                       "geofence_off": True}
    with pytest.raises(NotFound):
        people.update_person(world.other_manager, person.id, first_name="X")
    with pytest.raises(Invalid) as err:
        people.update_person(world.manager, person.id, nhs_number="9434765918")
    assert "nhs_number" in err.value.fields  # the check digit is wrong
    with pytest.raises(Conflict):
        people.create_person(world.manager, **{**PERSON, "council_ref": "NC-2"})
    with pytest.raises(Invalid) as err:  # a key safe's code never goes into the record
        people.update_person(world.manager, person.id, access_notes="Key safe code: 4821")
    assert "never its code" in err.value.fields["access_notes"][0]


def _future_visits(package):
    return list(db.session.scalars(sa.select(Visit).where(Visit.package_id == package.id)
                                   .order_by(Visit.planned_start)))


def test_package_lifecycle_pending_suspension_and_end(world):
    today = clock.today()
    person = people.create_person(world.manager, **PERSON)
    daily = [CallLine(d, time(10), 30, required_skills=("medication",)) for d in range(7)]
    pending = packages.create_package(world.manager, person.id, world.contract.id, "standard",
                                      210, today + timedelta(days=2), schedule=daily,
                                      reference_code="PKG-1")
    assert pending.status == PackageStatus.PENDING and _future_visits(pending) == []
    assert pending.schedule[0].required_skills == ["medication"]
    assert packages.start_due_packages(today + timedelta(days=2)) == {"started": 1, "ended": 0}
    assert pending.status == PackageStatus.ACTIVE
    assert packages.start_due_packages(today + timedelta(days=2)) == {"started": 0, "ended": 0}
    (started,) = entries(pending, "package_status_changed")
    assert started.user_id is None and started.details["after"] == {"status": "active"}

    active = packages.create_package(world.commissioner, person.id, world.contract.id,
                                     "standard", 210, today, schedule=daily)
    visits = _future_visits(active)
    assert len(visits) >= 12
    first_away, last_away = today + timedelta(days=3), today + timedelta(days=6)
    suspension = packages.suspend_package(world.manager, active.id, first_away, None,
                                          "Hospital stay")
    away = [v for v in _future_visits(active) if v.local_date >= first_away]
    assert away and all(v.status == VisitStatus.CANCELLED and
                        v.cancel_reason == "package_suspended" for v in away)
    packages.end_suspension(world.manager, suspension.id, last_away)
    back = {v.local_date: v for v in _future_visits(active)}
    assert all(back[d].status == VisitStatus.SCHEDULED for d in back if d > last_away)
    assert all(back[d].status == VisitStatus.CANCELLED
               for d in back if first_away <= d <= last_away)
    with pytest.raises(Conflict):
        packages.suspend_package(world.manager, active.id, last_away, None, "Again")

    packages.end_package(world.manager, active.id, today + timedelta(days=1))
    after_end = [v for v in _future_visits(active) if v.local_date > today + timedelta(days=1)]
    assert after_end and all(v.status == VisitStatus.CANCELLED for v in after_end)
    assert len(entries(active, "package_ended")) == 1


def test_pattern_change_audited_and_checked(world):
    person = people.create_person(world.manager, **PERSON)
    package = packages.create_package(world.manager, person.id, world.contract.id, "standard",
                                      60, clock.today(), schedule=[CallLine(0, time(8), 30)])
    packages.set_pattern(world.manager, package.id, [
        CallLine(0, time(8), 15, short_call_agreed=True), CallLine(0, time(18), 45, 2)])
    (change,) = [e for e in entries(package, "package_pattern_set") if e.details["before"]]
    assert change.details["after"]["pattern"][0]["short_call_agreed"] is True
    with pytest.raises(Invalid) as err:
        packages.set_pattern(world.manager, package.id,
                             [CallLine(0, time(8), 60), CallLine(0, time(8, 30), 30)])
    assert "schedule[1].start_time" in err.value.fields
    with pytest.raises(Invalid) as err:
        packages.set_pattern(world.manager, package.id,
                             [CallLine(0, time(8), 30, required_skills=("juggling",))])
    assert "schedule[0].required_skills" in err.value.fields
    with pytest.raises(NotFound):
        packages.change_package(world.nhs_commissioner, package.id, weekly_minutes=90)
    with pytest.raises(Invalid) as err:
        packages.change_package(world.manager, package.id,
                                end_date=package.start_date - timedelta(days=1))
    assert "end_date" in err.value.fields
    with pytest.raises(NotFound):  # a provider packages only under its own contracts
        packages.create_package(world.other_manager, world.other_person.id,
                                world.contract.id, "standard", 60, clock.today())


def test_care_worker_profile(world, make):
    area = organisations.create_area(world.admin, "North lot")
    worker = carers.create_care_worker(
        world.manager, world.provider.id, "jo.bloggs", "Jo Bloggs", staff_ref="S-100",
        contracted_weekly_minutes=1800, max_weekly_minutes=2400, travel_mode="walking",
        hourly_pay_pence=1250, skills=["medication", "double_up"],
        availability=[(0, time(7), time(13)), (0, time(16), time(21))], area_ids=[area.id])
    assert worker.role == Role.CARE_WORKER and worker.password_hash.startswith("!")
    profile = carers.care_worker_profile(world.manager, worker.id)
    assert profile["skills"] == ["double_up", "medication"]
    assert len(profile["availability"]) == 2 and len(profile["areas"]) == 1
    carers.set_skills(world.manager, worker.id, ["medication"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CarerSkill)) == 1
    skills = entries(worker, "care_worker_skills_changed")[-1]
    assert skills.details == {"before": {"skills": ["double_up", "medication"]},
                              "after": {"skills": ["medication"]}}
    leave = carers.add_leave(world.manager, worker.id, clock.today(),
                             clock.today() + timedelta(days=4), "annual", "Holiday")
    with pytest.raises(Conflict):
        carers.add_leave(world.manager, worker.id, clock.today() + timedelta(days=4),
                         clock.today() + timedelta(days=5))
    carers.cancel_leave(world.manager, leave.id)
    with pytest.raises(Invalid) as err:
        carers.set_availability(world.manager, worker.id,
                                [(1, time(7), time(13)), (1, time(12), time(15))])
    assert err.value.fields == {"availability": ["Two working windows overlap on the same day."]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CarerAvailability)) == 2
    with pytest.raises(Conflict):
        carers.create_care_worker(world.manager, world.provider.id, "jo2", "Jo Two",
                                  staff_ref="S-100")
    with pytest.raises(Invalid) as err:
        carers.update_care_worker(world.manager, worker.id, contracted_weekly_minutes=3000)
    assert "contracted_weekly_minutes" in err.value.fields
    with pytest.raises(NotFound):
        carers.update_care_worker(world.other_manager, worker.id, hourly_pay_pence=1)
    with pytest.raises(Forbidden):
        carers.create_care_worker(world.other_manager, world.provider.id, "x", "X")
    assert worker in carers.list_care_workers(world.manager)
    assert worker not in carers.list_care_workers(world.other_manager)


def test_generation_job_starts_due_packages(world, app):
    from backend.scheduler.jobs import run_job

    person = people.create_person(world.manager, **PERSON)
    package = packages.create_package(world.manager, person.id, world.contract.id, "standard",
                                      60, clock.today() + timedelta(days=1),
                                      schedule=[CallLine(d, time(12), 30) for d in range(7)])
    package.start_date = clock.today()  # the start date has come
    db.session.commit()
    summary = run_job(app, "generation", "test-holder")
    assert summary["packages_started"] == 1 and summary["created"] > 0
    db.session.refresh(package)
    assert package.status == PackageStatus.ACTIVE
