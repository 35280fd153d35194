"""Goal Attainment Scaling: a goal's current attainment and the person's T-score.

T = 50 + 10 * sum(w_i * x_i) / sqrt((1 - rho) * sum(w_i^2) + rho * (sum w_i)^2), rho = 0.3
(Kiresuk and Sherman). x_i is the goal's attainment on -2..+2 and w_i its weight,
importance x difficulty, each rated 0..3 as in Turner-Stokes' GAS-light: a weight of 0
leaves the goal out. Only GAS-measured goals that are not discontinued count; a goal
with no progress yet counts at its baseline. All goals met as expected (x_i = 0) gives 50.
"""
import math
import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import Goal, GoalMeasure, GoalProgress, GoalStatus

RHO = 0.3
# What each Goal Attainment Scaling score means, in the words a carer and a family use
# (the app's score choices and the person page say these, not bare numbers).
GAS_WORDS = {-2: "much worse than expected", -1: "somewhat worse than expected",
             0: "as expected", 1: "somewhat better than expected",
             2: "much better than expected"}


def score_words(measure: GoalMeasure, score: int | None) -> str:
    """A score in words for a GAS goal ("as expected (0)"); other measures as the number."""
    if score is None:
        return "not scored"
    if measure == GoalMeasure.GAS and score in GAS_WORDS:
        return f"{GAS_WORDS[score]} ({score:+d})" if score else f"{GAS_WORDS[0]} (0)"
    return str(score)


def t_score(goals: Iterable[tuple[int, int]]) -> float | None:
    """T-score of (attainment, weight) pairs; None when no goal carries weight."""
    pairs = [(x, w) for x, w in goals if w > 0]
    sum_w = sum(w for _, w in pairs)
    if not sum_w:
        return None
    sum_wx = sum(w * x for x, w in pairs)
    sum_w2 = sum(w * w for _, w in pairs)
    return 50 + 10 * sum_wx / math.sqrt((1 - RHO) * sum_w2 + RHO * sum_w ** 2)


def weight(goal: Goal) -> int:
    """A goal's GAS weight: importance x difficulty."""
    return goal.importance * goal.difficulty


def latest_scores(as_of: datetime | None = None, goal_ids=None) -> sa.Subquery:
    """Per goal, the latest score not superseded by a correction (recorded before as_of)."""
    entry, correction = GoalProgress, aliased(GoalProgress)
    corrected = sa.exists().where(correction.supersedes_id == entry.id)
    ranked = sa.select(
        entry.goal_id, entry.score,
        sa.func.row_number().over(
            partition_by=entry.goal_id,
            order_by=(entry.recorded_at.desc(), entry.entered_at.desc(), entry.id.desc()))
        .label("rank"),
    ).where(~corrected)
    if as_of is not None:
        ranked = ranked.where(entry.recorded_at < as_of)
    if goal_ids is not None:
        ranked = ranked.where(entry.goal_id.in_(goal_ids))
    ranked = ranked.subquery()
    return sa.select(ranked.c.goal_id, ranked.c.score).where(ranked.c.rank == 1).subquery()


def current_attainments(goal_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Latest non-superseded score of each goal that has one."""
    if not goal_ids:
        return {}
    latest = latest_scores(goal_ids=goal_ids)
    return dict(db.session.execute(sa.select(latest.c.goal_id, latest.c.score)).all())


def person_t_score(goals: list[Goal], attainments: dict[uuid.UUID, int]) -> float | None:
    """A person's T-score from their goals and current attainments."""
    return t_score((attainments.get(g.id, g.baseline), weight(g)) for g in goals
                   if g.measure == GoalMeasure.GAS and g.status != GoalStatus.DISCONTINUED)


def t_score_sql(sum_wx, sum_w2, sum_w):
    """The same formula as t_score(), as a SQL expression over per-person sums.

    SQLite builds without math functions get their sqrt() from dialect.connections.
    """
    denominator = sa.func.sqrt((1 - RHO) * sa.cast(sum_w2, sa.Float)
                               + RHO * sa.cast(sum_w, sa.Float) * sum_w)
    t = 50 + 10 * sa.cast(sum_wx, sa.Float) / denominator
    # Rounded to 6 places so that, e.g., one goal at +1 bands as 60, not 59.9999999.
    return sa.cast(sa.func.round(sa.cast(t, sa.Numeric), 6), sa.Float)
