"""Goals and reablement episodes from the person's page: the forms call the outcome
services the API calls, keep what was typed and name the field, obey the access rules,
and every change is audited (who, when, before, after)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from backend.extensions import db
from backend.models import (
    AuditEntry, EpisodeOutcome, Goal, GoalProgress, GoalStatus, OutcomeDomain,
    ReablementEpisode,
)
from backend.services.dates import clock
from backend.services.outcomes.goal_progress import record_progress
from backend.services.outcomes.reablement import BARTHEL_ITEMS

BARTHEL_LOW = {"feeding": 1, "bathing": 0, "grooming": 0, "dressing": 1, "bowels": 2,
               "bladder": 2, "toilet_use": 1, "transfers": 1, "mobility": 1, "stairs": 0}


@pytest.fixture
def world(make):
    world = make.world()
    make.commit()
    return world


def text(response) -> str:
    return response.get_data(as_text=True)


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.at)))


def test_manager_sets_reviews_and_closes_a_goal(client, auth, world):
    auth.login(world.manager.username)
    base = f"/people/{world.person.id}"
    page = text(client.get(base))
    assert 'id="goal-form"' in page and "Set a goal with" in page

    refused = client.post(f"{base}/goals", data={
        "goal-description": "Make my own breakfast", "goal-domain": "food_and_drink",
        "goal-measure": "gas", "goal-baseline": "0", "goal-importance": "2",
        "goal-difficulty": "1"})
    assert refused.status_code == 422
    assert 'id="goal-baseline-error"' in text(refused)
    assert "Make my own breakfast</textarea>" in text(refused)  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Goal)) == 0

    assert client.post(f"{base}/goals", data={
        "goal-description": "Make my own breakfast", "goal-domain": "food_and_drink",
        "goal-measure": "gas", "goal-baseline": "-1", "goal-importance": "2",
        "goal-difficulty": "1", "goal-package_id": str(world.package.id),
        "goal-review_date": str(clock.today() + timedelta(days=28))}).status_code == 302
    goal = db.session.scalar(sa.select(Goal))
    assert (goal.baseline, goal.target, goal.package_id) == (-1, 0, world.package.id)
    [entry] = audit("goal_set")
    assert entry.user_id == world.manager.id and entry.at is not None
    assert entry.details["before"] == {}
    assert entry.details["after"]["description"] == "Make my own breakfast"

    review = f"{base}/goals/{goal.id}/review"
    prefix = f"review-{goal.id.hex}"
    assert client.post(review, data={f"{prefix}-score": "1",
                                     f"{prefix}-note": "Made toast with a prompt"}
                       ).status_code == 302
    [score] = db.session.scalars(sa.select(GoalProgress)).all()
    assert (score.score, score.note, score.recorded_by_id) == (1, "Made toast with a prompt",
                                                               world.manager.id)
    [reviewed] = audit("goal_reviewed")
    assert reviewed.details == {"before": {"score": None}, "after": {"score": 1}}

    # "Not achieved" needs its outcome; the score and the choice are kept.
    refused = client.post(review, data={f"{prefix}-score": "2",
                                        f"{prefix}-status": "discontinued"})
    assert refused.status_code == 422
    assert f'id="{prefix}-status_reason-error"' in text(refused)
    assert f'name="{prefix}-score" type="number" value="2"' in text(refused)
    assert '<option selected value="discontinued">' in text(refused)
    assert '<details class="goal-review" open>' in text(refused)  # opened at the problem
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GoalProgress)) == 1

    assert client.post(review, data={
        f"{prefix}-score": "2", f"{prefix}-status": "achieved",
        f"{prefix}-status_reason": "Makes breakfast alone every day"}).status_code == 302
    db.session.expire_all()
    goal = db.session.get(Goal, goal.id)
    assert goal.status == GoalStatus.ACHIEVED and goal.closed_at is not None
    assert goal.status_reason == "Makes breakfast alone every day"
    closed = audit("goal_reviewed")[-1]
    assert closed.details["before"] == {"status": "active", "status_reason": None,
                                        "score": 1}
    assert closed.details["after"] == {"status": "achieved",
                                       "status_reason": "Makes breakfast alone every day",
                                       "score": 2}
    page = text(client.get(base))
    assert "Makes breakfast alone every day" in page and "achieved on" in page

    # A closed goal takes no score until it is reopened.
    late = client.post(review, data={f"{prefix}-score": "1"})
    assert late.status_code == 422 and f'id="{prefix}-score-error"' in text(late)


def test_manager_corrects_a_score_recorded_in_error(client, auth, world):
    goal = Goal(service_user_id=world.person.id, description="Walk to the shop",
                domain=OutcomeDomain.CONTROL, baseline=-1, target=0,
                created_by_id=world.manager.id)
    db.session.add(goal)
    db.session.flush()
    typed = record_progress(goal, world.worker, -2, note="Needed full help")
    db.session.commit()
    auth.login(world.manager.username)
    base = f"/people/{world.person.id}"
    prefix = f"correct-{goal.id.hex}"
    page = text(client.get(base))
    assert f'id="correct-form-{goal.id.hex}"' in page
    assert f'<option value="{typed.id}">' in page

    url = f"{base}/goals/{goal.id}/corrections"
    refused = client.post(url, data={f"{prefix}-entry_id": str(typed.id), f"{prefix}-score": "5"})
    assert refused.status_code == 422
    assert f'id="{prefix}-score-error"' in text(refused)
    assert '<details class="goal-correct" open>' in text(refused)
    assert client.post(url, data={f"{prefix}-entry_id": str(typed.id)}).status_code == 422
    # 0 is a score (as expected), not a blank.
    assert client.post(url, data={f"{prefix}-entry_id": str(typed.id), f"{prefix}-score": "0",
                                  f"{prefix}-note": "Walked there alone"}).status_code == 302
    db.session.expire_all()
    entries = db.session.scalars(sa.select(GoalProgress).order_by(GoalProgress.entered_at)).all()
    assert len(entries) == 2  # the score recorded stays; the correction supersedes it
    correction = next(e for e in entries if e.supersedes_id == typed.id)
    assert (correction.score, correction.note, correction.recorded_by_id) == (
        0, "Walked there alone", world.manager.id)
    assert correction.recorded_at == db.session.get(GoalProgress, typed.id).recorded_at
    # The corrected score can be corrected no more; the correction can.
    again = client.post(url, data={f"{prefix}-entry_id": str(typed.id), f"{prefix}-score": "1"})
    assert again.status_code == 422
    auth.logout()
    auth.login(world.commissioner.username)
    assert f'id="correct-form-{goal.id.hex}"' not in text(client.get(base))
    assert client.post(url, data={f"{prefix}-entry_id": str(correction.id),
                                  f"{prefix}-score": "1"}).status_code in (403, 404)


def test_manager_starts_and_ends_a_reablement_episode(client, auth, world):
    auth.login(world.manager.username)
    base = f"/people/{world.person.id}"
    start = clock.today() - timedelta(days=20)
    partial = client.post(f"{base}/episodes", data={
        "episode-package_id": str(world.package.id), "episode-start_date": str(start),
        "episode-from_hospital": "y", "episode-weekly_minutes_start": "600",
        "episode-barthel_start_feeding": "1"})
    assert partial.status_code == 422
    assert 'id="episode-barthel_start_bathing-error"' in text(partial)  # the missing item
    assert 'name="episode-weekly_minutes_start" type="number" value="600"' in text(partial)

    data = {"episode-package_id": str(world.package.id), "episode-start_date": str(start),
            "episode-from_hospital": "y", "episode-weekly_minutes_start": "600"}
    data.update({f"episode-barthel_start_{k}": str(v) for k, v in BARTHEL_LOW.items()})
    assert client.post(f"{base}/episodes", data=data).status_code == 302
    episode = db.session.scalar(sa.select(ReablementEpisode))
    assert episode.barthel_start_total == sum(BARTHEL_LOW.values())
    assert episode.weekly_minutes_start == 600
    [started] = audit("reablement_started")
    assert started.user_id == world.manager.id
    assert started.details["after"]["barthel_start_total"] == sum(BARTHEL_LOW.values())

    end = f"{base}/episodes/{episode.id}/end"
    prefix = f"end-{episode.id.hex}"
    future = client.post(end, data={f"{prefix}-actual_end": str(clock.today() + timedelta(1)),
                                    f"{prefix}-outcome": "no_further_support"})
    assert future.status_code == 422 and f'id="{prefix}-actual_end-error"' in text(future)
    ended = {f"{prefix}-actual_end": str(clock.today()), f"{prefix}-outcome":
             "low_level_support", f"{prefix}-weekly_minutes_end": "120"}
    ended.update({f"{prefix}-barthel_end_{k}": str(top) for k, top in BARTHEL_ITEMS.items()})
    assert client.post(end, data=ended).status_code == 302
    db.session.expire_all()
    episode = db.session.get(ReablementEpisode, episode.id)
    assert episode.outcome == EpisodeOutcome.LOW_LEVEL_SUPPORT
    assert (episode.barthel_end_total, episode.weekly_minutes_end) == (20, 120)
    assert episode.followup_due == start + timedelta(days=91)
    [closing] = audit("reablement_ended")
    assert closing.details["before"]["outcome"] is None
    assert closing.details["after"]["outcome"] == "low_level_support"

    page = text(client.get(base))
    assert "Record the 91-day follow-up" in page
    follow = f"{base}/episodes/{episode.id}/follow-up"
    early = client.post(follow, data={f"follow-{episode.id.hex}-result": "at_home"})
    assert early.status_code == 422
    assert f'id="follow-{episode.id.hex}-checked_on-error"' in text(early)


def test_commissioners_read_and_foreign_managers_get_nothing(client, auth, world):
    auth.login(world.commissioner.username)
    page = text(client.get(f"/people/{world.person.id}"))
    assert "goal-form" not in page and "episode-form" not in page
    assert client.post(f"/people/{world.person.id}/goals", data={
        "goal-description": "x", "goal-domain": "safety", "goal-baseline": "-1"}
    ).status_code == 404
    auth.logout()
    g.pop("user", None)
    auth.login(world.other_manager.username)
    assert client.post(f"/people/{world.person.id}/goals", data={
        "goal-description": "Walk to the shop", "goal-domain": "occupation",
        "goal-measure": "gas", "goal-baseline": "-1"}).status_code == 404
    assert client.post(f"/people/{world.person.id}/episodes", data={
        "episode-package_id": str(world.package.id),
        "episode-start_date": str(clock.today())}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Goal)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReablementEpisode)) == 0
