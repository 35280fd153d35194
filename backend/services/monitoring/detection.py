"""Set-based detection of late, missed, short, unclosed, early-finished and unverified visits.

What is due is the rulebook's (rules.py: Judgements.alert_due); this module finds the
visits to ask it about and raises the alerts. SELECTs find the visits due an alert they
do not have yet; alerts are inserted in bulk, skipping duplicates through the
(visit_id, kind) unique key. Tolerances come from the monitoring_rules row for the
visit's contract (copied on the visit) and priority (DEFAULT_RULES when a contract has
none).

Two sources of work, so a pass touches only the visits that can have changed:
- the clock: late, missed and no-check-out are judged for the visits whose deadline
  fell since the last pass, "since - v <= instant < now - v" for each distinct
  tolerance value v, ranges on the (status, planned_start) and (status, planned_end)
  indexes with no date arithmetic per row;
- events: every kind is judged for the visits whose cached state was rewritten
  from events (visits.review_pending). The check-in path judges its visit at once
  and clears the flag; the pass picks up the rest (corrections, bulk loads).
"""
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, Alert, AlertKind, AlertStatus, MonitoringRule, Visit, VisitStatus,
)
from backend.models.base import UTCDateTime
from backend.services.database.dialect import (
    among, among_bound, dialect_name, insert_rows_ignoring_duplicates,
)
from backend.services.monitoring import rules
from backend.services.monitoring.notifications import about_visits
from backend.services.monitoring.rules import RULE_COLUMNS, Bound, Judgements, fixed, minutes_of


@dataclass(frozen=True)
class Scope:
    """What a pass looks at.

    `since`: the previous pass's instant (clock-driven kinds are judged for the
    tolerances crossed in [since, now)); None judges no clock-driven window.
    `changed_ids`: visits whose events changed, judged for every kind.
    """

    now: datetime
    lookback_start: datetime
    since: datetime | None = None
    changed_ids: tuple = ()
    values: dict = field(default_factory=dict)  # tolerance_values(), read once per pass


# What an alert's detail line and messages say of its visit (alert_lines.describe,
# notifications.about_visits): the planned start is among what the messages say.
_ALERT_VISIT = (Visit.planned_end, Visit.local_date, Visit.delivered_minutes,
                Visit.duration_min, Visit.carers_required, Visit.actual_start, Visit.actual_end)


def about_alert_visits(*columns) -> sa.Select:
    """SELECT visit_id, `columns`, and what alerts say of their visits (add the WHERE)."""
    return about_visits(*columns, *_ALERT_VISIT)


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


def values_key(values: dict) -> tuple:
    """The tolerance values as a hashable key: the statements they shape are cached by it."""
    return tuple((name, frozenset(values[name])) for name in RULE_COLUMNS)


def _values(key: tuple) -> dict:
    return {name: set(found) for name, found in key}


NOW = sa.bindparam("now", type_=UTCDateTime())  # the pass's instant (time_params)


def now_clock(values: dict) -> Bound:
    """The pass's clock at its instant: `upto_{v}` = now - v minutes (time_params)."""
    return Bound(values, "upto")


def _after(v: int):
    return sa.bindparam(f"after_{v}")  # since - v minutes (see time_params)


def floor_param(v: int):
    """Bind parameter: `floor` - v minutes, for an instant `floor` not after `since`."""
    return sa.bindparam(f"floor_{v}")


def _upto(v: int):
    return sa.bindparam(f"upto_{v}")  # now - v minutes


def status_is(column, status: VisitStatus):
    """SQL: the visit's status column holds `status`."""
    return column == fixed(status, column.type)


def _deadlines(values: dict) -> list[tuple]:
    """(visit status, instant column, tolerance values) of each deadline the clock can
    pass: late and missed after the planned start, missed at the planned end, no
    check-out after the planned end."""
    return [(VisitStatus.SCHEDULED, Visit.planned_start,
             values["late_after_min"] | values["missed_after_min"]),
            (VisitStatus.SCHEDULED, Visit.planned_end, {0}),
            (VisitStatus.IN_PROGRESS, Visit.planned_end, values["no_checkout_after_min"])]


def crossing_ranges(values: dict, after=_after) -> list[tuple]:
    """(instant column, SQL condition) of the index ranges that cover every tolerance's
    window since the last pass: a visit in one of them may have crossed a tolerance
    (`after`: floor_param for ranges from an instant not after `since`)."""
    ranges = []
    for status, instant, tolerances in _deadlines(values):
        minutes = minutes_of(tolerances)
        ranges.append((instant, sa.and_(
            status_is(Visit.status, status), instant >= sa.bindparam("lookback"),
            instant >= after(minutes[-1]), instant < _upto(minutes[0]))))
    return ranges


def crossing_windows(values: dict):
    """SQL: the visit may have crossed one of its deadlines since the last pass, a
    one-minute index range per tolerance value (narrower than crossing_ranges' covering
    ranges, which span from the largest value's window to the smallest's)."""
    lookback = sa.bindparam("lookback")
    return sa.or_(*(
        sa.and_(status_is(Visit.status, status), instant >= lookback, sa.or_(
            *(sa.and_(instant >= _after(v), instant < _upto(v)) for v in minutes_of(tolerances))))
        for status, instant, tolerances in _deadlines(values)))


def time_params(scope: Scope, values: dict, floor: datetime | None = None) -> dict:
    """The instants the cached statements take as bind parameters, for this pass
    (`floor`: an instant known not to be after the pass's `since`)."""
    params = {"lookback": scope.lookback_start, "now": scope.now,
              **now_clock(values).params(scope.now)}
    if scope.since is not None:
        params.update(Bound(values, "after").params(scope.since))
    if floor is not None:
        params.update(Bound(values, "floor").params(floor))
    return params


def _in_lookback(c, kind: AlertKind):
    """SQL: the visit is recent enough for the pass to judge this kind."""
    if kind in rules.CLOCK_KINDS:
        return c.planned_end >= sa.bindparam("lookback")
    return sa.true()


CHUNK = 2000  # visit ids per query (well inside every driver's parameter limit)


def crossed_query(values: dict):
    """(visit_id, kind, and what alerts say of the visit: about_alert_visits) of the late,
    missed and no-check-out alerts due since the last pass, and not yet raised (the
    statement for these tolerance values)."""
    return _crossed(values_key(values))


@lru_cache(maxsize=32)
def _crossed(key: tuple):
    """crossed_query, built once per set of tolerance values; the instants are bind
    parameters (time_params).

    One scan: the visits in the index ranges where some deadline fell since the last
    pass (a materialised CTE, so the planner weighs only those ranges); then the
    rulebook, with each visit's rule, decides which alert is due now, if any (a visit is
    due for one clock-driven kind at most: late only while not yet missed, no check-out
    only once started). Judging the tolerances in the scan's WHERE instead, as one OR
    of (rule = value and window) per kind and value, cost more to plan than to run.
    """
    values = _values(key)
    candidates = sa.select(Visit.id, Visit.status, Visit.planned_start, Visit.planned_end,
                           Visit.contract_id, Visit.priority).where(crossing_windows(values)
    ).cte("candidates").prefix_with("MATERIALIZED")
    c = candidates.c
    judge = Judgements(c, lambda name: rules.tolerance(name, c.priority))
    clock = now_clock(values)
    kind = sa.case(*((sa.and_(_in_lookback(c, due), judge.alert_due(due, clock)),
                      fixed(due.value)) for due in rules.CLOCK_KINDS))
    judged = rules.with_rule(sa.select(c.id, kind.label("kind")).select_from(candidates),
                             c.contract_id, c.priority
                             ).cte("judged").prefix_with("MATERIALIZED")
    # A probe of the (visit_id, kind) index per judged visit, as a scalar subquery with
    # LIMIT, which PostgreSQL runs as it is written: as NOT EXISTS it became a hash
    # anti-join that read every alert of the day to exclude the few already raised.
    existing = (sa.select(sa.literal(1)).where(Alert.visit_id == judged.c.id,
                                                Alert.kind == judged.c.kind)
                .limit(1).scalar_subquery())
    # With what the alerts will say of their visits, read by primary key for the few
    # found due, so raising them needs no read of its own.
    return about_alert_visits(judged.c.kind).join(judged, judged.c.id == Visit.id).where(
        judged.c.kind.is_not(None), existing.is_(None))


def changed_query(values: dict):
    """(visit_id, kind) of every alert due and not yet raised for the visits bound as "ids"."""
    return _changed(dialect_name(), values_key(values))


@lru_cache(maxsize=32)
def _changed(dialect: str, key: tuple):
    """changed_query, built once per database and set of tolerance values (a reaction
    runs it on a check-in that may raise something).

    The visits and their tolerances are read once (a CTE: one primary-key probe per
    id); each kind then filters those rows by the rulebook, and only its due ones probe
    the alerts.
    """
    values = _values(key)
    judged = rules.with_rule(sa.select(
        Visit.id, Visit.status, Visit.planned_start, Visit.planned_end, Visit.duration_min,
        Visit.carers_required, Visit.delivered_minutes, Visit.actual_start, Visit.actual_end,
        Visit.location_verified, Visit.priority,
        *(rules.tolerance(name).label(name) for name in RULE_COLUMNS)).select_from(Visit)
    ).where(among_bound(Visit.id, "ids")).cte("judged")
    c = judged.c
    judge = Judgements(c, lambda name: c[name])
    clock = now_clock(values)

    def due(kind: AlertKind):
        no_alert = ~sa.exists().where(Alert.visit_id == c.id, Alert.kind == kind)
        return sa.select(c.id.label("visit_id"), sa.literal(kind.value).label("kind")).where(
            _in_lookback(c, kind), judge.alert_due(kind, clock), no_alert)

    return sa.union_all(*(due(kind) for kind in rules.ALERT_KINDS))


def due_alerts(scope: Scope, crossed_rows: list = ()) -> list:
    """Rows (visit_id, kind) of every alert the scope makes due and that is not yet raised.

    `crossed_rows`: crossed_query's rows, read by the pass (none for a reaction).
    """
    values = scope.values
    found = list(crossed_rows)
    ids = scope.changed_ids
    params = time_params(scope, values) if ids else {}
    for start in range(0, len(ids), CHUNK):
        found += db.session.execute(changed_query(values),
                                    dict(params, ids=list(ids[start:start + CHUNK]))).all()
    return found


class Raised(NamedTuple):
    """The alerts a call created (rows of the alerts table: a busy minute raises a
    hundred, no ORM object is built for them), and what their messages say of their
    visits (notifications.about_visits rows by visit id)."""

    alerts: list
    about: dict


_VISITS = about_alert_visits()


def raise_alerts(scope: Scope, detail_for, crossed_rows: list = ()) -> Raised:
    """Insert every due alert once; returns the alerts this call created.

    `crossed_rows` (crossed_query's) carry what the alerts say of their visits; the
    other visits found due are read for it here."""
    found = due_alerts(scope, crossed_rows)
    if not found:
        return Raised([], {})
    visits = {row.visit_id: row for row in crossed_rows}
    unread = list({row.visit_id for row in found} - visits.keys())
    if unread:
        visits.update((v.visit_id, v) for v in db.session.execute(
            _VISITS.where(among(Visit.id, unread))))
    rows = []
    for row in found:
        kind = AlertKind(row.kind)
        rows.append(dict(
            id=uuid.uuid4(), visit_id=row.visit_id, kind=kind, status=AlertStatus.OPEN,
            raised_at=scope.now, detail=detail_for(kind, visits[row.visit_id]),
            escalated_at=scope.now if kind == AlertKind.MISSED else None))
    # A visit the rulebook finds missed is marked missed (its alert may stand already);
    # the mark goes in the alerts' own statement where the database can carry it.
    missed = [row["visit_id"] for row in rows if row["kind"] == AlertKind.MISSED]
    # RETURNING yields only the alerts actually inserted (a duplicate kind is skipped).
    created = insert_rows_ignoring_duplicates(
        Alert.__table__, rows, ["visit_id", "kind"], list(Alert.__table__.c),
        *((_mark_missed(dialect_name()), {"missed_ids": missed}) if missed else ()))
    for visit_id in missed:  # a visit object this session holds must read it again
        held = db.session.identity_map.get(sa.orm.util.identity_key(Visit, visit_id))
        if held is not None:
            db.session.expire(held)
    return Raised(created, visits)


@lru_cache(maxsize=2)
def _mark_missed(dialect: str) -> sa.Update:
    """The UPDATE marking visits (bound as "missed_ids") missed, built once per database."""
    return (sa.update(Visit.__table__)
            .where(among_bound(Visit.__table__.c.id, "missed_ids"),
                   Visit.__table__.c.status == fixed(VisitStatus.SCHEDULED, Visit.status.type))
            .values(status=fixed(VisitStatus.MISSED, Visit.status.type)))
