"""Property: any shuffle, duplication and split of offline events into batches leaves the
same stored events and visit state as sending each event once, in order."""
import uuid
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.extensions import db
from backend.models import EventMethod, Role, Visit, VisitEvent
from backend.services.dates import clock
from backend.services.attendance.sync import sync_events
from tests.factories import HOME

NOW = clock.now().replace(microsecond=0)
T0 = NOW - timedelta(hours=6)

# (worker, kind, visit, minutes after T0, metres north of home, tasks as (position, done))
EVENTS = [
    [(0, "check_in", 0, 0, 0, ()), (0, "check_out", 0, 31, 0, ((0, True), (1, False))),
     (0, "check_in", 1, 60, 300, ()), (0, "check_out", 1, 90, 0, ((0, True),)),
     (0, "no_access", 2, 120, 0, ())],
    [(1, "check_in", 1, 62, 0, ()), (1, "check_out", 1, 95, 0, ((0, False),))],
]


def _world(make):
    """Three visits for one person: a single, a double-up, and one nobody gets into."""
    provider = make.provider()
    package = make.package(provider=provider)
    workers = [make.user(Role.CARE_WORKER, provider) for _ in range(2)]
    visits = [make.visit(package, start=T0, workers=[workers[0]]),
              make.visit(package, start=T0 + timedelta(hours=1), workers=workers),
              make.visit(package, start=T0 + timedelta(hours=2), workers=[workers[0]])]
    return workers, visits


def _item(spec, visits, run):
    worker, kind, visit, minutes, metres, tasks = spec
    tasks_of = sorted(visits[visit].tasks, key=lambda t: t.position)
    item = {"kind": kind, "visit_id": visits[visit].id,
            "device_time": T0 + timedelta(minutes=minutes),
            "lat": HOME[0] + metres / 111_200, "lon": HOME[1], "accuracy_m": 10.0,
            "method": EventMethod.GPS, "mock_location": False,
            "device_id": f"{run}-phone-{worker}", "client_event_id": f"{kind}-{visit}-{minutes}"}
    if tasks:
        item["tasks"] = [{"task_id": tasks_of[p].id, "done": done,
                          "reason": None if done else "Declined"} for p, done in tasks]
    if kind == "no_access":
        item["reason"] = "no_answer"
    return item


def _snapshot(workers, visits):
    """Everything stored, with this run's ids replaced by positions."""
    worker_no = {w.id: n for n, w in enumerate(workers)}
    visit_no = {v.id: n for n, v in enumerate(visits)}
    task_no = {str(t.id): (n, t.position) for n, v in enumerate(visits) for t in v.tasks}
    db.session.expire_all()
    events = sorted(
        (e.client_event_id, worker_no[e.worker_id], visit_no[e.visit_id], e.kind, e.device_time,
         e.lat, e.lon, e.verified, round(e.distance_m, 3), tuple(e.flags), e.reason_code,
         tuple((task_no[t["task_id"]], t["done"], t["reason"])
               for t in e.details.get("tasks", [])))
        for e in db.session.scalars(sa.select(VisitEvent).where(
            VisitEvent.visit_id.in_(list(visit_no)))))
    state = []
    for visit in visits:
        v = db.session.get(Visit, visit.id)
        state.append((v.status, v.actual_start, v.actual_end, v.delivered_minutes,
                      v.location_verified, tuple(v.flags),
                      tuple((t.position, t.done, t.not_done_reason) for t in v.tasks)))
    return events, state


def _batches(draw, count):
    order = draw(st.permutations(range(count)))
    repeats = draw(st.lists(st.sampled_from(range(count)), max_size=3))
    sent = draw(st.permutations(list(order) + repeats))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(sent) - 1)), max_size=3)))
    bounds = [0, *cuts, len(sent)]
    return [sent[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if sent[a:b]]


@st.composite
def deliveries(draw):
    """Each phone's events shuffled, some repeated, split into batches; phones interleaved."""
    plan = [(worker, batch) for worker, events in enumerate(EVENTS)
            for batch in _batches(draw, len(events))]
    return [plan[i] for i in draw(st.permutations(range(len(plan))))]


def _apply(make, plan):
    workers, visits = _world(make)
    run = uuid.uuid4().hex[:8]
    for worker, batch in plan:
        items = [_item(EVENTS[worker][i], visits, run) for i in batch]
        sync_events(workers[worker], items, sent_at=NOW, now=NOW)
    return _snapshot(workers, visits)


_EXPECTED: list = []  # the in-order snapshot, computed once (it names no ids)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=deliveries())
def test_any_delivery_gives_the_same_events_and_state(make, plan):
    in_order = [(w, [i]) for w, i in sorted(
        ((w, i) for w, events in enumerate(EVENTS) for i in range(len(events))),
        key=lambda wi: EVENTS[wi[0]][wi[1]][3])]
    try:
        if not _EXPECTED:
            _EXPECTED.append(_apply(make, in_order))
            db.session.rollback()
        expected = _EXPECTED[0]
        got = _apply(make, plan)
    finally:
        db.session.rollback()
    assert got == expected
    events, state = expected
    assert len(events) == 7
    assert [s[0] for s in state] == ["completed", "completed", "no_access"]
