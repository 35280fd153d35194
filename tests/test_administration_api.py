"""The administration API: the same operations as the pages, for machine clients."""
from datetime import timedelta

import pytest

from backend.services.dates import clock


@pytest.fixture
def world(make):
    world = make.world()
    make.commit()
    return world


def test_machine_client_sets_up_a_contract_person_package_and_carer(client, bearer, world):
    admin, commissioner, manager = (bearer(world.admin), bearer(world.commissioner),
                                    bearer(world.manager))
    icb = client.post("/api/v1/organisations", headers=admin,
                      json={"name": "Westshire ICB", "kind": "nhs", "ods_code": "QWE"})
    assert icb.status_code == 201, icb.json
    provider = client.post("/api/v1/organisations", headers=admin,
                           json={"name": "New Care", "kind": "provider", "cqc_id": "1-55555555"})
    assert client.post("/api/v1/organisations", headers=manager,
                       json={"name": "X", "kind": "provider"}).status_code == 403

    contract = client.post("/api/v1/contracts", headers=commissioner, json={
        "funder_id": str(world.council.id), "provider_id": provider.json["id"],
        "name": "New Care 2026", "starts_on": str(clock.today()), "rounding_unit_min": 15,
        "billing_basis": "planned"})
    assert contract.status_code == 201, contract.json
    cid = contract.json["id"]
    rates = client.put(f"/api/v1/contracts/{cid}/call-rates", headers=commissioner, json={
        "call_rates": [{"duration_min": 30, "amount_pence": 820},
                       {"duration_min": 45, "amount_pence": 1065}]})
    assert [r["amount_pence"] for r in rates.json["call_rates"]] == [820, 1065]
    shares = client.put(f"/api/v1/contracts/{cid}/funders", headers=commissioner, json={
        "funders": [{"funder_id": str(world.council.id), "share_pct": "70"},
                    {"funder_id": icb.json["id"], "share_pct": "30"}]})
    assert sorted(f["share_pct"] for f in shares.json["funders"]) == ["30.00", "70.00"]
    bad = client.put(f"/api/v1/contracts/{cid}/funders", headers=commissioner, json={
        "funders": [{"funder_id": str(world.council.id), "share_pct": "70"},
                    {"funder_id": icb.json["id"], "share_pct": "20"}]})
    assert bad.status_code == 422 and "funders" in bad.json["error"]["fields"]
    rule = client.put(f"/api/v1/contracts/{cid}/rules/critical", headers=commissioner,
                      json={"late_after_min": 3})
    assert rule.json["late_after_min"] == 3

    # The provider reads its contract's terms but never changes them.
    terms = client.get(f"/api/v1/contracts/{world.contract.id}", headers=manager)
    assert terms.status_code == 200 and terms.json["may_change"] is False
    assert client.patch(f"/api/v1/contracts/{world.contract.id}", headers=manager,
                        json={"hourly_rate_pence": 1}).status_code == 403

    person = {"council_ref": "API-1", "first_name": "Ada", "last_name": "Jones",
              "address": "1 Mill Lane", "postcode": "NN2 6AA", "home_lat": 52.25,
              "home_lon": -0.88, "nhs_number": "9434765918"}
    refused = client.post("/api/v1/service-users", headers=manager, json=person)
    assert refused.status_code == 422 and "nhs_number" in refused.json["error"]["fields"]
    created = client.post("/api/v1/service-users", headers=manager,
                          json={**person, "nhs_number": "9434765919"})
    assert created.status_code == 201

    package = client.post("/api/v1/packages", headers=manager, json={
        "service_user_id": created.json["id"], "contract_id": str(world.contract.id),
        "package_type": "standard", "weekly_minutes": 210, "reference": "P-1",
        "start_date": str(clock.today()), "schedule": [
            {"weekday": d, "start_time": "09:00", "duration_min": 30,
             "required_skills": ["medication"]} for d in range(7)]})
    assert package.status_code == 201, package.json
    assert package.json["status"] == "active" and len(package.json["schedule"]) == 7
    suspension = client.post(f"/api/v1/packages/{package.json['id']}/suspensions",
                             headers=manager, json={"start_date": str(clock.today()),
                                                    "reason": "Hospital stay"})
    assert suspension.status_code == 201
    back = client.post(f"/api/v1/suspensions/{suspension.json['id']}/end", headers=manager,
                       json={"end_date": str(clock.today() + timedelta(days=2))})
    assert back.json["end_date"] == str(clock.today() + timedelta(days=2))
    overlap = client.put(f"/api/v1/packages/{package.json['id']}/pattern", headers=manager,
                         json={"schedule": [
                             {"weekday": 0, "start_time": "09:00", "duration_min": 60},
                             {"weekday": 0, "start_time": "09:30", "duration_min": 30}]})
    assert overlap.status_code == 422
    assert "schedule[1].start_time" in overlap.json["error"]["fields"]

    worker = client.post("/api/v1/care-workers", headers=manager, json={
        "provider_id": str(world.provider.id), "username": "sam.carer",
        "display_name": "Sam Carer", "staff_ref": "S-9", "skills": ["medication"],
        "availability": [{"weekday": 0, "start_time": "07:00", "end_time": "14:00"}],
        "hourly_pay_pence": 1250})
    assert worker.status_code == 201, worker.json
    link = client.post(f"/api/v1/users/{worker.json['id']}/reset-link", headers=manager)
    assert link.status_code == 201 and link.json["purpose"] == "invitation"
    token = link.json["link"].rsplit("/", 1)[1]
    assert client.post("/api/v1/account/password",
                       json={"token": token, "password": "sam-secret-1"}).status_code == 204
    signed_in = client.post("/api/v1/auth/sign-in",
                            json={"username": "sam.carer", "password": "sam-secret-1"})
    assert signed_in.status_code == 200
    assert client.post("/api/v1/account/password",
                       json={"token": token, "password": "again-secret"}).status_code == 404

    foreign = client.patch(f"/api/v1/care-workers/{worker.json['id']}",
                           headers=bearer(world.other_manager), json={"hourly_pay_pence": 1})
    assert foreign.status_code == 404


def test_invitation_and_deactivation_over_the_api(client, bearer, world):
    commissioner = bearer(world.commissioner)
    invited = client.post("/api/v1/users", headers=commissioner, json={
        "organisation_id": str(world.council.id), "username": "new.commissioner",
        "role": "commissioner", "email": "nc@council.example"})
    assert invited.status_code == 201 and invited.json["link"].startswith("http")
    assert client.post("/api/v1/users", headers=commissioner, json={
        "organisation_id": str(world.provider.id), "username": "x",
        "role": "care_worker"}).status_code == 403
    off = client.post(f"/api/v1/users/{invited.json['user']['id']}/deactivate",
                      headers=commissioner)
    assert off.status_code == 200 and off.json["active"] is False
    assert client.post("/api/v1/users", headers=commissioner,
                       json={"username": "no-org"}).status_code == 422
