"""Call monitoring: the detection pass, reactions to arriving events, and escalation.

`run_detection(now)` is the scheduler's minute job. `react_to_visit_event(visit, now)`
is what the check-in service calls right after it applies an event and refreshes
the visit. Both raise due alerts, resolve the ones an arriving check-in or
check-out answers ("late, delivered"), and tell the right people (notifications.py).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, Alert, AlertKind, AlertStatus, MonitoringRule, SchedulerJobRun, Visit,
    VisitEvent, VisitStatus,
)
from backend.services.dates import clock
from backend.services.monitoring import concerns
from backend.services.monitoring.detection import (
    CHUNK, RULE_COLUMNS, Due, Scope, constant, crossed_query, crossing_ranges,
    default_tolerances, floor_param, raise_alerts, rule, time_params, tolerance_values,
    values_key,
)
from backend.services.monitoring.notifications import Audience, notify
from backend.services.database.dialect import (
    among, dialect_name, insert_ignoring_duplicates, writes_in_with,
)

JOB_NAME = "detection"
# With no earlier pass on record, visits whose events arrived in the last hour are
# judged too (e.g. the demo's bulk-loaded day, which no check-in reaction saw).
FIRST_PASS_EVENTS = timedelta(hours=1)
# The scheduler runs the pass every minute, so the last one is normally this recent;
# the starting read looks for work since then (see _starting_read).
USUAL_GAP = timedelta(minutes=2)
UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# Kinds that go to the funder when nobody has acknowledged them in time.
# (A concern escalates by its contract's own time: concerns.escalate_overdue.)
ESCALATING = (AlertKind.LATE, AlertKind.MISSED, AlertKind.SHORT, AlertKind.NO_CHECKOUT,
              AlertKind.EARLY_FINISH)


@dataclass
class DetectionResult:
    """What one pass did, by kind."""

    raised: dict = field(default_factory=dict)
    resolved: int = 0
    escalated: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        """Plain summary for logs and the job record."""
        return {"raised": self.raised, "resolved": self.resolved,
                "escalated": self.escalated, "notifications": self.notifications}


def _hhmm(instant: datetime | None) -> str:
    return instant.astimezone(clock.zone()).strftime("%H:%M") if instant else "?"


# One line a manager can act on, per kind: {planned} is the visit's planned times and day.
_DESCRIPTIONS = {
    AlertKind.LATE: lambda v, planned: f"No check-in yet for the visit planned {planned}.",
    AlertKind.MISSED: lambda v, planned: f"Missed: nobody checked in for the visit planned "
                                         f"{planned}.",
    AlertKind.SHORT: lambda v, planned: f"Short call: {v.delivered_minutes} of "
                                        f"{v.duration_min} minutes delivered ({planned}).",
    AlertKind.NO_CHECKOUT: lambda v, planned: f"Checked in at {_hhmm(v.actual_start)} but not "
                                              f"checked out; planned {planned}.",
    AlertKind.EARLY_FINISH: lambda v, planned: f"Finished at {_hhmm(v.actual_end)}, before "
                                               f"the planned end ({planned}).",
    AlertKind.LOCATION_UNVERIFIED: lambda v, planned: f"Check-in location not verified at the "
                                                      f"home ({planned}).",
}


def describe(kind: AlertKind, visit: Visit) -> str:
    """One line a manager can act on (only the kind's own line is written: a national
    minute describes a hundred alerts)."""
    planned = f"{_hhmm(visit.planned_start)}-{_hhmm(visit.planned_end)} on {visit.local_date}"
    line = _DESCRIPTIONS.get(kind)
    return line(visit, planned) if line else f"Alert for the visit planned {planned}."


def _lookback(now: datetime) -> datetime:
    return now - timedelta(hours=current_app.config.get("MONITORING_LOOKBACK_HOURS", 24))


def _pending_review(now: datetime, flagged: set, first_pass: bool) -> tuple:
    """The visits to judge for every kind: those flagged (read by _starting_point) and,
    on a first pass, those whose events arrived in the last hour."""
    ids = set(flagged)
    if first_pass:
        ids.update(db.session.scalars(sa.select(VisitEvent.visit_id).where(
            VisitEvent.server_time >= max(_lookback(now), now - FIRST_PASS_EVENTS))))
    return tuple(sorted(ids))


_STARTING: dict = {}  # _starting_read statements by dialect and tolerance values
_TOLERANCES: dict = {}  # by database: the tolerance values the last starting read found


def _starting_read(values: dict):
    """One statement (built once per set of tolerance values): the job-run row
    outer-joined to the distinct rule rows, with whether anything may be due; then one
    row per visit flagged for review (visits.review_pending).

    "Maybe due": a visit in the index ranges that cover every tolerance's window since
    the bound instant `floor` (USUAL_GAP ago), or an open unacknowledged alert in the
    age range that covers every escalation time. When neither, and the last pass was
    not before `floor` and `values` still hold, the judgement read would find nothing
    and is not run: an empty pass is then this one round trip, for on PostgreSQL a
    data-modifying CTE records the pass too (as an empty one; _record_run rewrites
    the summary of a pass that did something). PostgreSQL runs that UPDATE whether
    or not anything reads it; it holds the job-run row until the pass commits, so a
    second scheduler started by mistake (without the lease) waits there.

    The flagged visits are locked until the pass commits. SKIP LOCKED (PostgreSQL):
    a visit a check-in request holds is judged by that request's own reaction, or
    left flagged for the next pass.
    """
    key = (dialect_name(), values_key(values))
    if key in _STARTING:
        return _STARTING[key]
    runs = SchedulerJobRun.__table__
    rule_columns = [getattr(MonitoringRule, n) for n in RULE_COLUMNS]
    rules = sa.select(*rule_columns).distinct().subquery()
    job = sa.select(constant(JOB_NAME).label("name")).subquery()
    escalating = sorted(values["escalate_after_min"])
    # The first instant in each range (an index read that stops at the first row) and
    # a count, not EXISTS: after five runs psycopg prepares the statement, and a
    # generic plan would weigh EXISTS as a sequential scan that stops early.
    maybe_due = sa.or_(
        *(sa.select(sa.func.min(instant)).where(condition).scalar_subquery().is_not(None)
          for instant, condition in crossing_ranges(values, after=floor_param)),
        sa.select(sa.func.count()).where(
            Alert.status == constant(AlertStatus.OPEN), Alert.escalated_at.is_(None),
            Alert.kind.in_([constant(kind) for kind in ESCALATING]),
            Alert.raised_at > floor_param(escalating[-1]),
            Alert.raised_at <= sa.bindparam(f"upto_{escalating[0]}")).scalar_subquery()
        > constant(0))
    settings = (sa.select(runs.c.last_run_at, *rules.c, maybe_due.label("maybe_due"),
                          sa.cast(sa.null(), Visit.id.type).label("flagged_id"))
                .select_from(job).outerjoin(runs, runs.c.name == job.c.name)
                .outerjoin(rules, sa.true()))
    flagged = sa.select(Visit.id).where(Visit.review_pending).with_for_update(
        skip_locked=True).subquery()
    statement = sa.union_all(settings, sa.select(
        *([sa.null()] * (2 + len(rule_columns))), flagged.c.id))
    if writes_in_with():
        statement = statement.add_cte(_RECORD_RUN.cte("recorded"))
    _STARTING[key] = statement
    return statement


@dataclass
class StartingPoint:
    """What the starting read found."""

    last_run_at: datetime | None
    values: dict
    flagged: set
    maybe_due: bool


def _starting_point(now: datetime, lookback: datetime, floor: datetime) -> StartingPoint:
    """The last pass's instant (None before the first), the tolerance values, the
    flagged visits and whether anything may be due since `floor`, in one round trip.

    The statement is the one for the tolerance values the last pass found here: they
    shape it, and it reads them again, so a rule changed anywhere (another process
    included) is in force from the next pass.
    """
    database = str(db.session.get_bind().url)
    assumed = _TOLERANCES.get(database) or default_tolerances()
    params = dict(time_params(Scope(now=now, lookback_start=lookback), assumed, floor),
                  instant=now, finished=clock.now(), summary=EMPTY_SUMMARY)
    found = StartingPoint(None, default_tolerances(), set(), False)
    for row in db.session.execute(_starting_read(assumed), params):
        if row.flagged_id is not None:
            found.flagged.add(row.flagged_id)
            continue
        found.last_run_at, found.maybe_due = row.last_run_at, row.maybe_due
        if row.late_after_min is not None:  # else no rule rows (a rule always has one)
            for name in RULE_COLUMNS:
                found.values[name].add(getattr(row, name))
    _TOLERANCES[database] = found.values
    if values_key(found.values) != values_key(assumed):
        found.maybe_due = True  # the read looked with other tolerances
    return found


def _scope(now: datetime) -> tuple[Scope, bool, bool]:
    """The scheduler's pass: tolerances crossed since the last pass, and flagged visits;
    whether no pass is on record yet; whether the judgement read may find something."""
    lookback = _lookback(now)
    floor = max(lookback, now - USUAL_GAP)
    start = _starting_point(now, lookback, floor)
    since = lookback if start.last_run_at is None else max(lookback, min(start.last_run_at, now))
    first_pass = start.last_run_at is None
    scope = Scope(now=now, lookback_start=lookback, since=since,
                  changed_ids=_pending_review(now, start.flagged, first_pass),
                  values=start.values)
    return scope, first_pass, start.maybe_due or since < floor


def _resolution(alert: Alert, visit: Visit) -> str | None:
    """Why an unresolved alert is answered by the visit's events, or None."""
    if alert.kind in (AlertKind.LATE, AlertKind.MISSED) and visit.actual_start is not None:
        minutes = round((visit.actual_start - visit.planned_start).total_seconds() / 60)
        when = f"checked in at {_hhmm(visit.actual_start)}, {minutes} min after planned start"
        return f"late, delivered: {when}" if alert.kind == AlertKind.MISSED else when
    if alert.kind == AlertKind.NO_CHECKOUT and visit.actual_end is not None:
        return f"checked out at {_hhmm(visit.actual_end)}"
    if alert.kind == AlertKind.LOCATION_UNVERIFIED and visit.location_verified:
        return "location accepted by a correction"
    return None


def reconcile(scope: Scope) -> int:
    """Resolve unresolved alerts that arriving events have answered; history is kept.

    Only visits whose events changed (scope.changed_ids) can have been answered.
    """
    if not scope.changed_ids:
        return 0
    answered = sa.or_(
        sa.and_(Alert.kind.in_([AlertKind.LATE, AlertKind.MISSED]),
                Visit.actual_start.is_not(None)),
        sa.and_(Alert.kind == AlertKind.NO_CHECKOUT, Visit.actual_end.is_not(None)),
        sa.and_(Alert.kind == AlertKind.LOCATION_UNVERIFIED, Visit.location_verified.is_(True)))
    query = (sa.select(Alert, Visit).join(Visit, Visit.id == Alert.visit_id)
             .where(Alert.status.in_(UNRESOLVED), answered))
    rows = []
    for start in range(0, len(scope.changed_ids), CHUNK):
        rows += db.session.execute(query.where(
            among(Alert.visit_id, scope.changed_ids[start:start + CHUNK]))).all()
    count = 0
    for alert, visit in rows:
        text = _resolution(alert, visit)
        if text is None:
            continue
        alert.status, alert.resolved_at, alert.resolution = AlertStatus.RESOLVED, scope.now, text
        count += 1
    db.session.flush()
    return count


ESCALATE = "escalate"  # the kind column of _judgement_read's overdue-alert rows
EMPTY_SUMMARY = {"raised": {}, "resolved": 0, "escalated": 0, "notifications": 0}
_JUDGEMENT: dict = {}  # by tolerance values: built once


def _overdue(values: set):
    """SELECT (alert id, ESCALATE) of the open alerts nobody acknowledged in time.

    The unacknowledged alerts in the covering age range are read first (a
    materialised CTE, indexed by status, kind and age); their rule then decides
    which are overdue, so the planner never weighs the OR of rule values against
    the indexes (which cost more than running the statement).
    """
    key = tuple(sorted(values))
    unacknowledged = (
        sa.select(Alert.id, Alert.raised_at, Visit.contract_id, Visit.priority)
        .join(Visit, Visit.id == Alert.visit_id)
        .where(Alert.status == constant(AlertStatus.OPEN), Alert.escalated_at.is_(None),
               Alert.kind.in_([constant(kind) for kind in ESCALATING]),
               Alert.raised_at > sa.bindparam("raised_after"),
               Alert.raised_at <= sa.bindparam(f"upto_{key[0]}"))
        .cte("unacknowledged").prefix_with("MATERIALIZED"))
    c = unacknowledged.c
    return sa.select(c.id, constant(ESCALATE)).select_from(unacknowledged.outerjoin(
        MonitoringRule, sa.and_(MonitoringRule.contract_id == c.contract_id,
                                MonitoringRule.priority == c.priority))).where(sa.or_(
        *(sa.and_(rule("escalate_after_min", priority=c.priority) == constant(v),
                  c.raised_at <= sa.bindparam(f"upto_{v}")) for v in key)))


def _judgement_read(scope: Scope) -> tuple[list, list]:
    """One statement for the clock's work: (visit_id, kind) of the late, missed and
    no-check-out alerts due since the last pass, and the ids of the alerts overdue
    for escalation (rows whose kind is ESCALATE). Run only when the starting read
    says something may be due."""
    values = scope.values
    key = (values_key(values), dialect_name())
    if key not in _JUDGEMENT:
        _JUDGEMENT[key] = sa.union_all(crossed_query(values),
                                       _overdue(values["escalate_after_min"]))
    params = dict(time_params(scope, values), raised_after=scope.since - timedelta(
        minutes=max(values["escalate_after_min"])))
    crossed, overdue = [], []
    for row in db.session.execute(_JUDGEMENT[key], params):
        if row.kind == ESCALATE:
            overdue.append(row.visit_id)  # an alert's id in this column
        else:
            crossed.append(Due(row.visit_id, row.kind))
    return crossed, overdue


def escalate(scope: Scope, overdue_ids: list) -> list[Alert]:
    """Mark the overdue alerts (read by _judgement_read) escalated; returns them.

    Only those still open and unescalated: this pass may have resolved one since.
    """
    if not overdue_ids:
        return []
    ids = [row.id for row in db.session.execute(
        sa.update(Alert).where(among(Alert.id, overdue_ids), Alert.status == AlertStatus.OPEN,
                               Alert.escalated_at.is_(None))
        .values(escalated_at=scope.now).returning(Alert.id)
        .execution_options(synchronize_session=False))]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Alert).where(among(Alert.id, ids))
                                   .execution_options(populate_existing=True)))


def _pass(scope: Scope, crossed_rows: list = ()) -> DetectionResult:
    result = DetectionResult()
    result.resolved += reconcile(scope)
    created = raise_alerts(scope, describe, crossed_rows)
    for alert in created.alerts:
        result.raised[alert.kind.value] = result.raised.get(alert.kind.value, 0) + 1
    result.notifications += notify(created.alerts, Audience.RAISED, scope.now, created.about)
    return result


def _reviewed(visit_ids: tuple) -> None:
    """Clear the review flag of the visits this pass judged (locked by _starting_read)."""
    if not visit_ids:
        return
    for start in range(0, len(visit_ids), CHUNK):
        db.session.execute(
            sa.update(Visit).where(among(Visit.id, visit_ids[start:start + CHUNK]),
                                   Visit.review_pending)
            .values(review_pending=False).execution_options(synchronize_session=False))
    judged = set(visit_ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Visit) and obj.id in judged:
            db.session.expire(obj, ["review_pending"])  # a later refresh must write it again


def run_detection(now: datetime | None = None) -> DetectionResult:
    """The minute job: resolve, raise, escalate and notify, for every visit in the window."""
    now = now or clock.now()
    scope, first_pass, maybe_due = _scope(now)
    crossed, overdue = _judgement_read(scope) if maybe_due else ([], [])
    result = _pass(scope, crossed)
    _reviewed(scope.changed_ids)
    escalated = escalate(scope, overdue) + concerns.escalate_overdue(now)
    result.escalated = len(escalated)
    result.notifications += notify(escalated, Audience.ESCALATED, now)
    if first_pass or not writes_in_with() or result.as_dict() != EMPTY_SUMMARY:
        _record_run(now, result, first_pass)
    else:
        _forget_job_run()  # recorded by the starting read
    return result


def react_to_visit_event(visit: Visit, now: datetime | None = None) -> DetectionResult:
    """Call right after applying a visit event and visit_state.refresh(visit).

    Resolves the late/missed alert a check-in answers (an offline check-in after a
    missed alert makes it "late, delivered"), and raises short, early-finish and
    location alerts for this visit at once; the visit then needs no review by the
    next pass. Flushes, never commits.
    """
    now = now or clock.now()
    if visit.review_pending is not False:  # the check-in path's refresh wrote it already
        visit.review_pending = False
    db.session.flush()
    if visit.status == VisitStatus.CANCELLED or not _may_react(visit, now):
        return DetectionResult()
    return _pass(Scope(now=now, lookback_start=_lookback(now), changed_ids=(visit.id,),
                       values=tolerance_values()))


def _may_react(visit: Visit, now: datetime) -> bool:
    """reaction_needed() for a visit of the session: its alerts read by the (visit_id,
    kind) index and, only when a kind may be due, its monitoring rule row, so the usual
    event (on time, in the home) skips the rule query."""
    if visit.status in (VisitStatus.SCHEDULED, VisitStatus.MISSED):
        return True  # as reaction_needed() answers, without reading the alerts
    alerts = dict(db.session.connection().execute(_VISIT_ALERTS, {"visit_id": visit.id}).all())
    return reaction_needed(visit, now, alerts, lambda: _rules_for(visit))


def reaction_needed(visit, now: datetime, alerts: dict, rules) -> bool:
    """False when the full pass could neither raise nor resolve an alert for this visit.

    `visit`: its refreshed state columns (status, location_verified, planned_end,
    duration_min, delivered_minutes, actual_end); `alerts`: its alerts' status by kind;
    `rules()`: its tolerances, asked for only when a kind may be due. Each test is a
    necessary condition of the pass's SQL, a minute generous at the boundaries; when
    in doubt the pass runs.
    """
    if visit.status in (VisitStatus.SCHEDULED, VisitStatus.MISSED):
        return True  # late and missed are the pass's business
    if any(status in UNRESOLVED for status in alerts.values()):
        return True  # the pass may resolve it
    if visit.location_verified is False and AlertKind.LOCATION_UNVERIFIED not in alerts:
        return True
    due = _due_with_tolerance(visit, now, tolerance=lambda name: 0)
    if not (due - alerts.keys()):
        return False
    return bool(_due_with_tolerance(visit, now, tolerance=rules().get) - alerts.keys())


def _due_with_tolerance(visit: Visit, now: datetime, tolerance) -> set[AlertKind]:
    """Time-based kinds that may be due, given each tolerance in minutes."""
    slack = timedelta(minutes=1)  # SQL compares fractional minutes; never miss by rounding
    due = set()
    if visit.status == VisitStatus.IN_PROGRESS and visit.planned_end <= (
            now - timedelta(minutes=tolerance("no_checkout_after_min")) + slack):
        due.add(AlertKind.NO_CHECKOUT)
    if visit.status == VisitStatus.COMPLETED:
        if visit.delivered_minutes is not None and (
                visit.delivered_minutes < visit.duration_min - tolerance("short_margin_min")):
            due.add(AlertKind.SHORT)
        if visit.actual_end is not None and visit.planned_end - visit.actual_end > (
                timedelta(minutes=tolerance("early_finish_min")) - slack):
            due.add(AlertKind.EARLY_FINISH)
    return due


# Built once and run on the connection (the caller has flushed): these run on every
# check-in and check-out, where building the statement and the ORM's execution layer
# cost more than the query.
_VISIT_ALERTS = sa.select(Alert.kind, Alert.status).where(
    Alert.visit_id == sa.bindparam("visit_id"))
# The tolerances a reaction to one event may need (_due_with_tolerance).
REACTION_TOLERANCES = ("short_margin_min", "early_finish_min", "no_checkout_after_min")
_VISIT_RULES = (
    sa.select(*(getattr(MonitoringRule, name) for name in REACTION_TOLERANCES))
    .where(MonitoringRule.contract_id == sa.bindparam("contract_id"),
           MonitoringRule.priority == sa.bindparam("priority")))


def _rules_for(visit: Visit) -> dict:
    """The visit's tolerances: its contract's rule row for its priority, else the defaults."""
    row = db.session.connection().execute(
        _VISIT_RULES, {"contract_id": visit.contract_id, "priority": visit.priority}).first()
    return tolerances(None if row is None else row._mapping, visit.priority)


def tolerances(rule, priority) -> dict:
    """The REACTION_TOLERANCES of a rule row (a mapping), or the defaults for the
    priority when the contract has no rule for it (None)."""
    if rule is None:
        return dict(DEFAULT_RULES[priority])
    return {name: rule[name] for name in REACTION_TOLERANCES}


_RUNS = SchedulerJobRun.__table__
_INSTANT = sa.bindparam("instant", type_=_RUNS.c.last_run_at.type)
# The pass's instant never moves the recorded one back (two schedulers by mistake).
_RECORD_RUN = sa.update(_RUNS).where(_RUNS.c.name == constant(JOB_NAME)).values(
    last_run_at=sa.case((_RUNS.c.last_run_at < _INSTANT, _INSTANT), else_=_RUNS.c.last_run_at),
    last_finished_at=sa.bindparam("finished", type_=_RUNS.c.last_finished_at.type),
    last_summary=sa.bindparam("summary", type_=_RUNS.c.last_summary.type))


def _record_run(now: datetime, result: DetectionResult, first_pass: bool) -> None:
    """Write this pass's instant and summary: one UPDATE (on PostgreSQL the starting read
    has recorded the pass as an empty one: this is for a first pass, or one that did
    something, or SQLite)."""
    if first_pass:
        # Maybe a first pass; another scheduler started by mistake may be recording its
        # own at the same moment: insert if absent (waits for it), then update what stands.
        db.session.execute(
            insert_ignoring_duplicates(_RUNS, ["name"]),
            [dict(name=JOB_NAME, last_run_at=now, last_finished_at=clock.now(),
                  last_summary={})])
    db.session.execute(_RECORD_RUN, dict(instant=now, finished=clock.now(),
                                         summary=result.as_dict()))
    _forget_job_run()


def _forget_job_run() -> None:
    """Expire a loaded job-run object: the row was written in SQL."""
    held = db.session.identity_map.get(sa.orm.util.identity_key(SchedulerJobRun, JOB_NAME))
    if held is not None:
        db.session.expire(held)
