"""The administration pages: each form keeps what was typed and names the field at fault,
and calls the same services as the API."""
from datetime import timedelta

import pytest
from flask import g
import sqlalchemy as sa

from backend.extensions import db
from backend.models import CarePackage, CarerSkill, Contract, Organisation, ServiceUser, User
from backend.services.dates import clock


@pytest.fixture
def world(make):
    world = make.world()
    make.commit()
    return world


def text(response) -> str:
    return response.get_data(as_text=True)


def switch(auth, username: str) -> None:
    """Sign out and in as someone else (the tests' app context keeps g between requests)."""
    auth.logout()
    g.pop("user", None)
    auth.login(username)


def test_admin_adds_organisations_and_areas(client, auth, world):
    auth.login(world.admin.username)
    assert client.get("/admin/organisations").status_code == 200
    refused = client.post("/admin/organisations", data={
        "name": "Westshire ICB", "kind": "nhs", "ods_code": "Q W"})
    assert refused.status_code == 422
    assert 'value="Westshire ICB"' in text(refused)  # what was typed is kept
    assert 'id="ods_code-error"' in text(refused) and "3 to 10 letters" in text(refused)
    assert client.post("/admin/organisations", data={
        "name": "Westshire ICB", "kind": "nhs", "ods_code": "QWE"}).status_code == 302
    icb = db.session.scalar(sa.select(Organisation).where(Organisation.ods_code == "QWE"))
    edited = client.post(f"/admin/organisations/{icb.id}", data={"name": "Westshire ICB 2"})
    assert edited.status_code == 302
    # The office number carers are told to call, as the import sets it.
    provider_page = f"/admin/organisations/{world.provider.id}"
    assert client.post(provider_page, data={"name": world.provider.name,
                                            "phone": "01604 000111"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, world.provider.id).phone == "01604 000111"
    assert 'value="01604 000111"' in text(client.get(provider_page))
    assert client.post("/admin/areas", data={"name": "North"}).status_code == 302
    switch(auth, world.commissioner.username)
    assert client.get("/admin/organisations").status_code == 404


def test_commissioner_sets_up_a_contract_provider_reads_it(client, auth, world):
    auth.login(world.commissioner.username)
    created = client.post("/admin/contracts", data={
        "funder_id": str(world.council.id), "provider_id": str(world.provider.id),
        "name": "Home care 2026", "starts_on": str(clock.today()), "hourly_rate": "21.50",
        "billing_basis": "actual", "rounding_unit_min": "15", "rounding": "nearest",
        "minimum_billable_min": "0", "double_up_rule": "each_worker",
        "geofence_radius_m": "150", "accuracy_allowance_max_m": "100",
        "offline_window_hours": "200", "home_logging_target_pct": "85",
        "lock_after_days": "7"})
    assert created.status_code == 422 and "offline_window_hours-error" in text(created)
    assert 'value="Home care 2026"' in text(created)
    created = client.post("/admin/contracts", data={
        "funder_id": str(world.council.id), "provider_id": str(world.provider.id),
        "name": "Home care 2026", "starts_on": str(clock.today()), "hourly_rate": "21.50",
        "billing_basis": "actual", "rounding_unit_min": "15", "rounding": "nearest",
        "minimum_billable_min": "0", "double_up_rule": "each_worker",
        "geofence_radius_m": "150", "accuracy_allowance_max_m": "100",
        "offline_window_hours": "48", "home_logging_target_pct": "85", "lock_after_days": "7"})
    assert created.status_code == 302
    contract = db.session.scalar(sa.select(Contract).where(Contract.name == "Home care 2026"))
    assert contract.hourly_rate_pence == 2150 and contract.offline_window_hours == 48
    base = f"/admin/contracts/{contract.id}"
    assert client.post(f"{base}/rates", data={
        "rates-call_rates-0-duration_min": "30", "rates-call_rates-0-amount": "8.20",
        "rates-call_rates-1-duration_min": "45", "rates-call_rates-1-amount": "10.65",
        "rates-call_rates-2-duration_min": "60", "rates-call_rates-2-amount": "14.20",
    }).status_code == 302
    bad = client.post(f"{base}/funders", data={
        "funders-funders-0-funder_id": str(world.council.id), "funders-funders-0-share_pct": "70",
        "funders-funders-1-funder_id": str(world.nhs.id), "funders-funders-1-share_pct": "20"})
    assert bad.status_code == 422 and "add up to 100" in text(bad)
    assert client.post(f"{base}/funders", data={
        "funders-funders-0-funder_id": str(world.council.id), "funders-funders-0-share_pct": "70",
        "funders-funders-1-funder_id": str(world.nhs.id), "funders-funders-1-share_pct": "30",
    }).status_code == 302
    assert client.post(f"{base}/rule-critical", data={
        "rule-critical-late_after_min": "3", "rule-critical-short_margin_min": "10",
        "rule-critical-early_finish_min": "10", "rule-critical-no_checkout_after_min": "30",
        "rule-critical-escalate_after_min": "15"}).status_code == 302
    shown = text(client.get(base))
    assert "30 min £8.20" in shown and "Northshire ICB 30.00%" in shown
    assert "late after 3 min" in shown
    switch(auth, world.manager.username)
    read = client.get(base)
    assert read.status_code == 200 and "£21.50" in text(read) and "Save terms" not in text(read)
    assert client.post(f"{base}/terms", data={"terms-name": "x"}).status_code == 404


def test_manager_records_person_package_suspension_and_carer(client, auth, world):
    auth.login(world.manager.username)
    person = {"council_ref": "PG-1", "first_name": "Ada", "last_name": "Jones",
              "address": "1 Mill Lane", "postcode": "NN2 6AA", "home_lat": "52.25",
              "home_lon": "-0.88", "nhs_number": "943 476 5918"}
    refused = client.post("/admin/people", data=person)
    assert refused.status_code == 422 and "check digit" in text(refused)
    assert 'value="Ada"' in text(refused)
    assert client.post("/admin/people", data={**person, "nhs_number": "943 476 5919"}
                       ).status_code == 302
    ada = db.session.scalar(sa.select(ServiceUser).where(ServiceUser.council_ref == "PG-1"))
    assert ada.accommodation_status is None and ada.contact_phone is None
    # The contact's phone and where the person lives (read by CLD and ASCOF 2E), as the
    # import records them, are shown and changed on the person's details.
    lives = "Owner occupier or shared ownership scheme"
    changed = client.post(f"/admin/people/{ada.id}", data={
        **person, "nhs_number": "943 476 5919", "contact_phone": "07700 900123",
        "accommodation_status": lives})
    assert changed.status_code == 302, text(changed)
    db.session.expire_all()
    assert (ada.contact_phone, ada.accommodation_status) == ("07700 900123", lives)
    details = text(client.get(f"/admin/people/{ada.id}"))
    assert 'value="07700 900123"' in details and f'<option selected value="{lives}">' in details
    refused = client.post(f"/admin/people/{ada.id}", data={
        **person, "nhs_number": "943 476 5919", "accommodation_status": "a tent"})
    assert refused.status_code == 422 and 'id="accommodation_status-error"' in text(refused)
    form = {"service_user_id": str(ada.id), "contract_id": str(world.contract.id),
            "package_type": "standard", "weekly_minutes": "420",
            "start_date": str(clock.today()), "reference": "PKG-9",
            "schedule-0-weekday": "0", "schedule-0-start_time": "08:00",
            "schedule-0-duration_min": "60", "schedule-0-priority": "normal",
            "schedule-1-priority": "normal",  # a row left empty
            "schedule-2-weekday": "0", "schedule-2-start_time": "08:30",
            "schedule-2-duration_min": "30", "schedule-2-priority": "critical"}
    overlap = client.post("/admin/packages/new", data=form)
    assert overlap.status_code == 422
    assert 'id="schedule-2-start_time-error"' in text(overlap)
    form.update({"schedule-2-start_time": "18:00", "schedule-2-required_skills": "medication",
                 "schedule-2-tasks": "Medication; Supper"})
    created = client.post("/admin/packages/new", data=form)
    assert created.status_code == 302, text(created)
    package = db.session.scalar(sa.select(CarePackage).where(CarePackage.reference == "PKG-9"))
    assert [line.required_skills for line in package.schedule] == [[], ["medication"]]
    base = f"/admin/packages/{package.id}"
    assert client.post(f"{base}/suspend", data={
        "suspend-start_date": str(clock.today() + timedelta(days=1)),
        "suspend-reason": "Hospital stay"}).status_code == 302
    assert client.post(f"{base}/back", data={
        "back-end_date": str(clock.today() + timedelta(days=3))}).status_code == 302
    assert "Hospital stay" in text(client.get(base))
    assert client.get(f"/admin/packages/{world.other_package.id}").status_code == 404
    person_page = text(client.get(f"/people/{ada.id}"))  # the person page links to the form
    assert f"/admin/people/{ada.id}" in person_page

    added = client.post("/admin/care-workers", data={
        "provider_id": str(world.provider.id), "username": "kim.carer",
        "display_name": "Kim Carer", "staff_ref": "S-7",
        "skills": ["medication", "dementia"], "hourly_pay": "12.60",
        "availability-0-weekday": "1", "availability-0-start_time": "07:00",
        "availability-0-end_time": "13:00"})
    assert added.status_code == 200, [ln for ln in text(added).splitlines() if "error" in ln]
    assert 'id="one-time-link"' in text(added)
    kim = db.session.scalar(sa.select(User).where(User.username == "kim.carer"))
    assert kim.hourly_pay_pence == 1260
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CarerSkill)) == 2
    bad_window = client.post(f"/admin/care-workers/{kim.id}", data={
        "provider_id": str(world.provider.id), "username": "kim.carer",
        "display_name": "Kim Carer", "hourly_pay": "12.60",
        "availability-0-weekday": "1", "availability-0-start_time": "13:00",
        "availability-0-end_time": "07:00"})
    assert bad_window.status_code == 422
    assert 'id="availability-0-end_time-error"' in text(bad_window)
    assert client.post(f"/admin/care-workers/{kim.id}", data={
        "provider_id": str(world.provider.id), "username": "kim.carer",
        "display_name": "Kim Carer", "hourly_pay": "12.90", "skills": ["medication"],
        "availability-0-weekday": "1", "availability-0-start_time": "07:00",
        "availability-0-end_time": "13:00"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, kim.id).hourly_pay_pence == 1290
    assert client.post(f"/admin/care-workers/{kim.id}/leave", data={
        "leave-start_date": str(clock.today()), "leave-end_date": str(clock.today()),
        "leave-kind": "training"}).status_code == 302


def test_users_page_invites_and_deactivates(client, auth, world):
    auth.login(world.manager.username)
    invited = client.post("/admin/users", data={
        "username": "new.manager", "role": "provider_manager",
        "organisation_id": str(world.provider.id)})
    assert invited.status_code == 200 and "/account/password/" in text(invited)
    taken = client.post("/admin/users", data={
        "username": world.worker.username, "role": "care_worker",
        "organisation_id": str(world.provider.id)})
    assert taken.status_code == 409 and "Already taken." in text(taken)
    assert client.post(f"/admin/users/{world.worker.id}/active/0").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, world.worker.id).active is False
    assert client.post(f"/admin/users/{world.other_worker.id}/password-link").status_code == 200
    assert client.post(f"/admin/users/{world.foreign_worker.id}/active/0").status_code == 404


def test_a_persons_packages_page(client, auth, world, make):
    """The person page's "Packages and their patterns" link: that person's packages only;
    a person the user may not see, or an id that is no id, answers 404, never 500."""
    second = make.package(world.person, contract=world.contract, reference="PKG-2")
    make.package(make.service_user(), contract=world.contract, reference="PKG-NOT-ADA")
    make.commit()
    for user in (world.manager, world.commissioner, world.admin):
        switch(auth, user.username)
        page = client.get(f"/admin/packages?person={world.person.id}")
        assert page.status_code == 200, text(page)
        assert "PKG-2" in text(page) and "PKG-NOT-ADA" not in text(page)
        assert f"/admin/packages/{second.id}" in text(page)
        assert f"/admin/packages/new?person={world.person.id}" in text(page)
    switch(auth, world.manager.username)
    assert client.get(f"/admin/packages?person={world.other_person.id}").status_code == 404
    assert client.get("/admin/packages?person=not-an-id").status_code == 404
