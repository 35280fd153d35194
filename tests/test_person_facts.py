"""Hospital stays and the person facts the national measures read, recorded through the
API by the person's provider manager, then counted by ASCOF 2D and 2E."""
from datetime import date

from backend.extensions import db
from backend.models import PackageType
from backend.services.outcomes.measures import outcome_measures
from tests.outcome_helpers import episode


def test_record_stays_and_facts_then_measure(client, bearer, make):
    w = make.world()
    w.person.date_of_birth = date(1950, 3, 1)
    reablement = make.package(w.person, contract=w.contract, start_date=date(2026, 2, 2),
                              package_type=PackageType.REABLEMENT)
    episode(reablement, start=date(2026, 2, 2))
    db.session.commit()
    h = bearer(w.manager)
    url = f"/api/v1/service-users/{w.person.id}/hospital-stays"
    stay = client.post(url, json={"admitted_on": "2026-01-20", "discharged_on": "2026-02-01"},
                       headers=h)
    assert stay.status_code == 201 and stay.json["emergency"] is True
    open_stay = client.post(url, json={"admitted_on": "2026-03-01", "emergency": False},
                            headers=h)
    assert open_stay.json["discharged_on"] is None
    out = client.post(f"/api/v1/hospital-stays/{open_stay.json['id']}/discharge",
                      json={"discharged_on": "2026-03-04"}, headers=h)
    assert out.status_code == 200 and out.json["discharged_on"] == "2026-03-04"
    again = client.post(f"/api/v1/hospital-stays/{open_stay.json['id']}/discharge",
                        json={"discharged_on": "2026-03-05"}, headers=h)
    assert again.status_code == 409
    listed = client.get(url, headers=bearer(w.commissioner))
    assert [s["admitted_on"] for s in listed.json] == ["2026-03-01", "2026-01-20"]
    facts = client.patch(f"/api/v1/service-users/{w.person.id}/national-facts",
                         json={"accommodation_status": "Tenant: Private landlord"}, headers=h)
    assert facts.status_code == 200 and facts.json["date_of_death"] is None
    m = outcome_measures(w.commissioner, date(2026, 1, 1), date(2026, 3, 31),
                         today=date(2026, 9, 1))
    # The February discharge led into the reablement two days later; the planned March
    # admission is no readmission; the March discharge had no reablement after it.
    assert (m["ascof_2d"]["numerator"], m["ascof_2d"]["denominator"]) == (1, 1)
    assert (m["ascof_2d"]["part_2"]["numerator"], m["ascof_2d"]["part_2"]["denominator"]) \
        == (1, 2)
    assert (m["ascof_2e"]["numerator"], m["ascof_2e"]["denominator"]) == (1, 1)
    client.patch(f"/api/v1/service-users/{w.person.id}/national-facts",
                 json={"care_home_admitted_on": "2026-03-10"}, headers=h)
    m = outcome_measures(w.commissioner, date(2026, 1, 1), date(2026, 3, 31),
                         today=date(2026, 9, 1))
    assert (m["ascof_2d"]["numerator"], m["ascof_2d"]["outcomes"]["entered_care_home"]) == (0, 1)


def test_bad_input_and_access(client, bearer, make):
    w = make.world()
    db.session.commit()
    h = bearer(w.manager)
    url = f"/api/v1/service-users/{w.person.id}/hospital-stays"
    backwards = client.post(url, json={"admitted_on": "2026-02-10",
                                       "discharged_on": "2026-02-01"}, headers=h)
    assert backwards.status_code == 422 and "discharged_on" in backwards.json["error"]["fields"]
    future = client.post(url, json={"admitted_on": "2999-01-01"}, headers=h)
    assert future.status_code == 422 and "admitted_on" in future.json["error"]["fields"]
    assert client.post(url, json={}, headers=h).status_code == 422
    facts = f"/api/v1/service-users/{w.person.id}/national-facts"
    bungalow = client.patch(facts, json={"accommodation_status": "Bungalow"}, headers=h)
    assert bungalow.status_code == 422 and "accommodation_status" in \
        bungalow.json["error"]["fields"]
    assert client.post(url, json={"admitted_on": "2026-01-01"},
                       headers=bearer(w.other_manager)).status_code == 404
    assert client.get(url, headers=bearer(w.other_manager)).status_code == 404
    assert client.post(url, json={"admitted_on": "2026-01-01"},
                       headers=bearer(w.commissioner)).status_code == 403
    assert client.patch(facts, json={"date_of_death": "2026-01-01"},
                        headers=bearer(w.worker)).status_code == 403
    stay = client.post(url, json={"admitted_on": "2026-01-01"}, headers=h).json
    assert client.post(f"/api/v1/hospital-stays/{stay['id']}/discharge",
                       json={"discharged_on": "2026-01-02"},
                       headers=bearer(w.other_manager)).status_code == 404
    assert client.post("/api/v1/hospital-stays/00000000-0000-0000-0000-000000000000/discharge",
                       json={"discharged_on": "2026-01-02"}, headers=h).status_code == 404
