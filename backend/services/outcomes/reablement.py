"""Reablement episodes: start, discharge with Barthel and hours, and the 91-day follow-up.

Which date the 91 days run from: ASCOF 2B asks whether a person is still at home 91
days after discharge from HOSPITAL, so for an episode that started at a hospital
discharge (from_hospital) the follow-up falls on start_date + 91 days (never before
the reablement ends); for any other episode it falls 91 days after the reablement
ended. The follow-up is scheduled when the reablement ends (discharge).
"""
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.errors import Conflict, Invalid
from backend.extensions import db
from backend.models import (
    CarePackage,
    EpisodeOutcome,
    FollowUpResult,
    ReablementEpisode,
    ServiceUser,
    User,
)
from backend.services.audit import trail
from backend.services.database import transactions
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference import validation

DEFAULT_LENGTH = timedelta(weeks=6)
FOLLOW_UP_AFTER = timedelta(days=91)
MAX_WEEKLY_MINUTES = 7 * 24 * 60

# Barthel index (Collin and Wade's 0-20 version): the most each item scores.
BARTHEL_ITEMS = {
    "feeding": 2, "bathing": 1, "grooming": 1, "dressing": 2, "bowels": 2,
    "bladder": 2, "toilet_use": 2, "transfers": 3, "mobility": 3, "stairs": 2,
}
STARTED_FIELDS = ("service_user_id", "package_id", "start_date", "from_hospital",
                  "planned_end", "barthel_start", "barthel_start_total",
                  "weekly_minutes_start")
ENDED_FIELDS = ("actual_end", "outcome", "barthel_end", "barthel_end_total",
                "weekly_minutes_end", "followup_due", "followup_result")
FOLLOWUP_FIELDS = ("followup_result", "followup_checked_on")
EARLY_ENDS = {EpisodeOutcome.DIED, EpisodeOutcome.HOSPITAL, EpisodeOutcome.DECLINED}


def barthel(items, field: str) -> tuple[dict, int]:
    """Validated Barthel items and their total; each bad item is named (field.item)."""
    if not isinstance(items, dict):
        raise Invalid("The Barthel index is the ten items with their scores.", field=field)
    errors = {}
    for name in items.keys() - BARTHEL_ITEMS.keys():
        errors[f"{field}.{name}"] = ["Not a Barthel item."]
    for name, top in BARTHEL_ITEMS.items():
        value = items.get(name)
        if value is None:
            errors[f"{field}.{name}"] = ["Missing."]
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            errors[f"{field}.{name}"] = [f"Scores 0 to {top}."]
    if errors:
        raise Invalid("Some Barthel items are not valid.", fields=errors)
    clean = {name: items[name] for name in BARTHEL_ITEMS}
    return clean, sum(clean.values())


def age_on(born: date | None, day: date) -> int | None:
    """Whole years of age on a day."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def followup_due(episode: ReablementEpisode) -> date:
    """When the 91-day follow-up falls (see the module docstring for which date)."""
    if episode.from_hospital:
        return max(episode.start_date + FOLLOW_UP_AFTER, episode.actual_end)
    return episode.actual_end + FOLLOW_UP_AFTER


def _minutes(value, field: str) -> int | None:
    if value is None:
        return None
    return validation.in_range(value, 0, MAX_WEEKLY_MINUTES, field, "weekly minutes")


def start_episode(user: User, service_user_id, package_id, start_date: date,
                  from_hospital: bool = True, planned_end: date | None = None,
                  barthel_start=None, weekly_minutes_start=None,
                  now: datetime | None = None) -> ReablementEpisode:
    """Start an episode under the provider's package (often on hospital discharge)."""
    now = now or clock.now()
    person = access.get_changeable(user, ServiceUser, service_user_id, "person")
    package = access.get_changeable(user, CarePackage, package_id, "package")
    if package.service_user_id != person.id:
        raise Invalid("That package is someone else's.", field="package_id")
    if start_date > now.astimezone(clock.zone()).date():
        raise Invalid("An episode cannot start in the future.", field="start_date")
    planned_end = planned_end or start_date + DEFAULT_LENGTH
    if planned_end < start_date:
        raise Invalid("The planned end is before the start.", field="planned_end")
    open_episode = db.session.scalar(sa.select(ReablementEpisode.id).where(
        ReablementEpisode.service_user_id == person.id, ReablementEpisode.actual_end.is_(None)))
    if open_episode is not None:
        raise Conflict("This person already has a reablement episode in progress.",
                       fields={"service_user_id": [str(open_episode)]})
    items, total = barthel(barthel_start, "barthel_start") if barthel_start is not None \
        else (None, None)
    episode = ReablementEpisode(
        service_user_id=person.id, package_id=package.id, start_date=start_date,
        from_hospital=bool(from_hospital), planned_end=planned_end, barthel_start=items,
        barthel_start_total=total,
        weekly_minutes_start=_minutes(weekly_minutes_start, "weekly_minutes_start"),
        age_at_start=age_on(person.date_of_birth, start_date), created_by_id=user.id,
        created_at=now)
    try:
        with transactions.savepoint():  # a second start racing this one loses here
            db.session.add(episode)
    except IntegrityError:
        raise Conflict("This person already has a reablement episode in progress.") from None
    trail.record_change(user, "reablement_started", episode, {},
                        {name: getattr(episode, name) for name in STARTED_FIELDS})
    return episode


def discharge(user: User, episode_id, actual_end: date, outcome, barthel_end=None,
              weekly_minutes_end=None, now: datetime | None = None) -> ReablementEpisode:
    """End an episode with its outcome, Barthel and hours; schedules the 91-day follow-up."""
    now = now or clock.now()
    episode = access.get_changeable(user, ReablementEpisode, episode_id, "episode")
    if episode.actual_end is not None:
        raise Conflict("This episode has already ended.")
    if actual_end < episode.start_date:
        raise Invalid("The end is before the episode's start.", field="actual_end")
    if actual_end > now.astimezone(clock.zone()).date():
        raise Invalid("An episode cannot end in the future.", field="actual_end")
    outcome = validation.choice(EpisodeOutcome, outcome, "outcome")
    before = {name: getattr(episode, name) for name in ENDED_FIELDS}
    if barthel_end is not None:
        episode.barthel_end, episode.barthel_end_total = barthel(barthel_end, "barthel_end")
    episode.weekly_minutes_end = _minutes(weekly_minutes_end, "weekly_minutes_end")
    episode.actual_end, episode.outcome = actual_end, outcome
    episode.followup_due = followup_due(episode)
    if outcome == EpisodeOutcome.DIED:
        # Nobody to follow up: ASCOF 2B counts the death (not at home at 91 days).
        episode.followup_result, episode.followup_checked_on = FollowUpResult.DIED, actual_end
        episode.followup_recorded_at, episode.followup_recorded_by_id = now, user.id
    db.session.flush()
    trail.record_change(user, "reablement_ended", episode, before,
                        {name: getattr(episode, name) for name in ENDED_FIELDS})
    return episode


def record_followup(user: User, episode_id, result, checked_on: date | None = None,
                    now: datetime | None = None) -> ReablementEpisode:
    """Record where the person is at the 91-day follow-up (not before it is due)."""
    now = now or clock.now()
    today = now.astimezone(clock.zone()).date()
    episode = access.get_changeable(user, ReablementEpisode, episode_id, "episode")
    if episode.followup_due is None:
        raise Conflict("The episode has not ended; the follow-up is scheduled at discharge.")
    if episode.followup_result is not None:
        raise Conflict("The follow-up result is already recorded.")
    result = validation.choice(FollowUpResult, result, "result")
    checked_on = checked_on or today
    if checked_on > today:
        raise Invalid("A follow-up cannot be dated in the future.", field="checked_on")
    if checked_on < episode.followup_due:
        raise Invalid(f"The 91-day follow-up is due on {episode.followup_due.isoformat()}; "
                      "a result cannot be recorded before then.", field="checked_on")
    before = {name: getattr(episode, name) for name in FOLLOWUP_FIELDS}
    episode.followup_result, episode.followup_checked_on = result, checked_on
    episode.followup_recorded_at, episode.followup_recorded_by_id = now, user.id
    db.session.flush()
    trail.record_change(user, "reablement_followed_up", episode, before,
                        {name: getattr(episode, name) for name in FOLLOWUP_FIELDS})
    return episode
