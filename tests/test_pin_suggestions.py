"""Pin correction hints from clustered failed check-ins; a manager accepts or rejects."""
from datetime import timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, PinStatus, PinSuggestion, Role, ServiceUser
from backend.services.dates import clock
from tests.factories import HOME
from tests.mobile_helpers import event_body, north_of_home


def _visits_and_workers(make, count, workers):
    world = make.world()
    team = [world.worker] + [make.user(Role.CARE_WORKER, world.provider)
                             for _ in range(workers - 1)]
    # Half a minute past: never the world's own visit at this minute (same package, and
    # one visit per package per start), which a run at a whole minute used to collide with.
    start = clock.now().replace(second=30, microsecond=0)
    visits = [make.visit(world.package, workers=[team[n % len(team)]],
                         start=start - timedelta(hours=2 * n)) for n in range(count)]
    make.commit()
    return world, visits


def _check_in_near(client, bearer, visit, metres_north, jitter_m=0.0):
    worker = visit.assignments[0].worker
    lat, lon = north_of_home(metres_north + jitter_m)
    response = client.post(f"/api/v1/visits/{visit.id}/check-in", headers=bearer(worker),
                           json=event_body(lat=lat, lon=lon, accuracy_m=15.0))
    assert response.status_code == 201 and response.json["event"]["verified"] is False


def suggestions():
    return list(db.session.scalars(sa.select(PinSuggestion)))


def test_cluster_by_two_workers_over_three_visits_suggests_a_pin(client, bearer, make):
    world, visits = _visits_and_workers(make, 4, workers=2)
    for n, visit in enumerate(visits[:2]):
        _check_in_near(client, bearer, visit, 400, jitter_m=10 * n)
    assert suggestions() == []  # two visits are not yet a pattern
    _check_in_near(client, bearer, visits[2], 400, jitter_m=-8)
    [suggestion] = suggestions()
    assert suggestion.status == PinStatus.SUGGESTED
    assert suggestion.evidence_events == 3 and suggestion.evidence_workers == 2
    assert abs(suggestion.lat - north_of_home(400)[0]) < 0.0002
    _check_in_near(client, bearer, visits[3], 400)
    assert len(suggestions()) == 1  # no duplicate open suggestion
    person = db.session.get(ServiceUser, world.person.id)
    assert (person.home_lat, person.home_lon) == HOME  # never moved automatically


def test_one_worker_alone_is_not_enough(client, bearer, make):
    _, visits = _visits_and_workers(make, 3, workers=1)
    for visit in visits:
        _check_in_near(client, bearer, visit, 400)
    assert suggestions() == []


def test_scattered_failures_suggest_nothing(client, bearer, make):
    _, visits = _visits_and_workers(make, 3, workers=3)
    for visit, metres in zip(visits, (300, 600, 900), strict=True):
        _check_in_near(client, bearer, visit, metres)
    assert suggestions() == []


def test_manager_accepts_and_the_pin_moves_with_an_audit_entry(client, bearer, make):
    world, visits = _visits_and_workers(make, 3, workers=2)
    for visit in visits:
        _check_in_near(client, bearer, visit, 400)
    [suggestion] = suggestions()
    response = client.post(f"/api/v1/pin-suggestions/{suggestion.id}/accept",
                           headers=bearer(world.manager))
    assert response.status_code == 200 and response.json["status"] == "accepted"
    db.session.expire_all()
    person = db.session.get(ServiceUser, world.person.id)
    assert (person.home_lat, person.home_lon) == (suggestion.lat, suggestion.lon)
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "pin_moved"))
    assert audit.details["from"] == list(HOME) and audit.user_id == world.manager.id
    again = client.post(f"/api/v1/pin-suggestions/{suggestion.id}/reject",
                        headers=bearer(world.manager))
    assert again.status_code == 409


def test_rejected_spot_is_not_suggested_again(client, bearer, make):
    world, visits = _visits_and_workers(make, 4, workers=2)
    for visit in visits[:3]:
        _check_in_near(client, bearer, visit, 400)
    [suggestion] = suggestions()
    response = client.post(f"/api/v1/pin-suggestions/{suggestion.id}/reject",
                           headers=bearer(world.manager))
    assert response.status_code == 200 and response.json["status"] == "rejected"
    _check_in_near(client, bearer, visits[3], 400)
    db.session.expire_all()
    assert [s.status for s in suggestions()] == [PinStatus.REJECTED]
    person = db.session.get(ServiceUser, world.person.id)
    assert (person.home_lat, person.home_lon) == HOME
