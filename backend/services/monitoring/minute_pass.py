"""The minute pass's reads and its record: where the pass starts, what the clock made due.

The pass starts with one read (starting_read): its last instant, the tolerance values
in use, the visits flagged for review and whether anything may be due at all; then,
only if something may, one judgement read (judgement_read) of the late, missed and
no-check-out alerts the clock made due and the alerts overdue for escalation. Each
statement is built once per set of tolerance values in use.
"""
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import MonitoringRule, SchedulerJobRun, Visit, VisitEvent
from backend.services.database.dialect import (
    among, dialect_name, insert_ignoring_duplicates, read_and_write,
)
from backend.services.dates import clock
from backend.services.monitoring.detection import (
    CHUNK, Scope, crossed_query, crossing_ranges, default_tolerances, floor_param,
    time_params, values_key,
)
from backend.services.monitoring.escalation import (
    ESCALATE, overdue, overdue_concerns, unacknowledged,
)
from backend.services.monitoring.rules import RULE_COLUMNS, fixed, minutes_of

JOB_NAME = "detection"
# With no earlier pass on record, visits whose events arrived in the last hour are
# judged too (e.g. the demo's bulk-loaded day, which no check-in reaction saw).
FIRST_PASS_EVENTS = timedelta(hours=1)
# The scheduler runs the pass every minute, so the last one is normally this recent;
# the starting read looks for work since then (see starting_read).
USUAL_GAP = timedelta(minutes=2)
EMPTY_SUMMARY = {"raised": {}, "resolved": 0, "escalated": 0, "notifications": 0}

_RUNS = SchedulerJobRun.__table__
_INSTANT = sa.bindparam("instant", type_=_RUNS.c.last_run_at.type)
# The pass's instant never moves the recorded one back (two schedulers by mistake).
_RECORD_RUN = sa.update(_RUNS).where(_RUNS.c.name == fixed(JOB_NAME)).values(
    last_run_at=sa.case((_RUNS.c.last_run_at < _INSTANT, _INSTANT), else_=_RUNS.c.last_run_at),
    last_finished_at=sa.bindparam("finished", type_=_RUNS.c.last_finished_at.type),
    last_summary=sa.bindparam("summary", type_=_RUNS.c.last_summary.type))


def lookback_start(now: datetime) -> datetime:
    """The oldest instant a pass looks at (MONITORING_LOOKBACK_HOURS before now)."""
    return now - timedelta(hours=current_app.config.get("MONITORING_LOOKBACK_HOURS", 24))


def _pending_review(now: datetime, flagged: set, first_pass: bool) -> tuple:
    """The visits to judge for every kind: those flagged (read by starting_point) and,
    on a first pass, those whose events arrived in the last hour."""
    ids = set(flagged)
    if first_pass:
        ids.update(db.session.scalars(sa.select(VisitEvent.visit_id).where(
            VisitEvent.server_time >= max(lookback_start(now), now - FIRST_PASS_EVENTS))))
    return tuple(sorted(ids))


@lru_cache(maxsize=32)
def starting_read(dialect: str, key: tuple) -> tuple:
    """(statement, recorded): one statement, built once per database and set of
    tolerance values: the job-run row outer-joined to the distinct rule rows, with
    whether anything may be due; then one row per visit flagged for review
    (visits.review_pending). `recorded`: whether the statement also records the pass.

    "Maybe due": a visit in the index ranges that cover every deadline since the bound
    instant `floor` (USUAL_GAP ago), an open unacknowledged alert in the age range that
    covers every escalation time, or a carer's concern overdue. When none, and the last
    pass was not before `floor` and the values still hold, the judgement read would find
    nothing and is not run: a quiet minute is then this one round trip, for where the
    database can write in a WITH clause (dialect.read_and_write) the statement records
    the pass too, as an empty one (record_run rewrites the summary of a pass that did
    something).
    That UPDATE holds the job-run row until the pass commits, so a second scheduler
    started by mistake (without the lease) waits there.

    The flagged visits are locked until the pass commits. SKIP LOCKED (PostgreSQL):
    a visit a check-in request holds is judged by that request's own reaction, or
    left flagged for the next pass.
    """
    values = {name: set(found) for name, found in key}
    rule_columns = [getattr(MonitoringRule, n) for n in RULE_COLUMNS]
    rules = sa.select(*rule_columns).distinct().subquery()
    job = sa.select(fixed(JOB_NAME).label("name")).subquery()
    escalating = minutes_of(values["escalate_after_min"])
    # The first instant in each range (an index read that stops at the first row) and
    # a count, not EXISTS: once psycopg prepares the statement, a generic plan would
    # weigh EXISTS as a sequential scan that stops early.
    maybe_due = sa.or_(
        *(sa.select(sa.func.min(instant)).where(condition).scalar_subquery().is_not(None)
          for instant, condition in crossing_ranges(values, after=floor_param)),
        sa.select(sa.func.count()).where(unacknowledged(
            floor_param(escalating[-1]), sa.bindparam(f"upto_{escalating[0]}"))
        ).scalar_subquery() > fixed(0),
        sa.select(sa.func.count()).select_from(overdue_concerns().subquery())
        .scalar_subquery() > fixed(0))
    settings = (sa.select(_RUNS.c.last_run_at, *rules.c, maybe_due.label("maybe_due"),
                          sa.cast(sa.null(), Visit.id.type).label("flagged_id"))
                .select_from(job).outerjoin(_RUNS, _RUNS.c.name == job.c.name)
                .outerjoin(rules, sa.true()))
    flagged = sa.select(Visit.id).where(Visit.review_pending).with_for_update(
        skip_locked=True).subquery()
    statement = sa.union_all(settings, sa.select(
        *([sa.null()] * (2 + len(rule_columns))), flagged.c.id))
    return read_and_write(statement, _RECORD_RUN, "recorded")


@dataclass
class PassStart:
    """Where a pass starts: its scope, whether no pass is on record yet, whether the
    judgement read may find something, and whether the starting read recorded it."""

    scope: Scope
    first_pass: bool
    maybe_due: bool
    recorded: bool


# By database engine: the tolerance values the last starting read found there.
_TOLERANCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def start_pass(now: datetime) -> PassStart:
    """The starting read, in one round trip: the last pass's instant (None before the
    first), the tolerance values, the flagged visits and whether anything may be due.

    The statement is the one for the tolerance values the last pass found here: they
    shape it, and it reads them again, so a rule changed anywhere (another process
    included) is in force from the next pass.
    """
    lookback = lookback_start(now)
    floor = max(lookback, now - USUAL_GAP)
    engine = db.session.get_bind()
    assumed = _TOLERANCES.get(engine) or default_tolerances()
    statement, recorded = starting_read(dialect_name(), values_key(assumed))
    params = dict(time_params(Scope(now=now, lookback_start=lookback), assumed, floor),
                  instant=now, finished=clock.now(), summary=EMPTY_SUMMARY)
    last_run_at, maybe_due, flagged = None, False, set()
    values = default_tolerances()
    for row in db.session.execute(statement, params):
        if row.flagged_id is not None:
            flagged.add(row.flagged_id)
            continue
        last_run_at, maybe_due = row.last_run_at, row.maybe_due
        if row.late_after_min is not None:  # else no rule rows (a rule always has one)
            for name in RULE_COLUMNS:
                values[name].add(getattr(row, name))
    _TOLERANCES[engine] = values
    if values_key(values) != values_key(assumed):
        maybe_due = True  # the read looked with other tolerances
    first_pass = last_run_at is None
    since = lookback if first_pass else max(lookback, min(last_run_at, now))
    scope = Scope(now=now, lookback_start=lookback, since=since,
                  changed_ids=_pending_review(now, flagged, first_pass), values=values)
    return PassStart(scope, first_pass, bool(maybe_due) or since < floor, recorded)


@lru_cache(maxsize=32)
def _judgement(key: tuple):
    values = {name: set(found) for name, found in key}
    crossed = crossed_query(values)
    # The overdue alerts' rows are (alert id, ESCALATE), padded to the crossed rows' width.
    padding = [sa.null()] * (len(crossed.selected_columns) - 2)
    return sa.union_all(crossed, overdue(values).add_columns(*padding),
                        overdue_concerns().add_columns(*padding))


def judgement_read(scope: Scope) -> tuple[list, list]:
    """One statement for the clock's work: the late, missed and no-check-out alerts due
    since the last pass (rows of crossed_query: visit_id, kind and what the alerts say
    of the visit), and the ids of the alerts (concerns included) overdue for escalation
    (rows whose kind is ESCALATE). Run only when the starting read says something may
    be due."""
    values = scope.values
    params = dict(time_params(scope, values), raised_after=scope.since - timedelta(
        minutes=max(minutes_of(values["escalate_after_min"]))))
    crossed, overdue_ids = [], []
    for row in db.session.execute(_judgement(values_key(values)), params):
        if row.kind == ESCALATE:
            overdue_ids.append(row.visit_id)  # an alert's id in this column
        else:
            crossed.append(row)
    return crossed, overdue_ids


def reviewed(visit_ids: tuple) -> None:
    """Clear the review flag of the visits this pass judged (locked by starting_read)."""
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


def record_run(now: datetime, summary: dict, first_pass: bool) -> None:
    """Write this pass's instant and summary: one UPDATE (where the starting read has
    recorded the pass as an empty one, this is for a first pass or one that did
    something)."""
    if first_pass:
        # Maybe a first pass; another scheduler started by mistake may be recording its
        # own at the same moment: insert if absent (waits for it), then update what stands.
        db.session.execute(
            insert_ignoring_duplicates(_RUNS, ["name"]),
            [dict(name=JOB_NAME, last_run_at=now, last_finished_at=clock.now(),
                  last_summary={})])
    db.session.execute(_RECORD_RUN, dict(instant=now, finished=clock.now(), summary=summary))
    forget_job_run()


def forget_job_run() -> None:
    """Expire a loaded job-run object: the row was written in SQL."""
    held = db.session.identity_map.get(sa.orm.util.identity_key(SchedulerJobRun, JOB_NAME))
    if held is not None:
        db.session.expire(held)
