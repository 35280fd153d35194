"""The people page: goals with progress charts, episodes, and deciding a pin suggestion."""
from backend.extensions import db
from backend.models import PinStatus, PinSuggestion, ServiceUser
from backend.services.outcomes.goal_progress import record_progress
from tests.outcome_helpers import episode, goal


def test_person_page_shows_goals_progress_and_episode(make, client, auth):
    w = make.world()
    aim = goal(w.person)
    first = record_progress(aim, w.worker, -1, "Walked to the kitchen", visit=w.visit)
    record_progress(aim, w.manager, 0, "Scored wrongly at the visit", supersedes=first)
    episode(w.package)
    make.commit()
    auth.login(w.manager.username)
    page = client.get(f"/people/{w.person.id}").get_data(as_text=True)
    assert aim.description in page and "<svg" in page and "Reablement" in page
    desc = page.split("<desc", 1)[1].split("</desc>", 1)[0]
    assert ": 0" in desc and ": -1" not in desc  # the corrected entry gives way


def test_manager_accepts_pin_suggestion(make, client, auth):
    w = make.world()
    suggestion = PinSuggestion(service_user_id=w.person.id, lat=52.2411, lon=-0.9030,
                               evidence_events=4, evidence_workers=2)
    db.session.add(suggestion)
    make.commit()
    auth.login(w.manager.username)
    response = client.post(f"/pin-suggestions/{suggestion.id}/accept", follow_redirects=True)
    assert "Home pin moved." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PinSuggestion, suggestion.id).status == PinStatus.ACCEPTED
    assert db.session.get(ServiceUser, w.person.id).home_lat == 52.2411


def test_other_providers_person_is_not_found(make, client, auth):
    w = make.world()
    make.commit()
    auth.login(w.manager.username)
    assert client.get(f"/people/{w.other_person.id}").status_code == 404
