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
    baseline, *scores = desc.split(">", 1)[1].split(", ")
    assert baseline.startswith("set ") and baseline.endswith(": -1")  # where the goal began
    assert [s.rsplit(": ", 1)[1] for s in scores] == ["0"]  # the corrected entry gives way


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


def test_person_page_shows_visits_contacts_and_an_achieved_goals_history(make, client, auth):
    """Visit history with times, carers and the rulebook's flags; the nominated contact;
    an achieved goal keeps its history, scores in words."""
    from datetime import timedelta

    from backend.models import GoalStatus
    from backend.services.dates import clock
    from tests.monitoring_helpers import check_in, check_out

    w = make.world()
    w.person.contact_name, w.person.contact_email = "Mary Daughter", "mary@example.org"
    start = clock.now().replace(second=0, microsecond=0) - timedelta(days=1)
    late = make.visit(w.package, start=start, minutes=45, workers=[w.worker])
    check_in(late, w.worker, start + timedelta(minutes=52))
    check_out(late, w.worker, start + timedelta(minutes=60))
    done = goal(w.person)
    record_progress(done, w.worker, 2, "Made breakfast alone", visit=late)
    done.status = GoalStatus.ACHIEVED  # achieved after that score
    make.commit()
    auth.login(w.manager.username)
    page = client.get(f"/people/{w.person.id}").get_data(as_text=True)
    assert "Mary Daughter" in page and "mailto:mary@example.org" in page
    history = page.split('id="visit-history"', 1)[1].split("</table>", 1)[0]
    assert start.astimezone(clock.zone()).strftime("%H:%M") in history
    assert "late" in history and "short" in history and w.worker.display_name in history
    assert "much better than expected (+2)" in page and "Made breakfast alone" in page
    assert "achieved" in page
