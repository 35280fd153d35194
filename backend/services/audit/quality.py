"""Quality indicators per provider and period, counted in SQL.

Punctual, late, missed, short, early finish and verified in the home are the rulebook's
judgements (monitoring/rules.py), each visit by its own contract's rule for its priority.

Travel between a care worker's consecutive visits on a day is the rota's one travel
rule (rota/travel.py: geodesic distance x the road factor, at the worker's travel
mode's speed), which neither database computes portably; those pairs are streamed and
measured in Python, a bounded set (one row per consecutive pair of a worker's visits in
the period, the period at most REPORT_MAX_DAYS) with trips cached per pair of homes.
Of the travel time the pairs need, the share the rota allows for: each gap allows the
trip, or only the gap when it is shorter (travel.allowed_minutes).
"""
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    Alert, CarePackage, Contract, EventKind, ServiceUser, User, Visit, VisitAssignment,
    VisitEvent, VisitStatus,
)
from backend.models.base import UTCDateTime
from backend.services.audit.targets import provider_targets
from backend.services.audit.report_scope import entity_labels, package_criteria
from backend.services.database.dialect import minutes_between, month_start
from backend.services.dates import clock
from backend.services.dates.periods import Period
from backend.services.monitoring import rules
from backend.services.national.qs123 import under_30
from backend.services.reference import funding
from backend.services.rota.travel import allowed_minutes, gap_minutes, speed_kmh, trip_minutes

CENT = Decimal("0.01")
NO_TRAVEL = (0, 0, 0, 0)  # pairs, short pairs, minutes needed, minutes allowed for
COUNTS = ("visits_due", "started", "punctual", "late", "missed", "completed", "short",
          "early_finish", "under_30", "location_judged", "location_verified")


def pct(part, whole) -> Decimal | None:
    """part / whole as a percentage to 2 places; None when there is nothing to divide."""
    return (Decimal(part) * 100 / whole).quantize(CENT, ROUND_HALF_UP) if whole else None


def _in_period(period: Period):
    return (Visit.planned_start >= period.start, Visit.planned_start < period.end)


def _visit_counts(user, period, provider_id, by=CarePackage.provider_id, now=None) -> dict:
    """{group: COUNTS}, each visit judged by the rulebook with its own contract's rule for
    its own priority; late and missed as they stand at `now`. A commissioner counts a
    jointly funded visit by their share (0.7 of a visit at 70%; reference/funding.py)."""
    judge = rules.Judgements()
    at = rules.at_instant(now or clock.now())
    due = judge.live()
    split = funding.split_for(user)

    def count(*conditions):
        return sa.func.sum(sa.case((sa.and_(*conditions), split.points), else_=0))

    stmt = split.join(rules.with_rule(
        sa.select(by,
                  count(due), count(judge.started()), count(judge.punctual()),
                  count(judge.late(at)), count(judge.missed(at)),
                  count(Visit.status == VisitStatus.COMPLETED), count(judge.short()),
                  count(judge.early_finish()), count(due, under_30()),
                  count(judge.location_judged()), count(judge.location_verified()))
        .join(CarePackage, CarePackage.id == Visit.package_id)
    )).where(*_in_period(period), *package_criteria(user, provider_id)).group_by(by)
    return {row[0]: dict(zip(COUNTS, (funding.weighed(v) for v in row[1:]), strict=True))
            for row in db.session.execute(stmt)}


def _continuity(user, period, provider_id) -> dict:
    """{provider: (person-months, sum of distinct carers)} from who actually attended."""
    per_person = (
        sa.select(CarePackage.provider_id.label("provider_id"),
                  sa.func.count(sa.distinct(VisitEvent.worker_id)).label("carers"))
        .select_from(VisitEvent)
        .join(Visit, Visit.id == VisitEvent.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .where(VisitEvent.kind.in_([EventKind.CHECK_IN, EventKind.CORRECTION]),
               *_in_period(period), *package_criteria(user, provider_id))
        .group_by(CarePackage.provider_id, CarePackage.service_user_id,
                  month_start(Visit.local_date))
        .subquery())
    stmt = sa.select(per_person.c.provider_id, sa.func.count(),
                     sa.func.sum(per_person.c.carers)).group_by(per_person.c.provider_id)
    return {p: (int(n), int(s or 0)) for p, n, s in db.session.execute(stmt)}


def _travel(user, period, provider_id) -> dict:
    """{provider: (consecutive pairs, pairs with less gap than travel needs, travel minutes
    needed, travel minutes the gaps allow for)} on the rota: each care worker's visits on
    a local day in planned order, every visit of the provider (the trip into a funded
    visit may come from anyone's), counted where the later visit is one the user sees."""
    seen_providers = sa.select(CarePackage.provider_id).where(
        *package_criteria(user, provider_id))
    order = dict(partition_by=(VisitAssignment.worker_id, Visit.local_date),
                 order_by=(Visit.planned_start, Visit.id))
    rota = (
        sa.select(CarePackage.id.label("package_id"), CarePackage.provider_id,
                  Contract.travel_speed_kmh.label("speed"), User.travel_mode,
                  Visit.planned_start, ServiceUser.home_lat, ServiceUser.home_lon,
                  sa.func.lag(Visit.planned_end, type_=UTCDateTime).over(**order).label("prev_end"),
                  sa.func.lag(ServiceUser.home_lat).over(**order).label("prev_lat"),
                  sa.func.lag(ServiceUser.home_lon).over(**order).label("prev_lon"))
        .select_from(VisitAssignment)
        .join(User, User.id == VisitAssignment.worker_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .join(Contract, Contract.id == CarePackage.contract_id)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .where(*_in_period(period), Visit.status != VisitStatus.CANCELLED,
               CarePackage.provider_id.in_(seen_providers))
        .subquery())
    visible_packages = sa.select(CarePackage.id).where(*package_criteria(user, provider_id))
    stmt = sa.select(rota.c.provider_id, rota.c.speed, rota.c.travel_mode, rota.c.home_lat,
                     rota.c.home_lon, rota.c.planned_start, rota.c.prev_end, rota.c.prev_lat,
                     rota.c.prev_lon
                     ).where(rota.c.prev_end.is_not(None), rota.c.package_id.in_(visible_packages))
    result: dict = defaultdict(lambda: [0, 0, 0, 0])
    rows = db.session.execute(stmt.execution_options(yield_per=5000))
    for provider, speed, mode, lat, lon, start, prev_end, prev_lat, prev_lon in rows:
        gap = gap_minutes(prev_end, start)
        needed = trip_minutes((prev_lat, prev_lon), (lat, lon), speed_kmh(mode, speed or 1))
        found = result[provider]
        found[0] += 1
        found[1] += 1 if gap < needed else 0
        found[2] += needed
        found[3] += allowed_minutes(gap, needed)
    return {p: tuple(v) for p, v in result.items()}


def _alert_minutes(user, period, provider_id) -> dict:
    """{provider: [minutes from raised to acknowledged]} for acknowledged alerts."""
    stmt = (
        sa.select(CarePackage.provider_id,
                  minutes_between(Alert.raised_at, Alert.acknowledged_at))
        .join(Visit, Visit.id == Alert.visit_id)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .where(Alert.acknowledged_at.is_not(None), *_in_period(period),
               *package_criteria(user, provider_id)))
    found: dict = defaultdict(list)
    for provider, minutes in db.session.execute(stmt):
        found[provider].append(float(minutes))
    return found


def _targets(user, provider_id) -> dict:
    return {provider: t.home_logging_pct
            for provider, t in provider_targets(user, provider_id).items()}


def _indicators(counts: dict, continuity, travel, alerts: list, target) -> dict:
    months, carers = continuity
    pairs, short_pairs, needed, allowed = travel
    verified_pct = pct(counts["location_verified"], counts["location_judged"])
    return {
        **counts,
        "punctuality_pct": pct(counts["punctual"], counts["started"]),
        "missed_pct": pct(counts["missed"], counts["visits_due"]),
        "short_pct": pct(counts["short"], counts["completed"]),
        "under_30_pct": pct(counts["under_30"], counts["visits_due"]),
        "home_logging_pct": verified_pct,
        "home_logging_target_pct": target,
        "home_logging_met": (verified_pct >= target) if verified_pct is not None and target
        else None,
        "person_months": months,
        "continuity_mean_carers": (Decimal(carers) / months).quantize(CENT, ROUND_HALF_UP)
        if months else None,
        "travel_pairs": pairs, "travel_short_pairs": short_pairs,
        "travel_short_pct": pct(short_pairs, pairs),
        "travel_needed_min": needed, "travel_allowed_min": allowed,
        "travel_allowed_pct": pct(allowed, needed),
        "alerts_acknowledged": len(alerts),
        "alert_response_median_min": Decimal(str(statistics.median(alerts))).quantize(CENT)
        if alerts else None,
        "alert_response_mean_min": Decimal(str(statistics.fmean(alerts))).quantize(CENT)
        if alerts else None,
    }


def package_quality(user: User, period: Period, provider_id, now=None) -> dict:
    """{package id: punctuality, missed, short and verified-in-home counts and shares}."""
    found = {}
    for package, counts in _visit_counts(user, period, provider_id, by=CarePackage.id,
                                         now=now).items():
        found[package] = {
            **counts,
            "punctuality_pct": pct(counts["punctual"], counts["started"]),
            "missed_pct": pct(counts["missed"], counts["visits_due"]),
            "short_pct": pct(counts["short"], counts["completed"]),
            "home_logging_pct": pct(counts["location_verified"], counts["location_judged"]),
        }
    return found


def quality_report(user: User, period: Period, provider_id=None, now=None) -> dict:
    """Quality indicators per provider, and for all the user's providers together; late
    and missed as they stand at `now` (default: the clock's now)."""
    counts = _visit_counts(user, period, provider_id, now=now)
    continuity = _continuity(user, period, provider_id)
    travel = _travel(user, period, provider_id)
    alerts = _alert_minutes(user, period, provider_id)
    targets = _targets(user, provider_id)
    providers = set(counts) | set(continuity) | set(travel) | set(alerts)
    labels = entity_labels("provider", providers)
    rows = []
    total = {name: 0 for name in COUNTS}
    for provider in sorted(providers, key=lambda p: labels.get(p, "")):
        mine = counts.get(provider, {name: 0 for name in COUNTS})
        for name in COUNTS:
            total[name] += mine[name]
        rows.append({"provider": {"id": str(provider), "name": labels.get(provider, "")},
                     **_indicators(mine, continuity.get(provider, (0, 0)),
                                   travel.get(provider, NO_TRAVEL), alerts.get(provider, []),
                                   targets.get(provider))})
    every_alert = [m for values in alerts.values() for m in values]
    all_targets = [t for p, t in targets.items() if p in providers]
    total = _indicators(
        total, tuple(map(sum, zip(*continuity.values(), strict=False))) or (0, 0),
        tuple(map(sum, zip(*travel.values(), strict=False))) or NO_TRAVEL, every_alert,
        max(all_targets) if all_targets else None)
    return {"period": {"from": period.first, "to": period.last}, "rows": rows, "total": total}
