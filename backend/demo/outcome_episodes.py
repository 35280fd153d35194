"""Demo reablement episodes, built from the reablement packages already in the database."""
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CarePackage, PackageType, ReablementEpisode, ServiceUser
from backend.services.outcomes.reablement import BARTHEL_ITEMS, age_on

# Shares seen in national returns, roughly: most people leave reablement needing less.
OUTCOMES = [("no_further_support", 40), ("low_level_support", 15), ("other_short_term", 5),
            ("long_term_support", 25), ("residential_or_nursing", 4), ("hospital", 6),
            ("died", 2), ("declined", 3)]
EARLIER = [("no_further_support", 60), ("low_level_support", 25), ("other_short_term", 10),
           ("declined", 5)]
FOLLOW_UPS = [("at_home", 80), ("in_hospital", 6), ("care_home", 6), ("died", 4),
              ("not_contactable", 4)]
REMAINING_HOURS = {"no_further_support": 0.0, "low_level_support": 0.25,
                   "other_short_term": 0.5, "long_term_support": 0.7,
                   "residential_or_nursing": 0.0}


def _pick(rng: random.Random, table) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _barthel(rng: random.Random, total: int) -> dict:
    """Items adding up to `total`, each inside its range."""
    items = dict.fromkeys(BARTHEL_ITEMS, 0)
    names = list(BARTHEL_ITEMS)
    for _ in range(total):
        name = rng.choice([n for n in names if items[n] < BARTHEL_ITEMS[n]])
        items[name] += 1
    return items


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _episode(rng, today, package, born, start, end, outcome=None) -> dict:
    """One episode row; ended when `end` is given, with its follow-up if it is due."""
    from_hospital = rng.random() < 0.85
    first = rng.randint(5, 14)
    row = dict(id=uuid.uuid4(), service_user_id=package.service_user_id, package_id=package.id,
               start_date=start, from_hospital=from_hospital,
               planned_end=start + timedelta(weeks=6), age_at_start=age_on(born, start),
               barthel_start=_barthel(rng, first), barthel_start_total=first,
               weekly_minutes_start=package.weekly_minutes, created_at=_noon(start),
               actual_end=None, outcome=None, barthel_end=None, barthel_end_total=None,
               weekly_minutes_end=None, followup_due=None, followup_result=None,
               followup_checked_on=None, followup_recorded_at=None)
    if end is None or end > today:
        return row
    outcome = outcome or _pick(rng, OUTCOMES)
    row.update(actual_end=end, outcome=outcome)
    if outcome in REMAINING_HOURS:
        last = min(20, first + rng.randint(0, 8))
        row.update(barthel_end=_barthel(rng, last), barthel_end_total=last,
                   weekly_minutes_end=int(package.weekly_minutes * REMAINING_HOURS[outcome]))
    due = max(start + timedelta(days=91), end) if from_hospital else end + timedelta(days=91)
    row["followup_due"] = due
    result = "died" if outcome == "died" else None
    checked = end if result else due + timedelta(days=rng.randint(0, 10))
    if result is None and checked <= today and rng.random() < 0.9:
        result = _pick(rng, FOLLOW_UPS)
    if result is not None:
        row.update(followup_result=result, followup_checked_on=checked,
                   followup_recorded_at=_noon(checked))
    return row


def episode_rows(rng: random.Random, today: date) -> list[dict]:
    """Episodes for reablement packages, and past episodes that led to today's packages."""
    packages = db.session.execute(
        sa.select(CarePackage, ServiceUser.date_of_birth)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .where(CarePackage.start_date <= today)
        .order_by(CarePackage.service_user_id, CarePackage.start_date)).all()
    starts = {(p.service_user_id, p.start_date) for p, _ in packages}
    after_reablement = {(p.service_user_id, (p.end_date or p.start_date + timedelta(days=41))
                         + timedelta(days=1)) for p, _ in packages
                        if p.package_type == PackageType.REABLEMENT}
    rows = []
    for package, born in packages:
        if package.package_type == PackageType.REABLEMENT:
            end = package.end_date or package.start_date + timedelta(days=41)
            followed = (package.service_user_id, end + timedelta(days=1)) in starts
            outcome = "long_term_support" if followed else None
            if not followed and rng.random() < 0.1:  # ended early
                end = package.start_date + timedelta(days=rng.randint(3, 20))
                outcome = _pick(rng, [("hospital", 3), ("died", 1), ("declined", 2)])
            rows.append(_episode(rng, today, package, born, package.start_date, end, outcome))
        elif (age_on(born, package.start_date) or 0) >= 65 \
                and (package.service_user_id, package.start_date) not in after_reablement:
            roll = rng.random()
            if roll < 0.25:  # reablement, then today's long-term package (same provider)
                start = package.start_date - timedelta(days=rng.randint(14, 42))
                rows.append(_episode(rng, today, package, born, start,
                                     package.start_date - timedelta(days=1),
                                     "long_term_support"))
            elif roll < 0.6:  # an earlier episode that left them independent for a while
                end = package.start_date - timedelta(days=rng.randint(30, 200))
                if end >= today - timedelta(days=364):
                    start = end - timedelta(days=rng.randint(14, 42))
                    rows.append(_episode(rng, today, package, born, start, end,
                                         _pick(rng, EARLIER)))
    return rows


def insert_episodes(rows: list[dict]) -> None:
    """Bulk insert."""
    table = ReablementEpisode.__table__
    for start in range(0, len(rows), 5000):
        db.session.execute(table.insert(), rows[start:start + 5000])
