"""Exceptions first: what on the day's board needs a manager now, most urgent first.

Each exception comes from a judgement the rulebook made of the visit (board.judge_day)
or from its unresolved alerts; nothing here decides again what late or missed means.
Urgency: time-critical calls (medication, insulin) before the others, then by kind
(a missed call before a late one, a carer's concern before a missing check-out), then
by how long it has waited.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from backend.models import AlertKind, Priority, User, VisitStatus
from backend.services.dates import clock
from backend.services.monitoring.board import (
    LABELS, BoardRow, JudgedVisit, board_rows, carer_label, judge_day, still_open,
)

MISSED, LATE, NOT_ARRIVED, CONCERN = "missed", "late", "carer not arrived", "concern"
NO_CHECKOUT, UNASSIGNED, NOT_VERIFIED = "no check-out", "unassigned", "not verified"
EARLY_START, NO_ACCESS = "early or out-of-order start", "no access"
KINDS = (MISSED, LATE, NOT_ARRIVED, CONCERN, NO_ACCESS, NO_CHECKOUT, UNASSIGNED, NOT_VERIFIED,
         EARLY_START)
# The counts at the top of the board; a double-up carer not yet there counts as late.
COUNTED = {"late": (LATE, NOT_ARRIVED), "missed": (MISSED,), "no check-out": (NO_CHECKOUT,),
           "unassigned": (UNASSIGNED,), "concerns": (CONCERN,), "not verified": (NOT_VERIFIED,)}
ACTIONS = {  # what the manager does about it, and which page does it
    MISSED: ("Call the person, then find a carer", "reassign"),
    LATE: ("Call the carer; reassign if they cannot come", "reassign"),
    NOT_ARRIVED: ("Call the second carer", "visit"),
    CONCERN: ("Read the concern and acknowledge it", "alert"),
    NO_ACCESS: ("Call the person or their contact; arrange another visit", "alert"),
    NO_CHECKOUT: ("Call the carer: are they still there?", "visit"),
    UNASSIGNED: ("Assign a carer", "reassign"),
    NOT_VERIFIED: ("Check where the carer checked in", "visit"),
    EARLY_START: ("Read the carer's reason; is the next visit covered?", "visit"),
}


# The alert kind an exception may have raised already (acknowledged from the board).
_ALERT_OF = {MISSED: AlertKind.MISSED, LATE: AlertKind.LATE, NO_CHECKOUT: AlertKind.NO_CHECKOUT,
             NOT_VERIFIED: AlertKind.LOCATION_UNVERIFIED}


# Unresolved alerts of the days before stay on the board this long.
CARRY_DAYS = 7
# What a still-open alert of an earlier day is, on the board (others: to review).
_KIND_OF_ALERT = {AlertKind.MISSED: MISSED, AlertKind.LATE: LATE, AlertKind.CONCERN: CONCERN,
                  AlertKind.NO_ACCESS: NO_ACCESS, AlertKind.NO_CHECKOUT: NO_CHECKOUT,
                  AlertKind.LOCATION_UNVERIFIED: NOT_VERIFIED}


@dataclass
class Exception_:
    """One visit needing action: what is wrong, with whom, how long, and what to do."""

    kind: str
    judged: JudgedVisit
    carers: list[str]
    waited_min: int | None  # minutes past the planned start (the planned end for no check-out)
    action: str
    target: str  # "reassign", "visit" or "alert"
    alert: object = None

    @property
    def visit(self):
        return self.judged.visit

    @property
    def urgency(self) -> tuple:
        critical = self.visit.priority == Priority.CRITICAL
        return (not critical, KINDS.index(self.kind), self.visit.planned_start)


@dataclass
class DayBoard:
    """The board of one day: counts, the exceptions by urgency, every visit by carer."""

    day: date
    now: datetime
    counts: dict
    exceptions: list[Exception_]
    rows: list[BoardRow]
    labels: tuple = LABELS
    visits: int = 0
    by_label: dict = field(default_factory=dict)


def _minutes(since: datetime, now: datetime) -> int:
    return int((now - since).total_seconds() // 60)


def exceptions_of(item: JudgedVisit, now: datetime) -> list[Exception_]:
    """What about this visit needs a manager now."""
    visit = item.visit
    if visit.status == VisitStatus.CANCELLED:
        return []
    assigned = [a.worker_id for a in visit.assignments]
    everyone = [item.names[w] for w in assigned]
    open_alerts = {a.kind: a for a in item.alerts}
    found = []

    def add(kind, carers=everyone, since=visit.planned_start, alert=None):
        action, target = ACTIONS[kind]
        alert = alert or open_alerts.get(_ALERT_OF.get(kind))
        if target == "alert" and alert is None:
            target = "visit"
        if target == "reassign" and visit.status != VisitStatus.SCHEDULED:
            target = "visit"  # only a visit nobody has started can be given to another carer
        found.append(Exception_(kind, item, carers, _minutes(since, now), action, target,
                                alert))

    if item.label == "missed":
        add(MISSED, alert=open_alerts.get(AlertKind.MISSED))
    elif item.label == "late":
        add(LATE, alert=open_alerts.get(AlertKind.LATE))
    elif visit.status == VisitStatus.IN_PROGRESS:
        absent = [item.names[w] for w in assigned
                  if carer_label(item, w, now) == "not arrived (late)"]
        if absent:
            add(NOT_ARRIVED, carers=absent)
    if item.no_checkout:
        add(NO_CHECKOUT, since=visit.planned_end, alert=open_alerts.get(AlertKind.NO_CHECKOUT))
    if visit.status == VisitStatus.SCHEDULED and len(assigned) < visit.carers_required:
        add(UNASSIGNED)
    if AlertKind.CONCERN in open_alerts:
        add(CONCERN, alert=open_alerts[AlertKind.CONCERN], since=open_alerts[
            AlertKind.CONCERN].raised_at)
    if AlertKind.NO_ACCESS in open_alerts:
        alert = open_alerts[AlertKind.NO_ACCESS]
        add(NO_ACCESS, alert=alert, since=alert.raised_at)
    # Flagged by the attendance pipeline when the check-in arrived (judging.start_flags).
    if {"early_start", "out_of_order"} & set(visit.flags or []):
        add(EARLY_START, since=visit.actual_start or visit.planned_start)
    if item.unverified:
        add(NOT_VERIFIED, alert=open_alerts.get(AlertKind.LOCATION_UNVERIFIED),
            since=visit.actual_start or visit.planned_start)
    return found


def carried_over(item: JudgedVisit, now: datetime) -> list[Exception_]:
    """An earlier day's visit with alerts still open: one line per alert, to acknowledge
    or resolve on the alert's page."""
    carers = [item.names[a.worker_id] for a in item.visit.assignments]
    found = []
    for alert in item.alerts:
        kind = _KIND_OF_ALERT.get(alert.kind)
        if kind is None:
            continue  # short and early finish are for review on the alerts page, not now
        found.append(Exception_(kind, item, carers, _minutes(item.visit.planned_start, now),
                                "Still open: deal with it and resolve the alert", "alert",
                                alert))
    return found


def day_board(user: User, day: date | None = None, now: datetime | None = None,
              show: str | None = None) -> DayBoard:
    """The day's board for the user: counts and exceptions over every visit they may see;
    the full list by carer, only the chips labelled `show` when given (one of LABELS)."""
    now = now or clock.now()
    day = day or clock.today()
    judged = judge_day(user, day, now)
    earlier = [e for item in still_open(user, day, CARRY_DAYS) for e in carried_over(item, now)]
    exceptions = sorted([*(e for item in judged for e in exceptions_of(item, now)), *earlier],
                        key=lambda e: e.urgency)
    counts = {name: sum(1 for e in exceptions if e.kind in kinds)
              for name, kinds in COUNTED.items()}
    rows = board_rows(judged, now)
    by_label: dict = {}
    for row in rows:
        for chip in row.visits:
            by_label[chip.kind] = by_label.get(chip.kind, 0) + 1
    if show:
        rows = [BoardRow(r.worker, r.worker_id, [v for v in r.visits if v.kind == show])
                for r in rows]
        rows = [r for r in rows if r.visits]
    return DayBoard(day, now, counts, exceptions, rows, visits=len(judged), by_label=by_label)
