"""Goals through the API: set by managers, read by the care team, corrections supersede."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import AuditEntry, GoalProgress, GoalStatus
from backend.services.outcomes.goal_progress import record_progress
from tests.outcome_helpers import goal

GOAL = {"description": "I want to walk to the post office on my own",
        "domain": "occupation", "baseline": -1, "importance": 3, "difficulty": 2}


@pytest.fixture
def w(make):
    world = make.world()
    make.commit()
    return world


def post_goal(client, bearer, user, person, **changes):
    return client.post(f"/api/v1/service-users/{person.id}/goals", json={**GOAL, **changes},
                       headers=bearer(user))


def test_manager_sets_a_goal_with_gas_defaults(client, bearer, w):
    response = post_goal(client, bearer, w.manager, w.person, package_id=str(w.package.id))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["measure"] == "gas" and body["target"] == 0 and body["status"] == "active"
    assert body["current_attainment"] is None
    listed = client.get(f"/api/v1/service-users/{w.person.id}/goals", headers=bearer(w.worker))
    assert [g["id"] for g in listed.json] == [body["id"]]


@pytest.mark.parametrize("changes, field", [
    ({"domain": "happiness"}, "domain"),
    ({"measure": "stars"}, "measure"),
    ({"baseline": 3}, "baseline"),
    ({"baseline": 0}, "baseline"),
    ({"target": 1}, "target"),
    ({"measure": "scale_10", "baseline": 4, "target": 11}, "target"),
    ({"measure": "independence", "baseline": 1, "target": 1}, "target"),
    ({"importance": 4}, "importance"),
    ({"difficulty": -1}, "difficulty"),
    ({"description": "   "}, "description"),
    ({"review_date": "2020-01-01"}, "review_date"),
    ({"baseline": "-1"}, "baseline"),
])
def test_bad_goals_are_refused_with_the_field_named(client, bearer, w, changes, field):
    response = post_goal(client, bearer, w.manager, w.person, **changes)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_goal_on_someone_elses_package_is_refused(client, bearer, make, w):
    theirs = make.package(make.service_user(), contract=w.contract)
    make.commit()
    response = post_goal(client, bearer, w.manager, w.person, package_id=str(theirs.id))
    assert response.status_code == 422 and "package_id" in response.json["error"]["fields"]
    response = post_goal(client, bearer, w.manager, w.person,
                         package_id=str(w.other_package.id))
    assert response.status_code == 404


@pytest.mark.parametrize("who, own, foreign", [
    ("manager", 201, 404), ("other_manager", 404, 201), ("admin", 201, 201),
    ("worker", 403, 403), ("commissioner", 403, 403), ("panel", 403, 403),
])
def test_who_may_set_goals(client, bearer, w, who, own, foreign):
    user = getattr(w, who)
    assert post_goal(client, bearer, user, w.person).status_code == own
    assert post_goal(client, bearer, user, w.other_person).status_code == foreign


@pytest.mark.parametrize("who, own, foreign", [
    ("worker", 200, 404), ("other_worker", 200, 404), ("foreign_worker", 404, 200),
    ("manager", 200, 404), ("commissioner", 200, 404), ("nhs_commissioner", 404, 200),
    ("admin", 200, 200), ("panel", 403, 403),
])
def test_who_may_read_goals(client, bearer, w, who, own, foreign):
    goal(w.person)
    goal(w.other_person)
    db.session.commit()
    user = getattr(w, who)
    for person, status in ((w.person, own), (w.other_person, foreign)):
        response = client.get(f"/api/v1/service-users/{person.id}/goals", headers=bearer(user))
        assert response.status_code == status
        if status == 200:
            assert len(response.json) == 1


def test_unknown_person_is_not_found(client, bearer, w):
    response = client.get("/api/v1/service-users/00000000-0000-0000-0000-000000000000/goals",
                          headers=bearer(w.admin))
    assert response.status_code == 404


def test_review_closes_and_discontinuing_needs_a_reason(client, bearer, w):
    g = goal(w.person)
    db.session.commit()
    url = f"/api/v1/goals/{g.id}"
    missing = client.patch(url, json={"status": "discontinued"}, headers=bearer(w.manager))
    assert missing.status_code == 422 and "status_reason" in missing.json["error"]["fields"]
    assert client.patch(url, json={"status": "done"},
                        headers=bearer(w.manager)).status_code == 422
    ok = client.patch(url, json={"status": "discontinued", "status_reason": "Moved to her "
                                 "daughter's"}, headers=bearer(w.manager))
    assert ok.status_code == 200 and ok.json["closed_at"] and ok.json["reviewed_at"]
    reopened = client.patch(url, json={"status": "active"}, headers=bearer(w.manager))
    assert reopened.json["closed_at"] is None and reopened.json["status_reason"] is None
    achieved = client.patch(url, json={"status": "achieved"}, headers=bearer(w.manager))
    assert achieved.json["status"] == "achieved"
    for user, status in ((w.worker, 403), (w.commissioner, 403), (w.other_manager, 404)):
        assert client.patch(url, json={"status": "active"},
                            headers=bearer(user)).status_code == status


def test_progress_on_a_closed_goal_is_refused(make, w):
    g = goal(w.person, status=GoalStatus.ACHIEVED)
    from backend.errors import Invalid
    with pytest.raises(Invalid) as caught:
        record_progress(g, w.worker, 0, visit=w.visit)
    assert "goal_id" in caught.value.fields


def test_progress_for_someone_else_is_refused(w):
    from backend.errors import Invalid
    g = goal(w.other_person)
    with pytest.raises(Invalid) as caught:
        record_progress(g, w.worker, 0, visit=w.visit)
    assert "goal_id" in caught.value.fields
    with pytest.raises(Invalid) as caught:
        record_progress(goal(w.person), w.worker, 5, visit=w.visit)
    assert "score" in caught.value.fields


def test_correction_supersedes_and_never_overwrites(client, bearer, w):
    g = goal(w.person)
    original = record_progress(g, w.worker, -2, visit=w.visit, note="Needed full help",
                               recorded_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    db.session.commit()
    url = f"/api/v1/goals/{g.id}/progress-corrections"
    body = {"supersedes_id": str(original.id), "score": 0, "note": "Mistyped: managed alone"}
    response = client.post(url, json=body, headers=bearer(w.manager))
    assert response.status_code == 201, response.json
    correction = response.json
    assert correction["supersedes_id"] == str(original.id)
    assert correction["recorded_at"].startswith("2026-03-02T09:00")
    assert correction["visit_id"] == str(w.visit.id)
    db.session.expire_all()
    kept = db.session.get(GoalProgress, original.id)
    assert (kept.score, kept.note) == (-2, "Needed full help")
    listed = client.get(f"/api/v1/service-users/{w.person.id}/goals", headers=bearer(w.manager))
    assert listed.json[0]["current_attainment"] == 0
    again = client.post(url, json=body, headers=bearer(w.manager))
    assert again.status_code == 409
    out_of_range = client.post(url, json={**body, "supersedes_id": correction["id"],
                                          "score": 3}, headers=bearer(w.manager))
    assert out_of_range.status_code == 422 and "score" in out_of_range.json["error"]["fields"]
    assert client.post(url, json={**body, "supersedes_id": correction["id"]},
                       headers=bearer(w.worker)).status_code == 403
    other = goal(w.person)
    db.session.commit()
    wrong_goal = client.post(f"/api/v1/goals/{other.id}/progress-corrections",
                             json={**body, "supersedes_id": correction["id"]},
                             headers=bearer(w.manager))
    assert wrong_goal.status_code == 404


def test_timeline_shows_series_with_corrections_marked(client, bearer, w):
    g = goal(w.person, importance=3, difficulty=2)
    first = record_progress(g, w.worker, -1, visit=w.visit,
                            recorded_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    record_progress(g, w.manager, 1, supersedes=first,
                    recorded_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    db.session.commit()
    url = f"/api/v1/service-users/{w.person.id}/outcome-timeline"
    body = client.get(url, headers=bearer(w.worker)).json
    series = body["goals"][0]["series"]
    assert [e["score"] for e in series] == [-1, 1]
    assert series[0]["superseded_by_id"] == series[1]["id"]
    assert body["gas_t_score"] == pytest.approx(60)
    assert client.get(url, headers=bearer(w.foreign_worker)).status_code == 404
    assert client.get(url, headers=bearer(w.panel)).status_code == 403


def test_a_review_by_the_api_scores_and_closes_as_the_page_does(client, bearer, w):
    g = goal(w.person)
    db.session.commit()
    url = f"/api/v1/goals/{g.id}"
    scored = client.patch(url, json={"score": 0, "note": "Walked with a stick",
                                     "status": "achieved", "status_reason": "Walks alone"},
                          headers=bearer(w.manager))
    assert scored.status_code == 200, scored.json
    assert scored.json["current_attainment"] == 0 and scored.json["status"] == "achieved"
    entry = db.session.scalar(sa.select(GoalProgress))
    assert (entry.score, entry.note, entry.visit_id) == (0, "Walked with a stick", None)
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "goal_reviewed"))
    assert audit.user_id == w.manager.id
    assert audit.details["after"] == {"status": "achieved", "status_reason": "Walks alone",
                                      "score": 0}
    closed = client.patch(url, json={"score": 1}, headers=bearer(w.manager))
    assert closed.status_code == 422 and "score" in closed.json["error"]["fields"]
