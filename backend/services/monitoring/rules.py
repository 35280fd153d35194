"""The rulebook: when a visit is late, missed, punctual, short, finished early, left
without a check-out, or verified in the home. Each judgement is defined here, once.

Tolerances. A visit is judged by its contract's monitoring rule for the visit's own
priority (a monitoring_rules row); when the contract has no row for that priority, by
DEFAULT_RULES for that priority, so a time-critical call keeps its tighter defaults.
A tolerance of N minutes allows N minutes: "more than N minutes after" is false at N.

The judgements (a cancelled visit is never judged):
- late: the first carer checked in more than late_after_min after the planned start
  (or nobody has, and the clock is past that), or only after the missed point.
- missed: nobody has checked in or reported no access, and the missed point has passed:
  missed_after_min after the planned start, or the planned end when the rule sets none.
- punctual: started, and not late.
- short: completed, and the carer-minutes delivered (visits.delivered_minutes, the sum
  over the carers who attended) fall below the planned carer-minutes (duration_min x
  carers_required) by more than short_margin_min for each carer required:

      delivered_minutes < (duration_min - short_margin_min) x carers_required

  A 30-minute double-up where each carer stays 10 minutes (20 carer-minutes) is short.
  A double-up attended by one carer is short when that carer's minutes fall below the
  allowance for two: a 45-minute call (normal, 15-minute margin) is short below 60
  carer-minutes, so one carer staying all 45 is short; a time-critical 30-minute call
  (10-minute margin) is short below 40. A normal 30-minute double-up is short below 30:
  its margin of 15 minutes for each carer covers one carer's whole visit, so one carer
  staying all 30 minutes is not short under the default rule.
- early finish: completed, and the last carer checked out (actual_end) more than
  early_finish_min before the planned end.
- no check-out: started, someone has not checked out, and the planned end is more than
  no_checkout_after_min ago.
- location verified (in the home): every carer's check-in location was verified; not
  verified: one was not. A check-in with no location, or a geofence off, is not judged.

Alerts follow from the judgements (alert_due): late only while nobody has checked in
and the visit is not yet missed; missed, no check-out, short, early finish and location
not verified as judged. Escalation waits escalate_after_min after an alert is raised.

In SQL, Judgements(visit, tolerance) gives each judgement as an expression over a
visit's columns and its tolerance lookup, used by the detection pass, the quality report,
the board and the drill-downs. "More than N minutes after" is asked of a clock: At(an
instant in SQL) for reports and pages, or Bound(the tolerance values) for the detection
pass, where the instant is bound once per tolerance value so each judgement is a range
on the visit's indexed times. In Python, verdicts() judges one visit in memory (the
check-in reaction) by the same rules: tests/test_rulebook_property.py holds them together.
"""
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.models import (
    DEFAULT_RULES, AlertKind, MonitoringRule, Priority, Visit, VisitStatus,
)
from backend.models.base import UTCDateTime
from backend.services.database.dialect import later_by_more_than

RULE_COLUMNS = ("late_after_min", "missed_after_min", "short_margin_min", "early_finish_min",
                "no_checkout_after_min", "escalate_after_min")
LATE, MISSED, PUNCTUAL, SHORT = "late", "missed", "punctual", "short"
EARLY_FINISH, NO_CHECKOUT = "early_finish", "no_checkout"
LOCATION_VERIFIED, LOCATION_UNVERIFIED = "location_verified", "location_unverified"
JUDGEMENTS = (LATE, MISSED, PUNCTUAL, SHORT, EARLY_FINISH, NO_CHECKOUT, LOCATION_VERIFIED,
              LOCATION_UNVERIFIED)
# Nobody has checked in: still to come, or judged missed already.
WAITING = (VisitStatus.SCHEDULED, VisitStatus.MISSED)
# The alerts the rulebook raises, in the order a visit's one clock-driven kind is chosen.
ALERT_KINDS = (AlertKind.MISSED, AlertKind.LATE, AlertKind.NO_CHECKOUT, AlertKind.SHORT,
               AlertKind.EARLY_FINISH, AlertKind.LOCATION_UNVERIFIED)
CLOCK_KINDS = (AlertKind.MISSED, AlertKind.LATE, AlertKind.NO_CHECKOUT)


# --- Tolerances ------------------------------------------------------------------------

def fixed(value, type_=None):
    """SQL: a value from code (a default tolerance, a status) written into the statement as
    SQLAlchemy renders it as a literal (quoting and escaping are SQLAlchemy's), once, when
    the statement is built; None is NULL. The pass's statements are built once and run
    every minute, so their constants are neither parameters to send nor literals to
    render again at each run."""
    if value is None:
        return sa.null()
    literal = sa.literal(value, type_)
    rendered = literal.compile(compile_kwargs={"literal_binds": True})
    return sa.literal_column(str(rendered), literal.type)


def with_rule(query, contract_id=Visit.contract_id, priority=Visit.priority):
    """Outer-join a query to the monitoring rule of the visit's contract and priority."""
    return query.outerjoin(MonitoringRule, sa.and_(MonitoringRule.contract_id == contract_id,
                                                   MonitoringRule.priority == priority))


def tolerance(name: str, priority=Visit.priority):
    """SQL: the tolerance for this visit: its contract's rule row for its priority (outer-
    joined by with_rule()), else DEFAULT_RULES for its priority. `priority`: the visit's
    priority column (a CTE's copy of it, if the visit is read from one)."""
    default = sa.case(
        *((priority == fixed(p, priority.type), fixed(DEFAULT_RULES[p][name]))
          for p in Priority if p != Priority.NORMAL),
        else_=fixed(DEFAULT_RULES[Priority.NORMAL][name]))
    return sa.case((MonitoringRule.id.is_(None), default), else_=getattr(MonitoringRule, name))


def tolerances(rule: Mapping | None, priority) -> dict:
    """The tolerances for one visit in memory: its rule row (a mapping with RULE_COLUMNS),
    or DEFAULT_RULES for its priority when its contract has none (None)."""
    if rule is None:
        return dict(DEFAULT_RULES[Priority(priority)])
    return {name: rule[name] for name in RULE_COLUMNS}


def minutes_of(values) -> list[int]:
    """The tolerance values that are minutes (None, "at the planned end", left out), sorted."""
    return sorted(v for v in values if v is not None)


# --- The clock: "more than N minutes after" -------------------------------------------

class At:
    """The clock at an instant given in SQL: a bound parameter, or a column of the visit
    (its actual start, to judge when it started)."""

    def __init__(self, instant):
        self.instant = instant

    def passed(self, since, minutes, name: str | None = None):
        """SQL: this instant is more than `minutes` minutes after `since`."""
        if isinstance(minutes, int):
            minutes = fixed(minutes)
        return later_by_more_than(since, self.instant, minutes)


def at_instant(now: datetime) -> At:
    """The clock at `now`, bound as a parameter (reports and pages judge at one instant)."""
    return At(sa.bindparam("judged_at", now, type_=UTCDateTime()))


class Bound:
    """The clock at an instant bound once per tolerance value, as `{prefix}_{v}` = the
    instant minus v minutes, so "more than the tolerance after `since`" is a range on the
    `since` column, with no date arithmetic per row (the detection pass). `values`: each
    tolerance's distinct values (detection.tolerance_values()); params() binds them."""

    def __init__(self, values: Mapping[str, set], prefix: str = "upto"):
        self.values, self.prefix = values, prefix

    def param(self, v: int):
        return sa.bindparam(f"{self.prefix}_{v}")

    def passed(self, since, minutes, name: str | None = None):
        """SQL: more than `minutes` minutes after `since`; `minutes` is the tolerance
        `name` (one of its known values), or a number when `name` is None."""
        if name is None:
            return since < self.param(minutes)
        return sa.or_(sa.false(), *(sa.and_(minutes == fixed(v), since < self.param(v))
                                    for v in minutes_of(self.values[name])))

    def params(self, instant: datetime) -> dict:
        """The bind parameters of this clock at `instant`."""
        every = {0}.union(*(minutes_of(vs) for vs in self.values.values()))
        return {f"{self.prefix}_{v}": instant - timedelta(minutes=v) for v in every}


# --- The judgements, in SQL -------------------------------------------------------------

class Judgements:
    """SQL judgements of a visit row. `visit`: the visit's columns by name (Visit, or a
    CTE's .c); `tolerance(name)`: its tolerances (by default tolerance(), which needs the
    rule row outer-joined by with_rule())."""

    def __init__(self, visit=Visit, tolerance_of: Callable | None = None):
        self.v = visit
        self.tolerance = tolerance_of or (lambda name: tolerance(name, visit.priority))

    def status_in(self, *statuses):
        column = self.v.status
        return column.in_([fixed(s, column.type) for s in statuses]) if len(statuses) > 1 \
            else column == fixed(statuses[0], column.type)

    def live(self):
        return self.v.status != fixed(VisitStatus.CANCELLED, self.v.status.type)

    def started(self):
        return sa.and_(self.live(), self.v.actual_start.is_not(None))

    def waiting(self):
        return self.status_in(*WAITING)

    def missed_by(self, at):
        """Whether the missed point has passed at the clock `at`."""
        missed_after = self.tolerance("missed_after_min")
        return sa.case((missed_after.is_(None), at.passed(self.v.planned_end, 0)),
                       else_=at.passed(self.v.planned_start, missed_after, "missed_after_min"))

    def late_by(self, at):
        """Whether a start at the clock `at` is late."""
        return sa.or_(at.passed(self.v.planned_start, self.tolerance("late_after_min"),
                                "late_after_min"), self.missed_by(at))

    def late(self, at):
        return sa.or_(sa.and_(self.started(), self.late_by(At(self.v.actual_start))),
                      sa.and_(self.waiting(), self.late_by(at)))

    def missed(self, at):
        return sa.and_(self.waiting(), self.missed_by(at))

    def punctual(self):
        return sa.and_(self.started(), sa.not_(self.late_by(At(self.v.actual_start))))

    def short(self):
        v = self.v
        return sa.and_(self.status_in(VisitStatus.COMPLETED), v.delivered_minutes.is_not(None),
                       v.delivered_minutes < (v.duration_min - self.tolerance("short_margin_min"))
                       * v.carers_required)

    def early_finish(self):
        v = self.v
        return sa.and_(self.status_in(VisitStatus.COMPLETED), v.actual_end.is_not(None),
                       At(v.planned_end).passed(v.actual_end, self.tolerance("early_finish_min")))

    def no_checkout(self, at):
        return sa.and_(self.status_in(VisitStatus.IN_PROGRESS),
                       at.passed(self.v.planned_end, self.tolerance("no_checkout_after_min"),
                                 "no_checkout_after_min"))

    def location_judged(self):
        return sa.and_(self.started(), self.v.location_verified.is_not(None))

    def location_verified(self):
        return sa.and_(self.started(), self.v.location_verified.is_(True))

    def location_unverified(self):
        return sa.and_(self.live(), self.v.location_verified.is_(False))

    def judged(self, name: str, at):
        """The judgement `name` (one of JUDGEMENTS) at the clock `at`."""
        timed = {LATE: self.late, MISSED: self.missed, NO_CHECKOUT: self.no_checkout}
        if name in timed:
            return timed[name](at)
        return getattr(self, name)()

    def alert_due(self, kind: AlertKind, at):
        """SQL: an alert of this kind is due for the visit at the clock `at` (whether one
        was raised already is the caller's business)."""
        if kind == AlertKind.LATE:
            return sa.and_(self.status_in(VisitStatus.SCHEDULED), self.late_by(at),
                           sa.not_(self.missed_by(at)))
        if kind == AlertKind.MISSED:
            return sa.and_(self.status_in(VisitStatus.SCHEDULED), self.missed_by(at))
        return self.judged(_JUDGEMENT_OF[kind], at)


_JUDGEMENT_OF = {AlertKind.NO_CHECKOUT: NO_CHECKOUT, AlertKind.SHORT: SHORT,
                 AlertKind.EARLY_FINISH: EARLY_FINISH,
                 AlertKind.LOCATION_UNVERIFIED: LOCATION_UNVERIFIED}


# --- The same judgements of one visit in memory (the check-in reaction) -----------------

def _passed(since: datetime, minutes: int, at: datetime) -> bool:
    return at - since > timedelta(minutes=minutes)


def _missed_by(visit, t: Mapping, at: datetime) -> bool:
    if t["missed_after_min"] is None:
        return _passed(visit.planned_end, 0, at)
    return _passed(visit.planned_start, t["missed_after_min"], at)


def _late_by(visit, t: Mapping, at: datetime) -> bool:
    return _passed(visit.planned_start, t["late_after_min"], at) or _missed_by(visit, t, at)


def verdicts(visit, t: Mapping, now: datetime) -> frozenset[str]:
    """The judgements (JUDGEMENTS) true of one visit at `now`, as the SQL judges them.

    `visit`: its status, planned_start, planned_end, duration_min, carers_required,
    actual_start, actual_end, delivered_minutes and location_verified; `t`: tolerances().
    """
    if visit.status == VisitStatus.CANCELLED:
        return frozenset()
    found = set()
    started = visit.actual_start is not None
    waiting = visit.status in WAITING
    if (started and _late_by(visit, t, visit.actual_start)) or (
            waiting and _late_by(visit, t, now)):
        found.add(LATE)
    if waiting and _missed_by(visit, t, now):
        found.add(MISSED)
    if started and LATE not in found:
        found.add(PUNCTUAL)
    if visit.status == VisitStatus.COMPLETED:
        if visit.delivered_minutes is not None and visit.delivered_minutes < (
                visit.duration_min - t["short_margin_min"]) * visit.carers_required:
            found.add(SHORT)
        if visit.actual_end is not None and _passed(visit.actual_end, t["early_finish_min"],
                                                    visit.planned_end):
            found.add(EARLY_FINISH)
    if visit.status == VisitStatus.IN_PROGRESS and _passed(
            visit.planned_end, t["no_checkout_after_min"], now):
        found.add(NO_CHECKOUT)
    if started and verified_in_home(visit.location_verified):
        found.add(LOCATION_VERIFIED)
    if not_verified_in_home(visit.location_verified):
        found.add(LOCATION_UNVERIFIED)
    return frozenset(found)


def verified_in_home(location_verified: bool | None) -> bool:
    """Whether a visit was verified in the home (Judgements.location_verified, of a
    started visit): every carer's check-in verified."""
    return location_verified is True


def not_verified_in_home(location_verified: bool | None) -> bool:
    """Whether a visit was judged not verified in the home (Judgements.location_unverified):
    a carer checked in outside the fence. A check-in with no location, or where the
    person's geofence is off (rural, no signal), is not judged, so neither verified nor
    not verified. A contract that holds unverified visits holds these (audit/billing.py)."""
    return location_verified is False


def alerts_due(visit, t: Mapping, now: datetime) -> set[AlertKind]:
    """The alert kinds due for one visit at `now`, as Judgements.alert_due() finds them."""
    if visit.status == VisitStatus.CANCELLED:
        return set()
    found = verdicts(visit, t, now)
    due = {kind for kind, name in _JUDGEMENT_OF.items() if name in found}
    if visit.status == VisitStatus.SCHEDULED:
        if _missed_by(visit, t, now):
            due.add(AlertKind.MISSED)
        elif _late_by(visit, t, now):
            due.add(AlertKind.LATE)
    return due
