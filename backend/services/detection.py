"""Set-based detection of late, missed, short, unclosed, early-finished and unverified visits.

One SELECT (a UNION ALL of one sub-select per kind) finds the visits that have
crossed a tolerance and have no alert of that kind yet; alerts are inserted in
bulk, skipping duplicates through the (visit_id, kind) unique key. Tolerances come
from the monitoring_rules row for the visit's contract and priority (DEFAULT_RULES
when a contract has none). Comparisons against `now` are written as "column <=
bound" for each distinct tolerance value, so the indexes on (status, planned_start)
and (status, planned_end) are used and no date arithmetic runs per row.
"""
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, Alert, AlertKind, AlertStatus, CarePackage, MonitoringRule, Priority, Visit,
    VisitEvent, VisitStatus,
)
from backend.services.sql_dialect import among, insert_ignoring_duplicates, minutes_between

RULE_COLUMNS = ("late_after_min", "missed_after_min", "short_margin_min", "early_finish_min",
                "no_checkout_after_min", "escalate_after_min")


@dataclass(frozen=True)
class Scope:
    """Which visits a pass looks at: a time window (scheduler) or given ids (after an event)."""

    now: datetime
    lookback_start: datetime
    events_since: datetime
    visit_ids: tuple | None = None
    values: dict = field(default_factory=dict)  # tolerance_values(), read once per pass


def rule(name: str):
    """SQL expression: the tolerance `name` for the visit's contract and priority."""
    default = sa.case(
        (Visit.priority == Priority.CRITICAL, DEFAULT_RULES[Priority.CRITICAL][name]),
        else_=DEFAULT_RULES[Priority.NORMAL][name])
    return sa.case((MonitoringRule.id.is_(None), default), else_=getattr(MonitoringRule, name))


def tolerance_values() -> dict[str, set]:
    """Distinct values of each tolerance in use (a handful), defaults included."""
    values = {name: {r[name] for r in DEFAULT_RULES.values()} for name in RULE_COLUMNS}
    rows = db.session.execute(sa.select(*(getattr(MonitoringRule, n) for n in RULE_COLUMNS))
                              .distinct())
    for row in rows:
        for name in RULE_COLUMNS:
            values[name].add(getattr(row, name))
    return values


def reached(instant, name: str, values: set, now: datetime):
    """SQL: `instant` + tolerance `name` minutes <= now, one indexed bound per value."""
    return sa.or_(*(sa.and_(rule(name) == v, instant <= now - timedelta(minutes=v))
                    for v in sorted(v for v in values if v is not None)))


def missed_reached(values: dict, now: datetime):
    """SQL: the missed threshold has passed (planned end, or start + missed_after_min)."""
    return sa.or_(sa.and_(rule("missed_after_min").is_(None), Visit.planned_end <= now),
                  reached(Visit.planned_start, "missed_after_min",
                          values["missed_after_min"], now))


def with_rules(query):
    """Join a query on Visit to the visit's package and its monitoring rule row."""
    return (query.join(CarePackage, CarePackage.id == Visit.package_id)
            .outerjoin(MonitoringRule, sa.and_(
                MonitoringRule.contract_id == CarePackage.contract_id,
                MonitoringRule.priority == Visit.priority)))


def _base(kind: AlertKind, scope: Scope):
    no_alert = ~sa.exists().where(Alert.visit_id == Visit.id, Alert.kind == kind)
    query = with_rules(
        sa.select(Visit.id.label("visit_id"), sa.literal(kind.value).label("kind"))
        .select_from(Visit)).where(no_alert)
    if scope.visit_ids is not None:
        query = query.where(among(Visit.id, scope.visit_ids))
    return query


def recently_changed(scope: Scope):
    """Visits whose events arrived since the last pass (or the given visits)."""
    if scope.visit_ids is not None:
        return sa.true()
    return Visit.id.in_(sa.select(VisitEvent.visit_id)
                        .where(VisitEvent.server_time >= scope.events_since))


CHUNK = 2000  # visit ids per candidate query (well inside every driver's parameter limit)


def visits_to_check(scope: Scope) -> list:
    """Ids of the visits a pass must look at, from narrow index range scans.

    Not started and past the earliest tolerance; still open past the earliest
    no-check-out tolerance; events arrived since the last pass. Selecting ids first
    keeps the full rule query on a few thousand primary-key lookups, whatever plan
    the database would otherwise pick for the joins.
    """
    now, values = scope.now, scope.values
    earliest = min(values["late_after_min"] | (values["missed_after_min"] - {None}))
    queries = [
        sa.select(Visit.id).where(Visit.status == VisitStatus.SCHEDULED,
                                  Visit.planned_start >= scope.lookback_start,
                                  Visit.planned_start <= now - timedelta(minutes=earliest)),
        sa.select(Visit.id).where(Visit.status == VisitStatus.SCHEDULED,
                                  Visit.planned_end >= scope.lookback_start,
                                  Visit.planned_end <= now),
        sa.select(Visit.id).where(
            Visit.status == VisitStatus.IN_PROGRESS, Visit.planned_end >= scope.lookback_start,
            Visit.planned_end <= now - timedelta(minutes=min(values["no_checkout_after_min"]))),
        sa.select(VisitEvent.visit_id).where(VisitEvent.server_time >= scope.events_since),
    ]
    ids: set = set()
    for query in queries:
        ids.update(db.session.scalars(query))
    return sorted(ids)


def in_chunks(scope: Scope) -> list[Scope]:
    """The pass split into scopes of at most CHUNK given visit ids."""
    if scope.visit_ids is not None:
        return [scope]
    ids = visits_to_check(scope)
    return [replace(scope, visit_ids=tuple(ids[i:i + CHUNK])) for i in range(0, len(ids), CHUNK)]


def candidates_query(scope: Scope, values: dict):
    """One SELECT (visit_id, kind) of every alert that is due and not yet raised."""
    now = scope.now
    low = min(values["late_after_min"])
    not_started = sa.and_(Visit.status == VisitStatus.SCHEDULED,
                          Visit.planned_start >= scope.lookback_start)
    late = _base(AlertKind.LATE, scope).where(
        not_started, Visit.planned_start <= now - timedelta(minutes=low),
        reached(Visit.planned_start, "late_after_min", values["late_after_min"], now),
        ~missed_reached(values, now))
    missed = _base(AlertKind.MISSED, scope).where(
        not_started, Visit.planned_start <= now, missed_reached(values, now))
    low = min(values["no_checkout_after_min"])
    no_checkout = _base(AlertKind.NO_CHECKOUT, scope).where(
        Visit.status == VisitStatus.IN_PROGRESS, Visit.planned_end >= scope.lookback_start,
        Visit.planned_end <= now - timedelta(minutes=low),
        reached(Visit.planned_end, "no_checkout_after_min", values["no_checkout_after_min"], now))
    completed = sa.and_(Visit.status == VisitStatus.COMPLETED, recently_changed(scope))
    short = _base(AlertKind.SHORT, scope).where(
        completed, Visit.delivered_minutes < Visit.duration_min - rule("short_margin_min"))
    early = _base(AlertKind.EARLY_FINISH, scope).where(
        completed, Visit.actual_end.is_not(None),
        minutes_between(Visit.actual_end, Visit.planned_end) > rule("early_finish_min"))
    unverified = _base(AlertKind.LOCATION_UNVERIFIED, scope).where(
        Visit.status != VisitStatus.CANCELLED, recently_changed(scope),
        Visit.location_verified == sa.false())
    return sa.union_all(late, missed, no_checkout, short, early, unverified)


def raise_alerts(scope: Scope, detail_for) -> list[Alert]:
    """Insert every due alert once; returns the alerts this call created."""
    values = scope.values or tolerance_values()
    found = db.session.execute(candidates_query(scope, values)).all()
    if not found:
        return []
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_({row.visit_id for row in found})))}
    rows = []
    for row in found:
        kind = AlertKind(row.kind)
        rows.append(dict(
            id=uuid.uuid4(), visit_id=row.visit_id, kind=kind, status=AlertStatus.OPEN,
            raised_at=scope.now, detail=detail_for(kind, visits[row.visit_id]),
            escalated_at=scope.now if kind == AlertKind.MISSED else None))
    db.session.execute(insert_ignoring_duplicates(Alert.__table__, ["visit_id", "kind"]), rows)
    created = list(db.session.scalars(
        sa.select(Alert).where(Alert.id.in_([r["id"] for r in rows]))))
    missed = [a.visit_id for a in created if a.kind == AlertKind.MISSED]
    if missed:
        db.session.execute(
            sa.update(Visit).where(Visit.id.in_(missed), Visit.status == VisitStatus.SCHEDULED)
            .values(status=VisitStatus.MISSED).execution_options(synchronize_session=False))
        for visit_id in missed:
            db.session.expire(visits[visit_id])
    return created
