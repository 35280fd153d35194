"""The day planner's solver: on small instances its cost equals the brute-force optimum,
and it keeps every hard rule (eligibility, travel in time, caps, locks, double-ups)."""
import itertools
import random
import uuid
from datetime import date

import pytest

from backend.services.rota.optimiser import (
    KNOWN_WORTH_MIN, UNASSIGNED_PENALTY, Carer, Instance, Seat, evaluate, solve,
)

HOME = (52.2405, -0.9027)


def _instance(seed: int) -> Instance:
    """Up to 8 seats (some double-ups) and 3 carers, with skills, windows, caps and leave."""
    rng = random.Random(seed)
    people = [uuid.uuid4() for _ in range(4)]
    homes = {p: (HOME[0] + rng.uniform(-0.05, 0.05), HOME[1] + rng.uniform(-0.08, 0.08))
             for p in people}
    seats = []
    while len(seats) < rng.randint(5, 8):
        person, visit = rng.choice(people), uuid.uuid4()
        start, minutes = 7 * 60 + 15 * rng.randint(0, 20), rng.choice((15, 30, 45))
        skills = frozenset(["medication"]) if rng.random() < 0.3 else frozenset()
        for seat in range(2 if rng.random() < 0.2 and len(seats) < 7 else 1):
            seats.append(Seat(visit, seat, person, start, minutes, homes[person], skills))
    carers = [Carer(uuid.uuid4(), rng.choice(("driving", "walking", "cycling")),
                    frozenset(["medication"]) if i != 2 else frozenset(),
                    ((7 * 60, 10 * 60),) if i == 1 else (),
                    on_leave=seed % 5 == 0 and i == 0,
                    cap_minutes=rng.choice((None, 90, 120)),
                    known=frozenset(rng.sample(people, 2)),
                    home=(HOME[0] + rng.uniform(-0.05, 0.05), HOME[1]) if i else None,
                    this_week=frozenset(rng.sample(people, 1)))
              for i in range(3)]
    if seed % 3 == 0:  # one seat locked to a carer who may take it
        first = seats[0]
        able = [c for c in carers if Instance(date(2026, 11, 24), seats, carers).why_not(
            first, c) is None]
        if able:
            seats[0] = Seat(first.visit_id, first.seat, first.person_id, first.start,
                            first.minutes, first.home, first.skills, locked_worker=able[0].id)
    return Instance(date(2026, 11, 24), seats, carers, road_factor=1.3)


def _brute_force(instance: Instance) -> int:
    options = [[None] + [c.id for c in instance.carers if instance.why_not(s, c) is None]
               for s in instance.seats]
    best = None
    for choice in itertools.product(*options):
        cost, _, _, feasible = evaluate(instance, dict(zip(
            [s.key for s in instance.seats], choice, strict=True)))
        if feasible and (best is None or cost < best):
            best = cost
    return best


# Seeds 2 and 28 need three seats exchanged between three carers at once (guided local
# search at OR-Tools' default penalty weight stopped one move short of the optimum on
# both; with the soft same-carer price, seed 2 needs the exact search's ruin and
# recreate). Both searches run to their time limit; at 0.6 s every seed from 0 to 80
# found its optimum, so 4 s of wall time leaves the margin of a loaded machine.
@pytest.mark.parametrize("seed", [*range(8), 28])
def test_solver_cost_equals_brute_force(seed):
    instance = _instance(seed)
    solution = solve(instance, seconds=4.0)
    cost, travel, unknown, feasible = evaluate(instance, solution.assignment)
    assert feasible
    assert (cost, travel, unknown) == (solution.cost, solution.travel_min, solution.unknown)
    assert solution.cost == _brute_force(instance)


def test_double_up_takes_two_carers_and_lock_and_continuity_are_kept():
    person, other = uuid.uuid4(), uuid.uuid4()
    near = (HOME[0] + 0.01, HOME[1])
    hoist = uuid.uuid4()
    seats = [Seat(hoist, 0, person, 9 * 60, 30, HOME), Seat(hoist, 1, person, 9 * 60, 30, HOME),
             Seat(uuid.uuid4(), 0, other, 10 * 60, 30, near, locked_worker="c"),
             Seat(uuid.uuid4(), 0, other, 11 * 60, 30, near)]
    carers = [Carer("a", this_week=frozenset([person])), Carer("b"), Carer("c")]
    solution = solve(Instance(date(2026, 11, 24), seats, carers), seconds=0.5)
    a = solution.assignment
    assert {a[seats[0].key], a[seats[1].key]} in ({"a", "b"}, {"a", "c"})
    assert a[seats[2].key] == "c"
    # The 11:00 visit goes to c, already there at 10:00 (no travel). Two carers are new
    # to their person: the double-up's second carer, and c, once for both of the other
    # person's visits (a has the person this week: free of the stranger price).
    assert a[seats[3].key] == "c" and solution.unknown == 2 and solution.unassigned == {}
    assert solution.cost == solution.travel_min + KNOWN_WORTH_MIN * solution.unknown


def test_a_new_carer_costs_once_however_many_of_the_persons_visits_they_take():
    """Continuity counts distinct carers per person per week: a carer new to the person
    who already has their 9:00 visit adds nothing to it by taking their 12:00 too, so
    14 minutes more travel beat a second new face (priced per visit, b would win)."""
    person, other = uuid.uuid4(), uuid.uuid4()
    far = (HOME[0] + 0.02, HOME[1])  # 2.2 km: 7 minutes at 20 km/h
    seats = [Seat(uuid.uuid4(), 0, person, 9 * 60, 30, HOME),
             Seat(uuid.uuid4(), 0, other, 10 * 60, 30, far, locked_worker="a"),
             Seat(uuid.uuid4(), 0, person, 12 * 60, 30, HOME)]
    carers = [Carer("a", home=far, this_week=frozenset([other])),
              Carer("b", home=HOME, windows=((11 * 60, 14 * 60),))]
    instance = Instance(date(2026, 11, 24), seats, carers)
    solution = solve(instance, seconds=0.5)
    assert [solution.assignment[s.key] for s in seats] == ["a", "a", "a"]
    assert solution.unknown == 1 and solution.travel_min == 7 + 7
    assert solution.cost == 7 + 7 + 7 + 7 + KNOWN_WORTH_MIN
    split = {seats[0].key: "a", seats[1].key: "a", seats[2].key: "b"}
    assert evaluate(instance, split)[:3] == (7 + 7 + 2 * KNOWN_WORTH_MIN, 7, 2)


def test_a_seat_nobody_may_take_stays_unassigned_with_why():
    seat = Seat(uuid.uuid4(), 0, uuid.uuid4(), 9 * 60, 30, HOME, frozenset(["peg_feeding"]))
    solution = solve(Instance(date(2026, 11, 24), [seat],
                              [Carer("a", skills=frozenset(["medication"]))]), seconds=0.3)
    assert solution.assignment == {seat.key: None}
    assert solution.cost == UNASSIGNED_PENALTY
    assert solution.unassigned[seat.key] == "no carer can take it: not trained for peg_feeding"
