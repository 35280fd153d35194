"""Hours engine: commissioned, planned, delivered and verified hours, in SQL aggregates.

All figures are carer-minutes: a double-up visit plans duration x carers and
delivers the sum of each worker's minutes (Visit.delivered_minutes).
Commissioned minutes are the weekly minutes in force on each active day / 7, where a
day is active between the package's start and end dates and outside suspensions, and
the minutes in force are the package's own but over the days a scheduled or applied
change of minutes governs (package_changes).
Visits belong to a period by their planned start, between the UTC instants of
the period's first local midnight and the local midnight after its last day.
A jointly funded package counts for each funder by its share (reference/funding.py):
a commissioner reads their share, a report by funder splits the package.
"""
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    CarePackage, PackageChange, PackageSuspension, ServiceUser, User, Visit, VisitStatus,
)
from backend.services.dates.periods import Period
from backend.services.audit.report_scope import (
    Grouping, entity_column, entity_labels, package_criteria, time_column,
)
from backend.services.database.dialect import day_before, days_between, greatest, least
from backend.services.dates import clock
from backend.services.monitoring import rules
from backend.services.reference import funding

CENT = Decimal("0.01")
FIGURES = ("visits", "commissioned_minutes", "planned_minutes", "delivered_minutes",
           "verified_minutes", "unverified_minutes", "missed_minutes", "no_access_minutes",
           "cancelled_minutes")


def _buckets(period: Period, grouping: Grouping) -> list[tuple[str | None, date, date]]:
    """(label, first, last) slices of the period: one per week/month, or the whole period."""
    if grouping.time is None:
        return [(None, period.first, period.last)]
    slices, day = [], period.first
    while day <= period.last:
        if grouping.time == "week":
            head = day - timedelta(days=day.weekday())
            tail = head + timedelta(days=6)
        else:
            head = day.replace(day=1)
            tail = (head + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        slices.append((head.isoformat(), day, min(tail, period.last)))
        day = min(tail, period.last) + timedelta(days=1)
    return slices


def _bucket_table(buckets) -> sa.CTE:
    selects = [sa.select(sa.literal(label, sa.String).label("label"),
                         sa.literal(first, sa.Date).label("first"),
                         sa.literal(last, sa.Date).label("last"))
               for label, first, last in buckets]
    return (selects[0] if len(selects) == 1 else sa.union_all(*selects)).cte("buckets")


def _split(user: User, grouping: Grouping) -> funding.Split:
    return funding.split_for(user, grouping.entity == "funder")


def _key_columns(grouping: Grouping, time_expr, split: funding.Split) -> list:
    cols = []
    if grouping.entity == "funder":
        cols.append(split.funder.label("entity"))
    elif grouping.entity:
        cols.append(entity_column(grouping.entity).label("entity"))
    if grouping.time:
        cols.append(time_expr.label("bucket"))
    return cols


def _with_area(stmt, grouping: Grouping):
    if grouping.entity == "area":
        return stmt.join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
    return stmt


def commissioned_minute_days(user: User, period: Period, grouping: Grouping,
                             provider_id=None) -> dict:
    """{group key: sum of weekly_minutes x active days x share in basis points} (divide
    by 7 x funding.WHOLE for minutes), each day at the minutes in force on it: the
    package's own, and over a change's days (_terms) what the change makes them."""
    split = _split(user, grouping)
    buckets = _bucket_table(_buckets(period, grouping))
    figures = defaultdict(int)
    terms = _terms()
    for term in (None, terms):
        for key, minute_days in _minute_days(user, grouping, provider_id, split, buckets,
                                             term).items():
            figures[key] += minute_days
    return dict(figures)


def _terms() -> sa.Subquery:
    """The spans of days over which a package's commissioned minutes differ from its own
    (CarePackage.weekly_minutes: in force since its last applied change of minutes, or
    a later edit), from its changes of minutes: (package_id, first, last, minutes), first
    or last NULL where open. Before its first change, applied: the minutes it replaced
    (unknown for one applied before they were kept); from each applied change but the
    last, to the next: that change's; from each change still to apply: its own."""
    c = PackageChange
    ordered = {"partition_by": c.package_id, "order_by": c.effective_date}
    changes = sa.select(
        c.package_id, c.effective_date, c.weekly_minutes, c.weekly_minutes_before,
        c.applied_at, sa.func.lead(c.effective_date).over(**ordered).label("next_day"),
        sa.func.lead(c.applied_at).over(**ordered).label("next_applied_at"),
        sa.func.row_number().over(**ordered).label("n"),
    ).where(c.weekly_minutes.is_not(None)).subquery()
    before_first = sa.select(
        changes.c.package_id, sa.cast(sa.null(), sa.Date).label("first"),
        day_before(changes.c.effective_date).label("last"),
        changes.c.weekly_minutes_before.label("minutes")).where(
        changes.c.n == 1, changes.c.applied_at.is_not(None),
        changes.c.weekly_minutes_before.is_not(None))
    last_applied = sa.and_(changes.c.applied_at.is_not(None),
                           changes.c.next_applied_at.is_(None))
    spans = sa.select(
        changes.c.package_id, changes.c.effective_date.label("first"),
        day_before(changes.c.next_day).label("last"),
        changes.c.weekly_minutes.label("minutes")).where(sa.not_(last_applied))
    return sa.union_all(before_first, spans).subquery("terms")


def _minute_days(user: User, grouping: Grouping, provider_id, split: funding.Split,
                 buckets: sa.CTE, term: sa.Subquery | None) -> dict:
    """commissioned_minute_days() at the packages' own minutes (term None), or the
    difference a span of _terms() makes over its days."""
    firsts = [CarePackage.start_date, buckets.c.first]
    lasts = [sa.func.coalesce(CarePackage.end_date, buckets.c.last), buckets.c.last]
    minutes = CarePackage.weekly_minutes
    if term is not None:
        firsts.append(sa.func.coalesce(term.c.first, CarePackage.start_date))
        lasts.append(sa.func.coalesce(term.c.last, buckets.c.last))
        minutes = term.c.minutes - CarePackage.weekly_minutes
    active_first, active_last = greatest(*firsts), least(*lasts)
    suspended = (
        sa.select(sa.func.coalesce(sa.func.sum(days_between(
            greatest(PackageSuspension.start_date, active_first),
            least(sa.func.coalesce(PackageSuspension.end_date, active_last), active_last)) + 1),
            0))
        .where(PackageSuspension.package_id == CarePackage.id,
               PackageSuspension.start_date <= active_last,
               sa.or_(PackageSuspension.end_date.is_(None),
                      PackageSuspension.end_date >= active_first))
        .correlate(CarePackage, buckets, *(() if term is None else (term,)))
        .scalar_subquery())
    inner = (
        sa.select(*_key_columns(grouping, buckets.c.label, split),
                  (minutes * (days_between(active_first, active_last) + 1 - suspended)
                   * split.points).label("minute_days"))
        .select_from(CarePackage)
        .join(buckets, sa.and_(CarePackage.start_date <= buckets.c.last,
                               sa.or_(CarePackage.end_date.is_(None),
                                      CarePackage.end_date >= buckets.c.first))))
    if term is not None:
        inner = inner.join(term, term.c.package_id == CarePackage.id).where(
            active_first <= active_last)
    inner = split.join(_with_area(inner, grouping)).where(
        *package_criteria(user, provider_id)).subquery()
    keys = [c for c in inner.c if c.name != "minute_days"]
    stmt = sa.select(*keys, sa.func.sum(inner.c.minute_days)).group_by(*keys)
    return {tuple(row[:-1]): int(row[-1] or 0) for row in db.session.execute(stmt)}


def _visit_query(user, period, grouping, provider_id, split, *columns):
    keys = _key_columns(grouping, time_column(grouping.time, Visit.local_date)
                        if grouping.time else None, split)
    stmt = sa.select(*keys, *columns).join(CarePackage, CarePackage.id == Visit.package_id)
    stmt = split.join(_with_area(stmt, grouping)).where(
        Visit.planned_start >= period.start, Visit.planned_start < period.end,
        *package_criteria(user, provider_id))
    return stmt, [k.element for k in keys], len(keys)


def _sum(value, *conditions):
    return sa.func.coalesce(sa.func.sum(
        sa.case((sa.and_(*conditions), value), else_=0) if conditions else value), 0)


def visit_figures(user: User, period: Period, grouping: Grouping, provider_id=None) -> dict:
    """{group key: figures} from one pass over the period's visits (conditional sums),
    each visit weighed by the funder's share."""
    split = _split(user, grouping)
    share = split.points
    planned = Visit.duration_min * Visit.carers_required * share
    delivered = sa.func.coalesce(Visit.delivered_minutes, 0) * share
    live = Visit.status != VisitStatus.CANCELLED
    names = ("visits", "planned_minutes", "delivered_minutes", "verified_minutes",
             "no_access_minutes", "cancelled_minutes")
    stmt, keys, width = _visit_query(
        user, period, grouping, provider_id, split, Visit.cancel_reason,
        _sum(share, live), _sum(planned, live), _sum(delivered),
        _sum(delivered, Visit.location_verified.is_(True)),
        _sum(planned, Visit.status == VisitStatus.NO_ACCESS),
        _sum(planned, Visit.status == VisitStatus.CANCELLED))
    found = {}
    for key, minutes in _missed_minutes(user, period, grouping, provider_id).items():
        found.setdefault(key, _empty())["missed_minutes"] += minutes
    # Grouped by cancel reason too (NULL on every visit not cancelled): one pass, few groups.
    for row in db.session.execute(stmt.group_by(*keys, Visit.cancel_reason)):
        values = dict(zip(names, (funding.weighed(v) for v in row[width + 1:]), strict=True))
        if not any(values.values()):
            continue
        key = tuple(v.isoformat() if isinstance(v, date) else v for v in row[:width])
        figures = found.setdefault(key, _empty())
        for name, value in values.items():
            figures[name] += value
        figures["unverified_minutes"] += values["delivered_minutes"] - values["verified_minutes"]
        if values["cancelled_minutes"]:
            reasons = figures["cancelled_by_reason"]
            reason = row[width] or "unspecified"
            reasons[reason] = reasons.get(reason, 0) + values["cancelled_minutes"]
    return found


def _missed_minutes(user, period, grouping, provider_id) -> dict:
    """{group key: planned minutes of the visits the rulebook judges missed now}. Only a
    visit nobody checked in to can be missed: those few are read by status (an index
    range), each with its rule."""
    missed = rules.Judgements().missed(rules.at_instant(clock.now()))
    split = _split(user, grouping)
    stmt, keys, width = _visit_query(
        user, period, grouping, provider_id, split,
        _sum(Visit.duration_min * Visit.carers_required * split.points))
    stmt = rules.with_rule(stmt).where(missed).group_by(*keys)
    return {tuple(v.isoformat() if isinstance(v, date) else v for v in row[:width]):
            funding.weighed(row[width]) for row in db.session.execute(stmt)}


def _empty() -> dict:
    figures = {name: 0 for name in FIGURES}
    figures["cancelled_by_reason"] = {}
    return figures


def hours(x) -> Decimal:
    """Minutes as hours, to 2 decimal places (half up)."""
    return (Decimal(x) / 60).quantize(CENT, ROUND_HALF_UP)


def _finish(figures: dict, minute_days: int) -> dict:
    commissioned = (Decimal(minute_days) / (7 * funding.WHOLE)).quantize(CENT, ROUND_HALF_UP)
    figures["commissioned_minutes"] = commissioned
    variance = figures["delivered_minutes"] - commissioned
    figures["variance_minutes"] = variance
    figures["variance_pct"] = ((variance * 100 / commissioned).quantize(CENT, ROUND_HALF_UP)
                               if commissioned else None)
    for name in ("commissioned", "planned", "delivered", "verified", "unverified", "missed",
                 "no_access", "cancelled", "variance"):
        figures[f"{name}_hours"] = hours(figures[f"{name}_minutes"])
    return figures


def hours_report(user: User, period: Period, grouping: Grouping, provider_id=None) -> dict:
    """Commissioned vs planned vs delivered hours per group, with totals; zeros when empty."""
    commissioned = commissioned_minute_days(user, period, grouping, provider_id)
    groups: dict = defaultdict(_empty, visit_figures(user, period, grouping, provider_id))
    for key in commissioned:
        groups[key]  # noqa: B018  (a group with commitments but no visits still shows)
    labels = (entity_labels(grouping.entity, {k[0] for k in groups})
              if grouping.entity else {})
    total, total_minute_days, out = _empty(), 0, []
    for key in sorted(groups, key=lambda k: tuple(_sort_key(k, labels, grouping))):
        figures = groups[key]
        for name in FIGURES:
            total[name] += figures[name]
        for reason, minutes in figures["cancelled_by_reason"].items():
            total["cancelled_by_reason"][reason] = \
                total["cancelled_by_reason"].get(reason, 0) + minutes
        total_minute_days += commissioned.get(key, 0)
        out.append({"group": _group(key, labels, grouping),
                    **_finish(figures, commissioned.get(key, 0))})
    return {"period": {"from": period.first, "to": period.last},
            "group_by": grouping.names, "rows": out,
            "total": _finish(total, total_minute_days)}


def _group(key, labels, grouping: Grouping) -> dict:
    group, rest = {}, list(key)
    if grouping.entity:
        ident = rest.pop(0)
        group[grouping.entity] = {"id": str(ident) if ident is not None else None,
                                  "name": labels.get(ident, "None recorded")}
    if grouping.time:
        group[grouping.time] = rest.pop(0)
    return group


def _sort_key(key, labels, grouping: Grouping):
    rest = list(key)
    if grouping.entity:
        ident = rest.pop(0)
        yield labels.get(ident, "")
        yield str(ident)
    if grouping.time:
        yield rest.pop(0) or ""
