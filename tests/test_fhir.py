"""The FHIR R4 API: every resource it returns validates as FHIR (fhir.resources), carries its
UK Core profile where one exists, follows the access rules, and searches by patient and
date; a person's and a provider's Bundle."""
from datetime import UTC, date, datetime, timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.episodeofcare import EpisodeOfCare
from fhir.resources.R4B.goal import Goal as FhirGoal
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient

from backend.extensions import db
from backend.models import EpisodeOutcome, GoalProgress, GoalStatus, VisitStatus
from backend.services.fhir import codes
from tests.monitoring_helpers import check_in, check_out
from tests.outcome_helpers import episode, goal

MODELS = {"Patient": Patient, "Appointment": Appointment, "Encounter": Encounter,
          "EpisodeOfCare": EpisodeOfCare, "CarePlan": CarePlan, "Goal": FhirGoal,
          "Observation": Observation, "Bundle": Bundle, "OperationOutcome": OperationOutcome,
          "CapabilityStatement": CapabilityStatement}
DAY = datetime(2026, 2, 10, 8, tzinfo=UTC)


def valid(resource: dict) -> dict:
    """The resource, after checking it against the FHIR model of its type."""
    MODELS[resource["resourceType"]].model_validate(resource)
    kind = resource["resourceType"]
    if kind in codes.PROFILES:
        assert resource["meta"]["profile"] == [codes.PROFILES[kind]]
    elif kind == "Goal":
        assert "meta" not in resource or not resource["meta"].get("profile")
    if kind == "Bundle":
        for entry in resource.get("entry", []):
            valid(entry["resource"])
    return resource


@pytest.fixture
def w(make):
    w = make.world()
    w.person.nhs_number = "9434765919"
    w.person.first_name, w.person.last_name = "Edith", "Jones"
    package = make.package(w.person, contract=w.contract,
                           schedule=[(0, "08:00", 30), (0, "12:00", 15)])
    w.done = make.visit(package, start=DAY, minutes=30, workers=[w.worker])
    check_in(w.done, w.worker, DAY + timedelta(minutes=3))
    check_out(w.done, w.worker, DAY + timedelta(minutes=34))
    w.missed = make.visit(package, start=DAY + timedelta(days=1), status=VisitStatus.MISSED,
                          workers=[w.worker])
    w.cancelled = make.visit(package, start=DAY + timedelta(days=20), minutes=15,
                             status=VisitStatus.CANCELLED, cancel_reason="in hospital")
    w.episode = episode(package, start=date(2026, 1, 20), actual_end=date(2026, 2, 28),
                        outcome=EpisodeOutcome.LOW_LEVEL_SUPPORT, barthel_start_total=9,
                        barthel_end_total=15)
    w.goal = goal(w.person, package=package, target=1)
    done = goal(w.person, status=GoalStatus.ACHIEVED,
                closed_at=datetime(2026, 3, 1, tzinfo=UTC))
    first = GoalProgress(goal_id=w.goal.id, visit_id=w.done.id, recorded_by_id=w.worker.id,
                         recorded_at=DAY + timedelta(minutes=30), score=-1)
    db.session.add(first)
    db.session.flush()
    w.fixed = GoalProgress(goal_id=w.goal.id, recorded_by_id=w.manager.id, supersedes_id=first.id,
                           recorded_at=DAY + timedelta(minutes=30), score=0)
    db.session.add(w.fixed)
    w.package2, w.done_goal = package, done
    db.session.commit()
    return w


def get(client, bearer, user, path, status=200):
    response = client.get(f"/fhir/R4/{path}", headers=bearer(user))
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    return valid(response.json)


def test_every_resource_type_reads_and_validates(client, bearer, w):
    m = w.manager
    patient = get(client, bearer, m, f"Patient/{w.person.id}")
    assert patient["identifier"][0] == {"system": codes.NHS_NUMBER, "value": "9434765919"}
    assert patient["name"] == [{"family": "Jones", "given": ["Edith"]}]
    appointment = get(client, bearer, m, f"Appointment/{w.done.id}")
    assert (appointment["status"], appointment["minutesDuration"]) == ("fulfilled", 30)
    assert appointment["start"] == "2026-02-10T08:00:00+00:00"
    assert appointment["participant"][1]["actor"]["display"] == w.worker.display_name
    encounter = get(client, bearer, m, f"Encounter/{w.done.id}")
    assert encounter["period"] == {"start": "2026-02-10T08:03:00+00:00",
                                   "end": "2026-02-10T08:34:00+00:00"}
    assert encounter["length"]["value"] == 31 and encounter["class"]["code"] == "HH"
    assert encounter["appointment"] == [{"reference": f"Appointment/{w.done.id}"}]
    get(client, bearer, m, f"Encounter/{w.missed.id}", 404)  # nobody came: no Encounter
    assert get(client, bearer, m, f"Appointment/{w.missed.id}")["status"] == "noshow"
    cancelled = get(client, bearer, m, f"Appointment/{w.cancelled.id}")
    assert cancelled["cancelationReason"] == {"text": "in hospital"}
    care = get(client, bearer, m, f"EpisodeOfCare/{w.episode.id}")
    assert care["period"] == {"start": "2026-01-20", "end": "2026-02-28"}
    plan = get(client, bearer, m, f"CarePlan/{w.package2.id}")
    assert [a["detail"]["scheduledTiming"]["repeat"]["timeOfDay"] for a in plan["activity"]] \
        == [["08:00:00"], ["12:00:00"]]
    assert plan["goal"] == [{"reference": f"Goal/{w.goal.id}"}]
    assert get(client, bearer, m, f"Goal/{w.goal.id}")["lifecycleStatus"] == "active"
    achieved = get(client, bearer, m, f"Goal/{w.done_goal.id}")
    assert achieved["achievementStatus"]["coding"][0]["code"] == "achieved"
    barthel = get(client, bearer, m, f"Observation/barthel-end-{w.episode.id}")
    assert (barthel["valueInteger"], barthel["code"]["coding"][0]["code"]) == (15, "273302005")
    score = get(client, bearer, m, f"Observation/{w.fixed.id}")
    assert (score["status"], score["valueInteger"]) == ("amended", 0)


def test_search_by_patient_and_date(client, bearer, w):
    c = w.commissioner
    february = get(client, bearer, c,
                   f"Appointment?patient=Patient/{w.person.id}&date=ge2026-02-01&date=le2026-02-28")
    assert {e["resource"]["id"] for e in february["entry"]} == {str(w.done.id), str(w.missed.id)}
    assert february["total"] == 2 and february["type"] == "searchset"
    one_day = get(client, bearer, c, f"Appointment?patient={w.person.id}&date=2026-02-11")
    assert [e["resource"]["id"] for e in one_day["entry"]] == [str(w.missed.id)]
    scores = get(client, bearer, c, f"Observation?patient={w.person.id}")
    ids = {e["resource"]["id"] for e in scores["entry"]}
    assert ids == {f"barthel-start-{w.episode.id}", f"barthel-end-{w.episode.id}",
                   str(w.fixed.id)}  # the superseded score is not the current one
    late = get(client, bearer, c, f"Observation?patient={w.person.id}&date=gt2026-02-10")
    assert {e["resource"]["id"] for e in late["entry"]} == {f"barthel-end-{w.episode.id}"}
    episodes = get(client, bearer, c, f"EpisodeOfCare?patient={w.person.id}&date=2026-02-15")
    assert episodes["total"] == 1
    assert get(client, bearer, c, f"EpisodeOfCare?patient={w.person.id}&date=2026-03-01")[
        "total"] == 0


def test_bundles_for_a_person_and_a_provider(client, bearer, w):
    person = get(client, bearer, w.commissioner, f"Patient/{w.person.id}/$everything")
    kinds = [e["resource"]["resourceType"] for e in person["entry"]]
    assert kinds[0] == "Patient" and {"Appointment", "Encounter", "EpisodeOfCare", "CarePlan",
                                      "Goal", "Observation"} <= set(kinds)
    february = get(client, bearer, w.manager, f"Patient/{w.person.id}/$everything"
                   "?start=2026-02-01&end=2026-02-28")
    assert sum(e["resource"]["resourceType"] == "Appointment" for e in february["entry"]) == 2
    provider = get(client, bearer, w.manager, f"Organization/{w.provider.id}/$everything"
                   "?start=2026-02-01&end=2026-02-28")
    assert provider["type"] == "collection"
    people = {e["resource"]["id"] for e in provider["entry"]
              if e["resource"]["resourceType"] == "Patient"}
    assert str(w.person.id) in people and str(w.other_person.id) not in people
    too_long = get(client, bearer, w.manager, f"Organization/{w.provider.id}/$everything"
                   "?start=2026-01-01&end=2026-12-31", 400)
    assert too_long["resourceType"] == "OperationOutcome"
    get(client, bearer, w.manager, f"Organization/{w.provider.id}/$everything", 400)


def test_access_rules_and_errors(client, bearer, w):
    foreign = w.other_manager
    get(client, bearer, foreign, f"Patient/{w.person.id}", 404)
    get(client, bearer, foreign, f"Appointment/{w.done.id}", 404)
    assert get(client, bearer, foreign, f"Appointment?patient={w.person.id}")["total"] == 0
    get(client, bearer, w.nhs_commissioner, f"Patient/{w.person.id}/$everything", 404)
    get(client, bearer, foreign, f"Organization/{w.provider.id}/$everything"
        "?start=2026-02-01&end=2026-02-28", 404)
    get(client, bearer, w.worker, f"Patient/{w.person.id}", 403)
    anonymous = client.get(f"/fhir/R4/Patient/{w.person.id}")
    assert anonymous.status_code == 401 and valid(anonymous.json)
    bad_date = get(client, bearer, w.manager, "Appointment?date=tomorrow", 400)
    assert bad_date["issue"][1]["expression"] == ["date"]
    get(client, bearer, w.manager, "Appointment?patient=Patient/nobody", 400)
    unbounded = get(client, bearer, w.manager, "Encounter", 400)
    assert unbounded["issue"][1]["expression"] == ["patient"]
    assert get(client, bearer, w.manager, "Patient")["total"] == 1  # only their provider's
    get(client, bearer, w.manager, "Medication/abc", 404)
    get(client, bearer, w.manager, "Appointment/not-a-uuid", 404)
    get(client, bearer, w.manager, "Observation/barthel-middle-x", 404)
    capability = valid(client.get("/fhir/R4/metadata").json)
    assert capability["fhirVersion"] == "4.0.1"
