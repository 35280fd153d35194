"""Reablement episodes: Barthel validation, discharge, the 91-day follow-up and its reminder."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Notification, ReablementEpisode, Role
from backend.services.dates import clock
from backend.services.outcomes.followups import remind_due_followups
from tests.outcome_helpers import FULL, barthel, episode


@pytest.fixture
def w(make):
    world = make.world()
    make.commit()
    return world


def start(client, bearer, w, user=None, person=None, **changes):
    person = person or w.person
    body = {"package_id": str(w.package.id), "start_date": "2026-08-03",
            "barthel_start": barthel(9), "weekly_minutes_start": 840, **changes}
    return client.post(f"/api/v1/service-users/{person.id}/episodes", json=body,
                       headers=bearer(user or w.manager))


def test_start_defaults_to_six_weeks_and_records_age(client, bearer, w):
    response = start(client, bearer, w)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["planned_end"] == "2026-09-14"
    assert body["barthel_start_total"] == 11
    assert body["age_at_start"] == 86  # born 17 May 1940
    assert body["followup_due"] is None
    assert start(client, bearer, w).status_code == 409  # one episode in progress at a time


@pytest.mark.parametrize("item, value", [
    ("feeding", 3), ("bathing", 2), ("grooming", -1), ("dressing", 3), ("bowels", 3),
    ("bladder", 3), ("toilet_use", 3), ("transfers", 4), ("mobility", 4), ("stairs", 3),
    ("transfers", "2"), ("stairs", None),
])
def test_each_barthel_item_is_checked_and_named(client, bearer, w, item, value):
    items = {**FULL, item: value}
    response = start(client, bearer, w, barthel_start=items)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [f"barthel_start.{item}"]


def test_unknown_and_missing_barthel_items_are_named(client, bearer, w):
    items = {**FULL, "cooking": 1}
    del items["stairs"]
    fields = start(client, bearer, w, barthel_start=items).json["error"]["fields"]
    assert set(fields) == {"barthel_start.cooking", "barthel_start.stairs"}


@pytest.mark.parametrize("changes, field", [
    ({"planned_end": "2026-08-01"}, "planned_end"),
    ({"weekly_minutes_start": -5}, "weekly_minutes_start"),
    ({"start_date": "2099-01-01"}, "start_date"),
    ({"start_date": "not a date"}, "start_date"),
])
def test_bad_episode_input(client, bearer, w, changes, field):
    response = start(client, bearer, w, **changes)
    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_who_may_start_an_episode(client, bearer, make, w):
    assert start(client, bearer, w, user=w.worker).status_code == 403
    assert start(client, bearer, w, user=w.commissioner).status_code == 403
    assert start(client, bearer, w, user=w.other_manager).status_code == 404
    theirs = make.package(make.service_user(), contract=w.contract)
    make.commit()
    refused = start(client, bearer, w, package_id=str(theirs.id))
    assert refused.status_code == 422 and "package_id" in refused.json["error"]["fields"]


def discharge(client, bearer, w, episode_id, user=None, **changes):
    body = {"actual_end": "2026-09-11", "outcome": "no_further_support",
            "barthel_end": barthel(2), "weekly_minutes_end": 0, **changes}
    return client.post(f"/api/v1/episodes/{episode_id}/discharge", json=body,
                       headers=bearer(user or w.manager))


def test_discharge_schedules_follow_up_91_days_after_hospital_discharge(client, bearer, w):
    episode_id = start(client, bearer, w).json["id"]
    early = discharge(client, bearer, w, episode_id, actual_end="2026-08-02")
    assert early.status_code == 422 and "actual_end" in early.json["error"]["fields"]
    bad = discharge(client, bearer, w, episode_id, barthel_end={**FULL, "mobility": 9})
    assert "barthel_end.mobility" in bad.json["error"]["fields"]
    assert discharge(client, bearer, w, episode_id, outcome="cured").status_code == 422
    assert discharge(client, bearer, w, episode_id, user=w.worker).status_code == 403
    assert discharge(client, bearer, w, episode_id, user=w.other_manager).status_code == 404
    done = discharge(client, bearer, w, episode_id)
    assert done.status_code == 200, done.json
    assert done.json["barthel_end_total"] == 18
    # Hospital discharge 3 Aug + 91 days = 2 Nov (ASCOF 2B), not reablement end + 91.
    assert done.json["followup_due"] == "2026-11-02"
    assert discharge(client, bearer, w, episode_id).status_code == 409


def test_follow_up_for_an_episode_not_from_hospital_runs_from_its_end(client, bearer, w):
    episode_id = start(client, bearer, w, from_hospital=False).json["id"]
    assert discharge(client, bearer, w, episode_id).json["followup_due"] == "2026-12-11"


def test_death_during_reablement_is_its_follow_up_result(client, bearer, w):
    episode_id = start(client, bearer, w).json["id"]
    body = discharge(client, bearer, w, episode_id, outcome="died", barthel_end=None,
                     weekly_minutes_end=None).json
    assert body["followup_result"] == "died" and body["followup_checked_on"] == "2026-09-11"


def test_follow_up_cannot_be_recorded_before_day_91(client, bearer, make, w):
    ep = episode(w.package, start=clock.today() - timedelta(days=60),
                 actual_end=clock.today() - timedelta(days=20))
    ep.followup_due = ep.start_date + timedelta(days=91)
    db.session.commit()
    url = f"/api/v1/episodes/{ep.id}/follow-up"
    day_90 = (ep.start_date + timedelta(days=90)).isoformat()
    response = client.post(url, json={"result": "at_home", "checked_on": day_90},
                           headers=bearer(w.manager))
    assert response.status_code == 422 and "checked_on" in response.json["error"]["fields"]
    today = client.post(url, json={"result": "at_home"}, headers=bearer(w.manager))
    assert today.status_code == 422 and "checked_on" in today.json["error"]["fields"]
    # On day 91 it is accepted.
    ep.followup_due = clock.today()
    db.session.commit()
    assert client.post(url, json={"result": "nowhere"},
                       headers=bearer(w.manager)).status_code == 422
    assert client.post(url, json={"result": "at_home"},
                       headers=bearer(w.commissioner)).status_code == 403
    ok = client.post(url, json={"result": "at_home"}, headers=bearer(w.manager))
    assert ok.status_code == 200 and ok.json["followup_result"] == "at_home"
    assert client.post(url, json={"result": "died"},
                       headers=bearer(w.manager)).status_code == 409


def test_follow_up_of_an_open_episode_conflicts(client, bearer, w):
    episode_id = start(client, bearer, w).json["id"]
    response = client.post(f"/api/v1/episodes/{episode_id}/follow-up",
                           json={"result": "at_home"}, headers=bearer(w.manager))
    assert response.status_code == 409


def test_reminders_go_to_the_providers_managers_once(make, w):
    second_manager = make.user(Role.PROVIDER_MANAGER, w.provider)
    make.user(Role.PROVIDER_MANAGER, w.provider, active=False)
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    due = episode(w.package, start=date(2026, 8, 3), actual_end=date(2026, 9, 11),
                  followup_due=date(2026, 11, 2))
    not_yet = episode(w.other_package, start=date(2026, 8, 4), actual_end=date(2026, 9, 11),
                      followup_due=date(2026, 11, 3))
    recorded = episode(make.package(make.service_user(), contract=w.contract),
                       start=date(2026, 7, 1), actual_end=date(2026, 8, 1),
                       followup_due=date(2026, 9, 30), followup_result="at_home")
    assert remind_due_followups(now) == 2
    rows = db.session.scalars(sa.select(Notification)).all()
    assert {r.recipient_user_id for r in rows} == {w.manager.id, second_manager.id}
    assert all(str(due.id) in r.dedupe_key and r.channel == "inbox" for r in rows)
    assert due.followup_reminded_at == now
    assert not_yet.followup_reminded_at is None and recorded.followup_reminded_at is None
    assert remind_due_followups(now) == 0  # idempotent
    assert remind_due_followups(now + timedelta(days=1)) == 1  # the next day's is due
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3
    assert db.session.get(ReablementEpisode, not_yet.id).followup_reminded_at is not None


def test_database_allows_one_open_episode_per_person(w):
    from sqlalchemy.exc import IntegrityError
    episode(w.package, start=date(2026, 8, 3), actual_end=date(2026, 9, 1))
    episode(w.package, start=date(2026, 9, 2))
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            episode(w.package, start=date(2026, 9, 3))
