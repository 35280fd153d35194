"""Property: detection, the check-in reaction and the quality report judge alike.

Random visits (priorities, lengths, one or two carers required, planned times), their
carers' check-ins and check-outs (or none), and a contract's rules (a rule row or none
for each priority). The events arrive in time order, as the phones would send them; the
detection pass runs at each arrival (the minute job would have run by then) and at the
end, `now`; a random half of the arrivals get the check-in reaction, the rest are left
for the next pass. Then, for every visit, these must say the same about which visits are
late, missed, short, finished early, still not checked out and verified in the home:

(a) the alerts the passes and reactions raised (late: a late or missed alert was raised;
    missed, no check-out, location: one is still unresolved; short, early finish: one
    was raised);
(b) the Python twin (rules.verdicts), as the check-in reaction judges one visit;
(c) the quality report's counts (each visit has its own package), and the SQL
    judgements row by row.

Carers of a double-up all arrive before the first leaves (a carer arriving after the
visit was complete would reopen a visit already judged short).
"""
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from backend.extensions import db
from backend.models import Alert, AlertKind, MonitoringRule, Priority, Role, Visit
from backend.services.audit.quality import package_quality
from backend.services.dates import periods
from backend.services.monitoring import rules
from backend.services.monitoring.monitor import react_to_visit_event, run_detection
from backend.services.monitoring.reactions import tolerances_for
from backend.services.monitoring.resolution import UNRESOLVED
from tests.monitoring_helpers import check_in, check_out

T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
NOVEMBER = periods.Period(date(2026, 11, 1), date(2026, 11, 30),
                          datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

RULE = st.fixed_dictionaries({
    "late_after_min": st.sampled_from([5, 10, 15, 20]),
    "missed_after_min": st.sampled_from([None, 20, 30, 45]),
    "short_margin_min": st.sampled_from([0, 5, 10, 15]),
    "early_finish_min": st.sampled_from([5, 10, 15]),
    "no_checkout_after_min": st.sampled_from([15, 30, 60]),
    "escalate_after_min": st.just(60),
})
# A carer's attendance: minutes after the planned start they check in, minutes they stay
# after the last carer arrived (None: still there), whether the location was verified.
@st.composite
def attendance(draw):
    if draw(st.integers(0, 4)) == 0:
        return None  # this carer never came
    arrived = draw(st.sampled_from([-5, 0, 5]) | st.integers(-10, 80))
    stay = None if draw(st.integers(0, 5)) == 0 else draw(st.integers(0, 70))
    return arrived, stay, draw(st.sampled_from([True, True, False, None]))


@st.composite
def visits(draw):
    required = draw(st.integers(1, 2))
    return {"priority": draw(st.sampled_from(list(Priority))),
            "minutes": draw(st.sampled_from([15, 20, 30, 45, 60])),
            "carers_required": required,
            "start": draw(st.integers(0, 120)),
            "carers": [draw(attendance()) for _ in range(required)]}


@st.composite
def worlds(draw):
    return {"rules": {p: draw(st.none() | RULE) for p in Priority},
            "visits": draw(st.lists(visits(), min_size=2, max_size=4)),
            "now": draw(st.integers(20, 300)),
            "react": draw(st.lists(st.booleans(), min_size=16, max_size=16))}


def minutes(n) -> timedelta:
    return timedelta(minutes=n)


def _build(make, spec):
    """The contract with the drawn rules, and each visit in a package of its own."""
    council, provider = make.council(), make.provider()
    contract = make.contract(funder=council, provider=provider)
    contract.rules.clear()
    db.session.flush()
    for priority, values in spec["rules"].items():
        if values is not None:
            contract.rules.append(MonitoringRule(priority=priority, **values))
    commissioner = make.user(Role.COMMISSIONER, council)
    carers = [make.user(Role.CARE_WORKER, provider) for _ in range(2)]
    built = []
    for drawn in spec["visits"]:
        package = make.package(contract=contract)
        visit = make.visit(package, start=T0 + minutes(drawn["start"]),
                           minutes=drawn["minutes"], priority=drawn["priority"],
                           carers_required=drawn["carers_required"], workers=carers, tasks=())
        built.append(visit)
    return commissioner, carers, built


def _events(spec, carers, built, now):
    """(instant, 0 check-in / 1 check-out, visit, carer, verified), in arrival order, of
    what has happened by `now`."""
    events = []
    for drawn, visit in zip(spec["visits"], built, strict=True):
        present = [(carer, a) for carer, a in zip(carers, drawn["carers"], strict=False)
                   if a is not None]
        if not present:
            continue
        arrivals = {carer.id: visit.planned_start + minutes(a[0]) for carer, a in present}
        last_in = max(arrivals.values())
        for carer, (_, stay, verified) in present:
            arrived = arrivals[carer.id]
            if arrived > now:
                continue
            events.append((arrived, 0, visit, carer, verified))
            if stay is not None and last_in + minutes(stay) <= now:
                events.append((last_in + minutes(stay), 1, visit, carer, None))
    return sorted(events, key=lambda e: (e[0], e[1]))


def _sql_verdicts(ids, now) -> dict:
    judge, at = rules.Judgements(), rules.at_instant(now)
    rows = db.session.execute(rules.with_rule(sa.select(
        Visit.id, *(judge.judged(name, at).label(name) for name in rules.JUDGEMENTS)))
        .where(Visit.id.in_(ids)))
    return {row.id: {n for n in rules.JUDGEMENTS if row._mapping[n]} for row in rows}


COUNTED = {rules.PUNCTUAL: "punctual", rules.LATE: "late", rules.MISSED: "missed",
           rules.SHORT: "short", rules.EARLY_FINISH: "early_finish",
           rules.LOCATION_VERIFIED: "location_verified"}


def _said_by_alerts(alerts: list) -> set:
    """The judgements the visit's alerts stand for (see the module's docstring)."""
    raised = {kind for kind, _ in alerts}
    unresolved = {kind for kind, status in alerts if status in UNRESOLVED}
    said = set()
    if raised & {AlertKind.LATE, AlertKind.MISSED}:
        said.add(rules.LATE)
    for kind, name in ((AlertKind.MISSED, rules.MISSED), (AlertKind.NO_CHECKOUT,
                                                          rules.NO_CHECKOUT),
                       (AlertKind.LOCATION_UNVERIFIED, rules.LOCATION_UNVERIFIED)):
        if kind in unresolved:
            said.add(name)
    for kind, name in ((AlertKind.SHORT, rules.SHORT),
                       (AlertKind.EARLY_FINISH, rules.EARLY_FINISH)):
        if kind in raised:
            said.add(name)
    return said


ALERTABLE = {rules.LATE, rules.MISSED, rules.SHORT, rules.EARLY_FINISH, rules.NO_CHECKOUT,
             rules.LOCATION_UNVERIFIED}


def _check(make, spec):
    now = T0 + minutes(spec["now"])
    commissioner, carers, built = _build(make, spec)
    for n, (at, kind, visit, carer, verified) in enumerate(_events(spec, carers, built, now)):
        run_detection(at)  # the minute job has run by the time the event arrives
        if kind == 0:
            check_in(visit, carer, at, server_time=at, verified=verified)
        else:
            check_out(visit, carer, at, server_time=at)
        if spec["react"][n % len(spec["react"])]:
            react_to_visit_event(visit, at)
    run_detection(now)

    ids = [v.id for v in built]
    alerts: dict = {v.id: [] for v in built}
    for visit_id, kind, status in db.session.execute(
            sa.select(Alert.visit_id, Alert.kind, Alert.status).where(Alert.visit_id.in_(ids))):
        alerts[visit_id].append((kind, status))
    in_sql = _sql_verdicts(ids, now)
    counts = package_quality(commissioner, NOVEMBER, None, now=now)
    for visit in built:
        db.session.refresh(visit)
        twin = set(rules.verdicts(visit, tolerances_for(visit), now))
        about = (visit.priority, visit.duration_min, visit.carers_required, visit.status,
                 visit.actual_start, visit.actual_end, visit.delivered_minutes, twin,
                 alerts[visit.id])
        for name in twin:
            event(f"{name}{' (double-up)' if visit.carers_required > 1 else ''}")
        assert in_sql[visit.id] == twin, about
        assert _said_by_alerts(alerts[visit.id]) == twin & ALERTABLE, about
        mine = counts[visit.package_id]
        assert {name for name, count in COUNTED.items() if mine[count]} == \
            twin & set(COUNTED), (about, mine)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=worlds())
def test_detection_reaction_and_report_agree(make, spec):
    try:
        _check(make, spec)
    finally:
        db.session.rollback()
