"""Satisfaction figures per provider and period, summed in SQL, with Wilson intervals.

A provider with fewer responses than the commissioner's minimum is shown as
"too few responses" and is not ranked, so a handful of voices is not taken for a trend.
"""
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import QUESTIONS, Feedback, Organisation, Role, User
from backend.services.dates import clock
from backend.services.identity.access import visible
from backend.services.feedback.providers import providers_for
from backend.services.feedback.settings import settings_for

Z_95 = 1.959963984540054
SATISFIED_FROM = 4  # 4 or 5 of 5 counts as satisfied
MAX_PERIOD_DAYS = 3 * 366


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion, as fractions; None when there is no response."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def verdict(interval: tuple[float, float], baseline_pct: float) -> str:
    """'above' or 'below' the baseline when the whole interval is; else 'inconclusive'."""
    low, high = interval
    baseline = baseline_pct / 100
    if low > baseline:
        return "above"
    if high < baseline:
        return "below"
    return "inconclusive"


@dataclass
class Theme:
    """One question's answers for a provider."""

    question: str
    answered: int
    mean: float | None
    pct_satisfied: float | None


@dataclass
class ProviderSatisfaction:
    """A provider's satisfaction in a period."""

    provider_id: uuid.UUID
    provider_name: str
    responses: int
    satisfied: int
    pct: float | None = None
    low_pct: float | None = None
    high_pct: float | None = None
    verdict: str = "too_few"
    previous_pct: float | None = None
    previous_responses: int = 0
    rank: int | None = None
    themes: list[Theme] = field(default_factory=list)


@dataclass
class SatisfactionReport:
    """Every provider a commissioner funds, ranked where the responses allow."""

    start: date
    end: date
    baseline_pct: float
    min_responses: int
    ranked: list[ProviderSatisfaction]
    too_few: list[ProviderSatisfaction]


def _satisfied(column) -> sa.ColumnElement:
    return sa.func.sum(sa.case((column >= SATISFIED_FROM, 1), else_=0))


def _aggregate(user: User, start: date, end: date) -> dict[uuid.UUID, sa.Row]:
    """One GROUP BY over the feedback the user may see, created in [start, end] local days."""
    start_at, _ = clock.local_day_bounds(start)
    _, end_at = clock.local_day_bounds(end)
    columns = [Feedback.provider_id, sa.func.count().label("responses"),
               _satisfied(Feedback.overall).label("satisfied")]
    for name in QUESTIONS:
        column = getattr(Feedback, name)
        columns += [sa.func.count(column).label(f"{name}_n"),
                    sa.func.avg(column).label(f"{name}_mean"),
                    _satisfied(column).label(f"{name}_sat")]
    query = (sa.select(*columns)
             .where(visible(user, Feedback), Feedback.created_at >= start_at,
                    Feedback.created_at < end_at)
             .group_by(Feedback.provider_id))
    return {row.provider_id: row for row in db.session.execute(query)}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def satisfaction_report(user: User, start: date | None = None, end: date | None = None
                        ) -> SatisfactionReport:
    """Per provider: % satisfied, responses, 95% interval, verdict against baseline, themes."""
    if user.role not in (Role.COMMISSIONER, Role.ADMIN):
        raise Forbidden("Satisfaction figures are for commissioners.")
    end = end or clock.today()
    start = start or end - timedelta(days=182)
    if start > end or (end - start).days > MAX_PERIOD_DAYS:
        raise Invalid("Choose a period of up to three years, starting before it ends.",
                      field="start")
    settings = settings_for(user.organisation_id)
    current = _aggregate(user, start, end)
    length = end - start + timedelta(days=1)
    previous = _aggregate(user, start - length, start - timedelta(days=1))
    providers = providers_for(user) if user.role == Role.COMMISSIONER else list(
        db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(current.keys()))))
    ranked, too_few = [], []
    for provider in providers:
        row = current.get(provider.id)
        item = ProviderSatisfaction(provider.id, provider.name, row.responses if row else 0,
                                    int(row.satisfied or 0) if row else 0)
        before = previous.get(provider.id)
        if before is not None and before.responses >= settings.min_responses:
            item.previous_responses = before.responses
            item.previous_pct = _pct(int(before.satisfied or 0), before.responses)
        if row is not None:
            for name in QUESTIONS:
                answered = getattr(row, f"{name}_n")
                mean = getattr(row, f"{name}_mean")
                item.themes.append(Theme(name, answered,
                                         round(float(mean), 2) if mean is not None else None,
                                         _pct(int(getattr(row, f"{name}_sat") or 0), answered)))
        if item.responses >= settings.min_responses:
            low, high = wilson_interval(item.satisfied, item.responses)
            item.pct = _pct(item.satisfied, item.responses)
            item.low_pct, item.high_pct = round(100 * low, 1), round(100 * high, 1)
            item.verdict = verdict((low, high), settings.baseline_pct)
            ranked.append(item)
        else:
            too_few.append(item)
    ranked.sort(key=lambda i: (-i.satisfied / i.responses, -i.responses, i.provider_name))
    for position, item in enumerate(ranked, start=1):
        item.rank = position
    too_few.sort(key=lambda i: i.provider_name)
    return SatisfactionReport(start, end, settings.baseline_pct, settings.min_responses,
                              ranked, too_few)
