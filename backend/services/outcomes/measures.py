"""Outcome measures for a period and a provider or funder, as commissioners report them.

Every figure is {numerator, denominator, value}; all counting runs in SQL (GROUP BY
and conditional sums), scoped by the access rules on packages (a commissioner: what
their organisation funds; a manager: their own provider; admin: all).

The ASCOF measures (2A, 2D, 2E, and the earlier 91-day 2B) are defined in ascof.py.
"""
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.models import (
    CarePackage,
    Contract,
    Goal,
    GoalMeasure,
    GoalStatus,
    Organisation,
    OrganisationKind,
    ReablementEpisode,
    User,
)
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.outcomes import ascof
from backend.services.outcomes.ascof import count_if, figure
from backend.services.outcomes.gas import latest_scores, t_score_sql
from backend.services.reference import funding

T_SCORE_BANDS = [(None, 30), (30, 40), (40, 50), (50, 60), (60, 70), (70, None)]
CLOSED = [GoalStatus.ACHIEVED, GoalStatus.PARTLY_ACHIEVED, GoalStatus.DISCONTINUED]


# Figures about fewer people than this are held back on the pages as "too few": a share
# of 2 people says little and may tell who they are (the usual small-number rule).
SMALL_NUMBER = 5


def too_few(measure: dict) -> bool:
    """Whether a figure counts fewer than SMALL_NUMBER people (or episodes) to show."""
    return (measure.get("denominator") or 0) < SMALL_NUMBER


def package_scope(user: User, provider_id=None, funder_id=None) -> sa.ColumnElement[bool]:
    """WHERE clause on CarePackage: what the user may see, narrowed to a provider/funder."""
    clause = access.visible(user, CarePackage)
    for org_id, kinds, field in (
            (provider_id, {OrganisationKind.PROVIDER}, "provider_id"),
            (funder_id, {OrganisationKind.COUNCIL, OrganisationKind.NHS}, "funder_id")):
        if org_id is None:
            continue
        org = _filter_organisation(user, org_id, field)
        if org.kind not in kinds:
            raise Invalid(f"That organisation is not a {field.split('_')[0]}.", field=field)
        # A person counts whole for each funder of their package (funding.py).
        clause = sa.and_(clause, funding.funded_by(org.id) if field == "funder_id"
                         else CarePackage.provider_id == org.id)
    return clause


def _filter_organisation(user: User, org_id, field: str) -> Organisation:
    """An organisation the user may see, or one on the other side of their contracts."""
    partners = sa.select(getattr(Contract, field)).where(access.visible(user, Contract))
    org = db.session.scalar(sa.select(Organisation).where(
        Organisation.id == org_id,
        sa.or_(access.visible(user, Organisation), Organisation.id.in_(partners))))
    if org is None:
        raise NotFound("No organisation with that id.")
    return org


def _episodes(scope) -> sa.Select:
    return sa.select().select_from(ReablementEpisode).join(
        CarePackage, CarePackage.id == ReablementEpisode.package_id).where(scope)


def _ended(scope, start: date, end: date) -> sa.Select:
    e = ReablementEpisode
    return _episodes(scope).where(e.actual_end >= start, e.actual_end <= end)


def episode_changes(scope, start: date, end: date) -> dict:
    """Mean Barthel gain and mean reduction in weekly hours, over episodes ended in the period."""
    e = ReablementEpisode
    has_barthel = sa.and_(e.barthel_start_total.is_not(None), e.barthel_end_total.is_not(None))
    has_hours = sa.and_(e.weekly_minutes_start.is_not(None), e.weekly_minutes_end.is_not(None))
    row = db.session.execute(_ended(scope, start, end).add_columns(
        sa.func.sum(sa.case((has_barthel, e.barthel_end_total - e.barthel_start_total))),
        count_if(has_barthel),
        sa.func.sum(sa.case((has_hours, e.weekly_minutes_start - e.weekly_minutes_end))),
        count_if(has_hours))).one()
    hours = figure(row[2], row[3], 2)
    hours["value"] = round(hours["value"] / 60, 2) if hours["value"] is not None else None
    hours["unit"] = "hours a week (numerator and denominator in minutes and episodes)"
    return {"barthel_gain": figure(row[0], row[1], 2), "weekly_hours_reduction": hours}


def _goal_scope(scope) -> sa.ColumnElement[bool]:
    """Goals tied to a package in scope, or untied goals of a person with one."""
    packages = sa.select(CarePackage.id).where(scope)
    people = sa.select(CarePackage.service_user_id).where(scope)
    return sa.or_(Goal.package_id.in_(packages),
                  sa.and_(Goal.package_id.is_(None), Goal.service_user_id.in_(people)))


def goals_achieved(scope, start_at: datetime, end_at: datetime) -> dict:
    """Of goals closed in the period: the share achieved (and partly achieved)."""
    counts = dict(db.session.execute(
        sa.select(Goal.status, sa.func.count()).where(
            _goal_scope(scope), Goal.closed_at >= start_at, Goal.closed_at < end_at,
            Goal.status.in_(CLOSED)).group_by(Goal.status)).all())
    closed = sum(counts.values())
    return {**figure(counts.get(GoalStatus.ACHIEVED, 0), closed),
            "partly_achieved": figure(counts.get(GoalStatus.PARTLY_ACHIEVED, 0), closed),
            "discontinued": figure(counts.get(GoalStatus.DISCONTINUED, 0), closed)}


def gas_distribution(scope, start_at: datetime, end_at: datetime) -> dict:
    """People's GAS T-scores at the period's end: mean and count per band."""
    latest = latest_scores(as_of=end_at)
    x = sa.func.coalesce(latest.c.score, Goal.baseline)
    w = Goal.importance * Goal.difficulty
    per_person = sa.select(
        Goal.service_user_id, sa.func.sum(w * x).label("wx"), sa.func.sum(w * w).label("w2"),
        sa.func.sum(w).label("w")).select_from(Goal).outerjoin(
        latest, latest.c.goal_id == Goal.id).where(
        _goal_scope(scope), Goal.measure == GoalMeasure.GAS,
        Goal.status != GoalStatus.DISCONTINUED, w > 0, Goal.created_at < end_at,
        sa.or_(Goal.closed_at.is_(None), Goal.closed_at >= start_at),
    ).group_by(Goal.service_user_id).subquery()
    t = sa.select(t_score_sql(per_person.c.wx, per_person.c.w2, per_person.c.w).label("t")) \
        .subquery()
    bands = []
    for low, high in T_SCORE_BANDS:
        cond = sa.and_(*([t.c.t >= low] if low is not None else []),
                       *([t.c.t < high] if high is not None else []))
        bands.append(count_if(cond))
    row = db.session.execute(sa.select(sa.func.count(), sa.func.sum(t.c.t), *bands)).one()
    people = row[0]
    return {"mean": figure(round(row[1], 2) if row[1] is not None else 0, people, 2),
            "bands": [{"band": _band_label(low, high), **figure(n, people)}
                      for (low, high), n in zip(T_SCORE_BANDS, row[2:], strict=True)]}


def _band_label(low, high) -> str:
    if low is None:
        return f"under {high}"
    return f"{low} and over" if high is None else f"{low} to under {high}"


def outcome_measures(user: User, start: date | None = None, end: date | None = None,
                     provider_id=None, funder_id=None, today: date | None = None) -> dict:
    """Every outcome measure for a period (inclusive local dates) and a provider or funder.

    `today` decides which 12-week follow-ups of ASCOF 2D are over (default: the clock)."""
    default_start, default_end = default_period()
    end = end or default_end
    start = start or min(default_start, end)
    if end < start:
        raise Invalid("The period ends before it starts.", field="to")
    scope = package_scope(user, provider_id, funder_id)
    start_at, _ = clock.local_day_bounds(start)
    _, end_at = clock.local_day_bounds(end)
    return {
        "period": {"from": start, "to": end},
        "scope": {"provider_id": provider_id, "funder_id": funder_id},
        "ascof_2a": ascof.ascof_2a(scope, start, end),
        "ascof_2d": ascof.ascof_2d(scope, start, end, today or clock.today()),
        "ascof_2e": ascof.ascof_2e(scope, start, end),
        "ascof_2b_91_days": ascof.ascof_2b_91_days(scope, start, end),
        **episode_changes(scope, start, end),
        "goals_achieved": goals_achieved(scope, start_at, end_at),
        "gas_t_score": gas_distribution(scope, start_at, end_at),
    }


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months up to today."""
    today = today or clock.today()
    return today - timedelta(days=364), today
