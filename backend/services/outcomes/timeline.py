"""A person's outcome timeline: goals with their progress series, and episode milestones."""
import sqlalchemy as sa

from backend.extensions import db
from backend.models import GoalProgress, ReablementEpisode, ServiceUser, User
from backend.services.audit import access_log
from backend.services.identity import access
from backend.services.outcomes.gas import person_t_score
from backend.services.outcomes.goals import list_goals


def _milestones(episode: ReablementEpisode) -> list[dict]:
    points = [("started" if not episode.from_hospital else "hospital_discharge",
               episode.start_date), ("planned_end", episode.planned_end),
              ("ended", episode.actual_end), ("follow_up_due", episode.followup_due),
              ("follow_up", episode.followup_checked_on)]
    return [{"kind": kind, "date": day} for kind, day in points if day is not None]


def outcome_timeline(user: User, service_user_id) -> dict:
    """Goals (each with every progress entry, corrections marked) and reablement episodes."""
    person = access.get_visible(user, ServiceUser, service_user_id, "person")
    access_log.record_read(user, "outcome_timeline", person.id, person.id)
    goals = list_goals(user, person.id)
    entries = db.session.scalars(
        sa.select(GoalProgress).where(GoalProgress.goal_id.in_([g.id for g in goals]))
        .order_by(GoalProgress.recorded_at, GoalProgress.entered_at)).all() if goals else []
    corrected = {e.supersedes_id: e.id for e in entries if e.supersedes_id}
    series: dict = {g.id: [] for g in goals}
    for entry in entries:
        entry.superseded_by_id = corrected.get(entry.id)
        series[entry.goal_id].append(entry)
    for goal in goals:
        goal.series = series[goal.id]
    episodes = db.session.scalars(access.scoped(user, ReablementEpisode).where(
        ReablementEpisode.service_user_id == person.id)
        .order_by(ReablementEpisode.start_date)).all()
    for episode in episodes:
        episode.milestones = _milestones(episode)
    attainments = {g.id: g.current_attainment for g in goals if g.current_attainment is not None}
    score = person_t_score(goals, attainments)
    return {"service_user_id": person.id, "goals": goals, "episodes": list(episodes),
            "gas_t_score": round(score, 2) if score is not None else None}
