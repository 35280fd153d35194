"""Set-based detection of late, missed, short, unclosed, early-finished and unverified visits.

SELECTs (a UNION ALL of one sub-select per kind) find the visits that have
crossed a tolerance and have no alert of that kind yet; alerts are inserted in
bulk, skipping duplicates through the (visit_id, kind) unique key. Tolerances come
from the monitoring_rules row for the visit's contract (copied on the visit) and
priority (DEFAULT_RULES when a contract has none).

Two sources of work, so a pass touches only the visits that can have changed:
- the clock: late, missed and no-check-out are judged for the visits whose
  tolerance was crossed since the last pass, "since - v < instant <= now - v" for
  each distinct tolerance value v, ranges on the (status, planned_start) and
  (status, planned_end) indexes with no date arithmetic per row;
- events: every kind is judged for the visits whose cached state was rewritten
  from events (visits.review_pending). The check-in path judges its visit at once
  and clears the flag; the pass picks up the rest (corrections, bulk loads).
"""
import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, Alert, AlertKind, AlertStatus, MonitoringRule, Priority, Visit, VisitStatus,
)
from backend.services.monitoring.notifications import about_visits
from backend.services.database.dialect import (
    among, among_bound, dialect_name, insert_rows_ignoring_duplicates, minutes_between,
)

RULE_COLUMNS = ("late_after_min", "missed_after_min", "short_margin_min", "early_finish_min",
                "no_checkout_after_min", "escalate_after_min")


@dataclass(frozen=True)
class Scope:
    """What a pass looks at.

    `since`: the previous pass's instant (clock-driven kinds are judged for the
    tolerances crossed in (since, now]); None judges no clock-driven window.
    `changed_ids`: visits whose events changed, judged for every kind.
    """

    now: datetime
    lookback_start: datetime
    since: datetime | None = None
    changed_ids: tuple = ()
    values: dict = field(default_factory=dict)  # tolerance_values(), read once per pass


class Due(NamedTuple):
    """An alert found due: the visit and the kind's value."""

    visit_id: uuid.UUID
    kind: str


def constant(value):
    """SQL literal of a value from code (None, an int, or an enum's value), written into
    the statement rather than bound: the pass's statements then carry a dozen
    parameters, not sixty, and less text for psycopg and the server to parse."""
    if value is None:
        return sa.null()
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, int):
        return sa.literal_column(str(int(value)))
    return sa.literal_column("'" + str(value).replace("'", "''") + "'")


def rule(name: str, priority=Visit.priority):
    """SQL expression: the tolerance `name` for the visit's contract and priority.

    `priority`: the visit's priority column (another FROM's copy of it, if not visits').
    """
    default = sa.case(
        (priority == constant(Priority.CRITICAL),
         constant(DEFAULT_RULES[Priority.CRITICAL][name])),
        else_=constant(DEFAULT_RULES[Priority.NORMAL][name]))
    return sa.case((MonitoringRule.id.is_(None), default), else_=getattr(MonitoringRule, name))


def default_tolerances() -> dict[str, set]:
    """The values of each tolerance in DEFAULT_RULES (those of a contract with no rule)."""
    return {name: {r[name] for r in DEFAULT_RULES.values()} for name in RULE_COLUMNS}


def tolerance_values() -> dict[str, set]:
    """Distinct values of each tolerance in use (a handful), defaults included."""
    values = default_tolerances()
    rows = db.session.execute(sa.select(*(getattr(MonitoringRule, n) for n in RULE_COLUMNS))
                              .distinct())
    for row in rows:
        for name in RULE_COLUMNS:
            values[name].add(getattr(row, name))
    return values


def _minutes(values) -> list[int]:
    return sorted(v for v in values if v is not None)


def _after(v: int):
    return sa.bindparam(f"after_{v}")  # since - v minutes (see time_params)


def floor_param(v: int):
    """Bind parameter: `floor` - v minutes, for an instant `floor` not after `since`."""
    return sa.bindparam(f"floor_{v}")


def _upto(v: int):
    return sa.bindparam(f"upto_{v}")  # now - v minutes


def _window(instant, v: int):
    return sa.and_(instant > _after(v), instant <= _upto(v))


def _covering(instant, values, after=_after):
    """SQL: `instant` in the one range that holds every value's window (an index range)."""
    minutes = _minutes(values)
    return sa.and_(instant >= sa.bindparam("lookback"), instant > after(minutes[-1]),
                   instant <= _upto(minutes[0]))


def crossing_ranges(values: dict, after=_after) -> list[tuple]:
    """(instant column, SQL condition) of the index ranges that cover every tolerance's
    window since the last pass: a visit in one of them may have crossed a tolerance
    (`after`: floor_param for ranges from an instant not after `since`)."""
    scheduled = Visit.status == constant(VisitStatus.SCHEDULED)
    return [
        (Visit.planned_start, sa.and_(scheduled, _covering(
            Visit.planned_start, values["late_after_min"] | values["missed_after_min"], after))),
        (Visit.planned_end, sa.and_(scheduled, _covering(Visit.planned_end, {0}, after))),
        (Visit.planned_end, sa.and_(Visit.status == constant(VisitStatus.IN_PROGRESS),
                                    _covering(Visit.planned_end,
                                              values["no_checkout_after_min"], after)))]


def crossing_windows(values: dict):
    """SQL: the visit may have crossed one of its tolerances since the last pass, a
    one-minute index range per tolerance value (narrower than crossing_ranges' covering
    ranges, which span from the largest value's window to the smallest's: 26 minutes of
    a national day's visits where these read 4)."""
    lookback = sa.bindparam("lookback")
    scheduled = Visit.status == constant(VisitStatus.SCHEDULED)

    def windows(instant, tolerances):
        return sa.and_(instant >= lookback, sa.or_(
            *(_window(instant, v) for v in _minutes(tolerances))))

    return sa.or_(
        sa.and_(scheduled, windows(Visit.planned_start,
                                   values["late_after_min"] | values["missed_after_min"])),
        sa.and_(scheduled, windows(Visit.planned_end, {0})),
        sa.and_(Visit.status == constant(VisitStatus.IN_PROGRESS),
                windows(Visit.planned_end, values["no_checkout_after_min"])))


def time_params(scope: Scope, values: dict, floor: datetime | None = None) -> dict:
    """The instants the cached statements take as bind parameters, for this pass
    (`floor`: an instant known not to be after the pass's `since`)."""
    params = {"lookback": scope.lookback_start}
    for v in {0}.union(*(_minutes(vs) for vs in values.values())):
        if scope.since is not None:
            params[f"after_{v}"] = scope.since - timedelta(minutes=v)
        if floor is not None:
            params[f"floor_{v}"] = floor - timedelta(minutes=v)
        params[f"upto_{v}"] = scope.now - timedelta(minutes=v)
    return params


def values_key(values: dict) -> tuple:
    return tuple((name, tuple(_minutes(values[name])), None in values[name])
                 for name in RULE_COLUMNS)


def with_rules(query):
    """Outer-join a query on Visit to the monitoring rule of its contract and priority."""
    return query.outerjoin(MonitoringRule, sa.and_(
        MonitoringRule.contract_id == Visit.contract_id,
        MonitoringRule.priority == Visit.priority))


def _base(kind: AlertKind):
    no_alert = ~sa.exists().where(Alert.visit_id == Visit.id, Alert.kind == kind)
    return with_rules(
        sa.select(Visit.id.label("visit_id"), sa.literal(kind.value).label("kind"))
        .select_from(Visit)).where(no_alert)


CHUNK = 2000  # visit ids per query (well inside every driver's parameter limit)


_CROSSED: dict = {}  # crossed_query statements by tolerance values: built once


def crossed_query(values: dict):
    """(visit_id, kind) of the late, missed and no-check-out alerts due since the last pass.

    For each tolerance value v, a visit crossed it when `since - v < instant <= now - v`.
    One scan: the visits in the index ranges covering every value's window (a
    materialised CTE, so the planner weighs only those ranges), then their rule
    decides the value and the kind (a visit can be due for one kind at most: late
    only before missed is due, no check-out only once started). Planning the
    statement as one OR of (rule = v and window) per kind and value cost more than
    running it. Built once per set of tolerance values; the instants are bind
    parameters (time_params).
    """
    key = values_key(values)
    if key in _CROSSED:
        return _CROSSED[key]
    candidates = sa.select(Visit.id, Visit.status, Visit.planned_start, Visit.planned_end,
                           Visit.contract_id, Visit.priority).where(crossing_windows(values)
    ).cte("candidates").prefix_with("MATERIALIZED")
    c = candidates.c

    def tolerance(name):
        return rule(name, priority=c.priority)

    def crossed(instant, name):
        return sa.or_(*(sa.and_(tolerance(name) == constant(v), _window(instant, v))
                        for v in _minutes(values[name])))

    # NOT of this must be true or false, never NULL: hence the IS NOT NULL guards.
    missed_after = tolerance("missed_after_min")
    missed_due = sa.or_(
        sa.and_(missed_after.is_(None), c.planned_end <= _upto(0)),
        *(sa.and_(missed_after.is_not(None), missed_after == constant(v),
                  c.planned_start <= _upto(v))
          for v in _minutes(values["missed_after_min"])))
    lookback = sa.bindparam("lookback")
    scheduled = c.status == constant(VisitStatus.SCHEDULED)
    kind = sa.case(
        (sa.and_(scheduled, sa.or_(
            sa.and_(missed_after.is_(None), c.planned_end >= lookback,
                    _window(c.planned_end, 0)),
            sa.and_(c.planned_start >= lookback, crossed(c.planned_start, "missed_after_min")))),
         constant(AlertKind.MISSED)),
        (sa.and_(scheduled, c.planned_start >= lookback,
                 crossed(c.planned_start, "late_after_min"), ~missed_due),
         constant(AlertKind.LATE)),
        (sa.and_(c.status == constant(VisitStatus.IN_PROGRESS), c.planned_end >= lookback,
                 crossed(c.planned_end, "no_checkout_after_min")),
         constant(AlertKind.NO_CHECKOUT)))
    judged = sa.select(c.id, kind.label("kind")).select_from(candidates.outerjoin(
        MonitoringRule, sa.and_(MonitoringRule.contract_id == c.contract_id,
                                MonitoringRule.priority == c.priority)
    )).cte("judged").prefix_with("MATERIALIZED")  # the alert probe then compares a column
    # A probe of the (visit_id, kind) index per judged visit, as a scalar subquery with
    # LIMIT, which PostgreSQL runs as it is written: as NOT EXISTS it became a hash
    # anti-join that read every alert of the day (12,000 by 14:00 on the national day,
    # two thirds of this statement) to exclude a few dozen.
    existing = (sa.select(sa.literal(1)).where(Alert.visit_id == judged.c.id,
                                                Alert.kind == judged.c.kind)
                .limit(1).scalar_subquery())
    _CROSSED[key] = sa.select(judged.c.id.label("visit_id"), judged.c.kind).where(
        judged.c.kind.is_not(None), existing.is_(None))
    return _CROSSED[key]


_CHANGED: dict = {}  # changed_query statements by dialect and tolerance values


def changed_query(values: dict):
    """(visit_id, kind) of every alert due and not yet raised for the visits bound as "ids".

    The visits and their tolerances are read once (a CTE: one primary-key probe per
    id); each kind then filters those rows, and only its due ones probe the alerts.
    Built once per dialect and set of tolerance values (react runs it per check-in).
    """
    key = (dialect_name(), values_key(values))
    if key in _CHANGED:
        return _CHANGED[key]
    judged = with_rules(sa.select(
        Visit.id, Visit.status, Visit.planned_start, Visit.planned_end, Visit.duration_min,
        Visit.delivered_minutes, Visit.actual_end, Visit.location_verified,
        *(rule(name).label(name) for name in RULE_COLUMNS)).select_from(Visit)).where(
        among_bound(Visit.id, "ids")).cte("judged")
    c = judged.c

    def due(kind: AlertKind, *conditions):
        no_alert = ~sa.exists().where(Alert.visit_id == c.id, Alert.kind == kind)
        return sa.select(c.id.label("visit_id"), sa.literal(kind.value).label("kind")).where(
            *conditions, no_alert)

    def past(instant, name: str):  # never NULL (negated below): IS NOT NULL guards
        return sa.or_(*(sa.and_(c[name].is_not(None), c[name] == v, instant <= _upto(v))
                        for v in _minutes(values[name])))

    missed_reached = sa.or_(sa.and_(c.missed_after_min.is_(None), c.planned_end <= _upto(0)),
                            past(c.planned_start, "missed_after_min"))
    not_started = sa.and_(c.status == VisitStatus.SCHEDULED,
                          c.planned_start >= sa.bindparam("lookback"))
    completed = c.status == VisitStatus.COMPLETED
    _CHANGED[key] = sa.union_all(
        due(AlertKind.LATE, not_started, past(c.planned_start, "late_after_min"),
            ~missed_reached),
        due(AlertKind.MISSED, not_started, c.planned_start <= _upto(0), missed_reached),
        due(AlertKind.NO_CHECKOUT, c.status == VisitStatus.IN_PROGRESS,
            c.planned_end >= sa.bindparam("lookback"),
            past(c.planned_end, "no_checkout_after_min")),
        due(AlertKind.SHORT, completed,
            c.delivered_minutes < c.duration_min - c.short_margin_min),
        due(AlertKind.EARLY_FINISH, completed, c.actual_end.is_not(None),
            minutes_between(c.actual_end, c.planned_end) > c.early_finish_min),
        due(AlertKind.LOCATION_UNVERIFIED, c.status != VisitStatus.CANCELLED,
            c.location_verified == sa.false()))
    return _CHANGED[key]


def due_alerts(scope: Scope, crossed_rows: list = ()) -> list:
    """Rows (visit_id, kind) of every alert the scope makes due and that is not yet raised.

    `crossed_rows`: crossed_query's rows, read by the pass (none for a reaction).
    """
    values = scope.values
    params = time_params(scope, values)
    found = list(crossed_rows)
    ids = scope.changed_ids
    for start in range(0, len(ids), CHUNK):
        found += db.session.execute(changed_query(values),
                                    dict(params, ids=list(ids[start:start + CHUNK]))).all()
    return found


class Raised(NamedTuple):
    """The alerts a call created (rows of the alerts table: a national minute raises a
    hundred, no ORM object is built for them), and what their messages say of their
    visits (notifications.about_visits rows by visit id)."""

    alerts: list
    about: dict


# One read of the alerts' visits: what the detail line says (monitoring.describe; the
# planned start is among what the messages say) and what the messages say.
_VISITS = about_visits(Visit.planned_end, Visit.local_date, Visit.delivered_minutes,
                       Visit.duration_min, Visit.actual_start, Visit.actual_end)


def raise_alerts(scope: Scope, detail_for, crossed_rows: list = ()) -> Raised:
    """Insert every due alert once; returns the alerts this call created."""
    found = due_alerts(scope, crossed_rows)
    if not found:
        return Raised([], {})
    visits = {v.visit_id: v for v in db.session.execute(
        _VISITS.where(among(Visit.id, list({row.visit_id for row in found}))))}
    rows = []
    for row in found:
        kind = AlertKind(row.kind)
        rows.append(dict(
            id=uuid.uuid4(), visit_id=row.visit_id, kind=kind, status=AlertStatus.OPEN,
            raised_at=scope.now, detail=detail_for(kind, visits[row.visit_id]),
            escalated_at=scope.now if kind == AlertKind.MISSED else None))
    # RETURNING yields only the alerts actually inserted (a duplicate kind is skipped).
    created = insert_rows_ignoring_duplicates(Alert.__table__, rows, ["visit_id", "kind"],
                                              list(Alert.__table__.c))
    missed = [a.visit_id for a in created if a.kind == AlertKind.MISSED]
    if missed:
        db.session.execute(
            sa.update(Visit).where(among(Visit.id, missed), Visit.status == VisitStatus.SCHEDULED)
            .values(status=VisitStatus.MISSED).execution_options(synchronize_session=False))
        for visit_id in missed:  # a visit object this session holds must read it again
            held = db.session.identity_map.get(sa.orm.util.identity_key(Visit, visit_id))
            if held is not None:
                db.session.expire(held)
    return Raised(created, visits)
