"""Plan a day: which care worker takes each seat of each visit, with OR-Tools routing.

Pure: it takes an Instance (seats, carers, settings) and returns a Solution; loading
from and writing to the database is rota/plans.py's. Every visit keeps its planned
time (a normal call's start inside its contract window, a time-critical call's
exactly: both are met by not moving it), so each carer's visits follow in time
order and the model is:

- a node per seat (a double-up has two seats at the same time: two different
  carers, since one carer cannot be at both);
- a carer may take a seat only when eligible: not on leave, trained in the visit's
  skills, its time inside one of their working windows, and, for a person already
  at the weekly cap of distinct carers, one of the carers they had this week;
- time: a seat starts exactly at its planned minute; a carer can go from one seat to
  the next only when the first's end plus the trip (rota/travel.py: geodesic at the
  carer's travel mode's speed x the road factor) is no later than the next's start,
  waiting allowed (with times fixed this pairwise rule is the whole time constraint,
  so no time dimension is needed: pairs nobody can make are cut from the search);
- the carer's minutes that day within their cap (the daily limit, and what the
  weekly limit leaves);
- cost, in minutes: travel between consecutive visits and from and to the carer's
  home, plus the stranger price once per carer a person has today (Instance.
  stranger_price: nothing for a carer the person has this week, more for one new to
  them; once however many of the person's visits the carer takes, as continuity is
  measured: distinct carers per person per week), plus UNASSIGNED_PENALTY for each
  seat left without a carer (so a seat is left only when nobody can take it);
- locked seats stay with their carer.

OR-Tools' routing model prices arcs, so it can charge the stranger price only per seat;
it also charges SAME_CARER_MIN per carer beyond the first on a person's visits today, so
that a new carer taking several of them is cheaper there too. What it finds is then
improved at the exact price, in Python (_improve): single moves, exchanges, and ruin and
recreate for the rest of the time.

`evaluate()` prices any assignment by the same rules (the brute-force test and the
proposal's before/after figures use it), so the solver's cost can be checked.
"""
from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from random import Random
from time import monotonic

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util.optional_boolean_pb2 import BOOL_TRUE

from backend.services.attendance.geo import distance_m
from backend.services.rota.travel import speed_kmh, trip_minutes

KNOWN_WORTH_MIN = 35  # minutes of extra travel worth it to send a carer the person knows
UNASSIGNED_PENALTY = 1000  # more than any day's travel for one seat: staff it if possible
LOCK_PENALTY = 100_000  # a locked seat that cannot be kept (its carer's day is impossible)
UNREACHABLE = 10 * LOCK_PENALTY  # the cost of a trip that does not fit: never worth it
DAY = 24 * 60 * 2  # more minutes than any carer's day (no cap recorded)
GLS_LAMBDA = 0.5  # how hard guided local search pushes away from the arcs it keeps
# The routing model's stand-in for pricing continuity once per (person, carer) pair: the
# stranger price per seat, and this much per carer beyond the first on a person's visits
# today (more, 15, made the day's travel 0.81x; less, 5, gave more new faces).
SAME_CARER_MIN = 10
# Of the time, what is kept for the local search at the exact price: on a provider's day
# of 150 carers and 500 visits the routing search's plan is the same at 22 s as at 32 s,
# while the exact search keeps improving for 15 s (docs/rota.md has the figures).
EXACT_SHARE = 0.3
# The most seats ruin and recreate takes off at once (fewer leave a day's knots in place,
# more rebuild too much to finish; docs/rota.md), and how a kilometre between homes
# counts against minutes apart in choosing them (about a walker's pace).
RUIN_MAX = 40
RUIN_MIN_PER_KM = 5


@dataclass(frozen=True)
class Seat:
    """One carer's place on a visit (a double-up has seats 0 and 1)."""

    visit_id: object
    seat: int
    person_id: object
    start: int  # minutes after the day's local midnight
    minutes: int
    home: tuple[float, float]
    skills: frozenset = frozenset()
    contract_speed_kmh: int = 20
    locked_worker: object = None
    current_worker: object = None

    @property
    def key(self) -> tuple:
        """The seat's identity."""
        return (self.visit_id, self.seat)

    @property
    def end(self) -> int:
        """When the visit ends, in minutes after midnight."""
        return self.start + self.minutes


@dataclass(frozen=True)
class Carer:
    """A care worker as the day's plan needs them."""

    id: object
    travel_mode: str | None = None
    skills: frozenset = frozenset()
    windows: tuple = ()  # ((start, end) minutes after midnight, ...); () = not recorded
    on_leave: bool = False
    cap_minutes: int | None = None  # the day's limit: daily, or what the week leaves
    known: frozenset = frozenset()  # people they have visited (continuity)
    home: tuple[float, float] | None = None  # where their day starts and ends
    this_week: frozenset = frozenset()  # people they visit on another day this week


@dataclass
class Instance:
    """One day's seats and carers, and the settings that price them."""

    day: date
    seats: list[Seat]
    carers: list[Carer]
    road_factor: float = 1.0
    # People already at the weekly cap of distinct carers -> the carers they had this week
    # (only those may visit them again, so the count does not grow).
    capped: dict = field(default_factory=dict)

    def trip(self, carer: Carer, a: Seat, b: Seat) -> int:
        """Whole minutes from a's home to b's for this carer (rota/travel.py's rule)."""
        return trip_minutes(a.home, b.home, speed_kmh(carer.travel_mode, b.contract_speed_kmh),
                            self.road_factor)

    def home_trip(self, carer: Carer, seat: Seat) -> int:
        """Minutes between the carer's home and the seat's (each way; 0 if no home)."""
        if carer.home is None:
            return 0
        return trip_minutes(carer.home, seat.home, speed_kmh(
            carer.travel_mode, seat.contract_speed_kmh), self.road_factor)

    @staticmethod
    def stranger_price(person_id, carer: Carer) -> int:
        """Continuity, in minutes of travel, once per carer the plan gives the person
        today (continuity counts distinct carers per person per week, not visits):
        nothing for a carer the person has this week (the count does not grow), half
        for one who visited them in the weeks before, KNOWN_WORTH_MIN for one new to them."""
        if person_id in carer.this_week:
            return 0
        return KNOWN_WORTH_MIN // 2 if person_id in carer.known else KNOWN_WORTH_MIN

    def why_not(self, seat: Seat, carer: Carer) -> str | None:
        """Why the carer may not take the seat, or None when they may."""
        if carer.on_leave:
            return "on leave"
        if not seat.skills <= carer.skills:
            return "not trained for " + ", ".join(sorted(seat.skills - carer.skills))
        if carer.windows and not any(a <= seat.start and seat.end <= b
                                     for a, b in carer.windows):
            return "not working then"
        if seat.person_id in self.capped and carer.id not in self.capped[seat.person_id]:
            return "the person has had their most carers this week"
        if carer.cap_minutes is not None and seat.minutes > carer.cap_minutes:
            return "over the carer's hours"
        return None


@dataclass
class Solution:
    """Who takes each seat (None: nobody), and what it costs."""

    assignment: dict  # seat key -> carer id or None
    cost: int
    travel_min: int
    unknown: int  # (person, carer) pairs new to each other (counted once a day)
    unassigned: dict = field(default_factory=dict)  # seat key -> why nobody
    seconds: float = 0.0


def evaluate(instance: Instance, assignment: dict) -> tuple[int, int, int, bool]:
    """(cost, travel minutes between visits, carers new to their person, feasible) of an
    assignment, by the model's rules: the stranger price once per (person, carer) pair,
    however many of the person's visits the carer takes, as continuity is measured. The
    cost also counts each carer's trips from home to their first visit and from their
    last back (home_minutes): without them, a plan giving every carer one or two visits
    would look free of travel."""
    carers = {c.id: c for c in instance.carers}
    routes: dict = {}
    pairs: set = set()
    feasible, cost, travel, unknown = True, 0, 0, 0
    for seat in instance.seats:
        worker = assignment.get(seat.key)
        if worker is None:
            cost += LOCK_PENALTY if seat.locked_worker else UNASSIGNED_PENALTY
            continue
        if seat.locked_worker is not None and worker != seat.locked_worker:
            feasible = False
        if instance.why_not(seat, carers[worker]):
            feasible = False
        pairs.add((seat.person_id, worker))
        routes.setdefault(worker, []).append(seat)
    for person_id, worker in pairs:
        price = instance.stranger_price(person_id, carers[worker])
        cost += price
        unknown += price == KNOWN_WORTH_MIN
    for worker, seats in routes.items():
        carer = carers[worker]
        seats.sort(key=lambda s: (s.start, s.end))
        if carer.cap_minutes is not None and sum(s.minutes for s in seats) > carer.cap_minutes:
            feasible = False
        cost += instance.home_trip(carer, seats[0]) + instance.home_trip(carer, seats[-1])
        for a, b in zip(seats, seats[1:], strict=False):
            trip = instance.trip(carer, a, b)
            travel += trip
            if a.end + trip > b.start:
                feasible = False
    return cost + travel, travel, unknown, feasible


def home_minutes(instance: Instance, assignment: dict) -> int:
    """Minutes carers travel from home to their first visit and back from their last."""
    carers = {c.id: c for c in instance.carers}
    days: dict = {}
    for seat in instance.seats:
        if assignment.get(seat.key) is not None:
            days.setdefault(assignment[seat.key], []).append(seat)
    total = 0
    for worker, seats in days.items():
        seats.sort(key=lambda s: (s.start, s.end))
        total += instance.home_trip(carers[worker], seats[0]) + \
            instance.home_trip(carers[worker], seats[-1])
    return total


def _matrices(instance: Instance, mode: str | None) -> np.ndarray:
    """Travel minutes between seats (node 0: the day's start and end, no travel) for a
    travel mode, as rota/travel.py counts them: ceil(metres / 1000 / (speed / road
    factor) * 60), the same float operations, for every pair at once; UNREACHABLE where
    the trip does not fit between the first seat's end and the second's start."""
    seats = instance.seats
    homes, metres = _metres(instance)
    where = {home: i for i, home in enumerate(homes)}
    at = np.array([where[s.home] for s in seats], dtype=np.int64)
    speeds = np.array([speed_kmh(mode, s.contract_speed_kmh) for s in seats], dtype=float)
    trip = np.ceil(metres[np.ix_(at, at)] / 1000 / (speeds / instance.road_factor)[None, :]
                   * 60).astype(np.int64)
    starts = np.array([s.start for s in seats], dtype=np.int64)
    ends = starts + np.array([s.minutes for s in seats], dtype=np.int64)
    reachable = ends[:, None] + trip <= starts[None, :]
    travel = np.zeros((len(seats) + 1, len(seats) + 1), dtype=np.int64)
    travel[1:, 1:] = np.where(reachable, trip, UNREACHABLE)
    np.fill_diagonal(travel, 0)
    return travel


def _home_legs(instance: Instance, carer: Carer) -> np.ndarray:
    """Minutes from the carer's home to each seat (rota/travel.py's arithmetic)."""
    if carer.home is None:
        return np.zeros(len(instance.seats), dtype=np.int64)
    homes = sorted({s.home for s in instance.seats})
    metres = np.array([distance_m(carer.home, home) for home in homes])
    where = {home: i for i, home in enumerate(homes)}
    at = np.array([where[s.home] for s in instance.seats], dtype=np.int64)
    speeds = np.array([speed_kmh(carer.travel_mode, s.contract_speed_kmh)
                       for s in instance.seats], dtype=float)
    return np.ceil(metres[at] / 1000 / (speeds / instance.road_factor) * 60).astype(np.int64)


def _metres(instance: Instance) -> tuple[list, np.ndarray]:
    """The day's distinct homes and the geodesic metres between each pair (once a solve)."""
    homes = sorted({s.home for s in instance.seats})
    cached = getattr(instance, "_metres", None)
    if cached is not None and cached[0] == homes:
        return cached
    metres = np.zeros((len(homes), len(homes)))
    for i, a in enumerate(homes):
        for j in range(i + 1, len(homes)):
            metres[i, j] = metres[j, i] = distance_m(a, homes[j])
    instance._metres = (homes, metres)
    return homes, metres


def _initial_routes(instance: Instance, nodes: dict) -> list[list[int]]:
    """Each carer's current seats that they may keep, in time order and reachable."""
    routes = []
    for carer in instance.carers:
        mine = sorted((s for s in instance.seats if (s.locked_worker or s.current_worker)
                       == carer.id and not instance.why_not(s, carer)), key=lambda s: s.start)
        kept, minutes = [], 0
        for seat in mine:
            if kept and kept[-1].end + instance.trip(carer, kept[-1], seat) > seat.start:
                continue
            if carer.cap_minutes is not None and minutes + seat.minutes > carer.cap_minutes:
                continue
            kept.append(seat)
            minutes += seat.minutes
        routes.append([nodes[s.key] for s in kept])
    return routes


def solve(instance: Instance, seconds: float = 30.0,
          progress: Callable[[float], None] | None = None) -> Solution:
    """The cheapest assignment OR-Tools finds within `seconds` (from the current rota)."""
    began = monotonic()
    seats, carers = instance.seats, instance.carers
    n = len(seats) + 1  # node 0 is where every carer's day starts and ends (no travel)
    manager = pywrapcp.RoutingIndexManager(n, len(carers), 0)
    routing = pywrapcp.RoutingModel(manager)
    nodes = {s.key: i + 1 for i, s in enumerate(seats)}

    # Travel minutes per travel mode (carers of one mode share them). Planned times are
    # fixed, so a carer can go from seat a to seat b only when a's end plus the trip is
    # no later than b's start: pairs nobody can make are cut from the search, and a pair
    # only faster carers can make costs a slower carer UNREACHABLE (never worth it).
    modes = sorted({c.travel_mode or "" for c in carers})
    travel = {mode: _matrices(instance, mode or None) for mode in modes}
    possible = np.zeros((n, n), dtype=bool)
    for matrix in travel.values():
        possible |= matrix < UNREACHABLE
    for i in range(1, n):
        cut = [manager.NodeToIndex(j) for j in np.flatnonzero(~possible[i]) if j not in (0, i)]
        if cut:
            routing.NextVar(manager.NodeToIndex(i)).RemoveValues(cut)

    # Cost: travel at the carer's mode, and the stranger price of a seat (counted on the
    # arc into the seat). A matrix per (mode, prices, home), so carers alike share one;
    # matrices, not Python callbacks, because the search reads arc costs millions of times.
    # The arcs from and to node 0 are the carer's trips from and back to their home.
    # The routing model can price continuity only per seat, not once per (person, carer)
    # pair as it is measured: a carer locked on one of the person's visits today is free
    # on their others (the pair is there already), and the exact price per pair is the
    # local search's afterwards (_improve).
    locked = {(s.person_id, s.locked_worker) for s in seats if s.locked_worker is not None}
    evaluators: dict = {}
    legs: dict = {}
    for v, carer in enumerate(carers):
        mode = carer.travel_mode or ""
        stranger = np.array([0] + [
            0 if (s.person_id, carer.id) in locked
            else instance.stranger_price(s.person_id, carer)
            for s in seats], dtype=np.int64)
        if (mode, carer.home) not in legs:
            legs[mode, carer.home] = _home_legs(instance, carer)
        key = (mode, stranger.tobytes(), carer.home)
        if key not in evaluators:
            matrix = travel[mode] + stranger[None, :]
            matrix[0, 1:] += legs[mode, carer.home]
            matrix[1:, 0] += legs[mode, carer.home]
            evaluators[key] = routing.RegisterTransitMatrix(matrix.tolist())
        routing.SetArcCostEvaluatorOfVehicle(evaluators[key], v)

    # A person's visits today that the plan may move: each carer beyond the first on them
    # costs SAME_CARER_MIN (OR-Tools counts the carers a set of seats goes to).
    theirs: dict = {}
    for seat in seats:
        if seat.locked_worker is None:
            theirs.setdefault(seat.person_id, []).append(manager.NodeToIndex(nodes[seat.key]))
    for indices in theirs.values():
        if len(indices) > 1:
            routing.AddSoftSameVehicleConstraint(indices, SAME_CARER_MIN)

    # Minutes of visits within each carer's cap.
    minutes = routing.RegisterUnaryTransitVector([0] + [s.minutes for s in seats])
    routing.AddDimensionWithVehicleCapacity(
        minutes, 0, [c.cap_minutes if c.cap_minutes is not None else DAY for c in carers],
        True, "minutes")
    allowed = []
    for seat in seats:
        index = manager.NodeToIndex(nodes[seat.key])
        allowed.append([v for v, c in enumerate(carers) if instance.why_not(seat, c) is None
                        and (seat.locked_worker is None or c.id == seat.locked_worker)])
        if len(allowed[-1]) < len(carers):  # (9.15's SetAllowedVehiclesForIndex refuses lists)
            routing.VehicleVar(index).SetValues([-1, *allowed[-1]])
        routing.AddDisjunction([index], LOCK_PENALTY if seat.locked_worker
                               else UNASSIGNED_PENALTY)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    # Guided local search escapes a local optimum by penalising the arcs it keeps using;
    # at OR-Tools' default weight (0.1) the penalties stayed too light to give up a
    # carer's good run of visits, and on small days it stopped short of the optimum
    # when three seats had to change carers at once (tests/test_optimiser.py).
    params.guided_local_search_lambda_coefficient = GLS_LAMBDA
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    # Operators that swap a staffed seat for an unstaffed one and rebuild parts of
    # routes: seats left unstaffed are where a plain local search gets stuck. With
    # times fixed a carer's day is a chain in time order, so what helps is moving runs
    # of visits between carers (cross exchange, relocating a seat with its neighbours,
    # rebuilding whole days), not reordering within one day.
    for operator in ("use_inactive_lns", "use_path_lns", "use_extended_swap_active",
                     "use_relocate_and_make_active", "use_exchange_and_make_active",
                     "use_cross_exchange", "use_relocate_neighbors", "use_full_path_lns"):
        setattr(params.local_search_operators, operator, BOOL_TRUE)
    remaining = max(0.2, seconds * (1 - EXACT_SHARE) - (monotonic() - began))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    if progress:
        started = monotonic()
        routing.AddAtSolutionCallback(
            lambda: progress(min(0.99, (monotonic() - started) / remaining)))
    routing.CloseModelWithParameters(params)
    # Start from the better of the current rota (repaired: what it may keep) and a
    # plan built from scratch (cheapest insertion), then improve with guided local search.
    routes = _initial_routes(instance, nodes)
    starts = [routing.ReadAssignmentFromRoutes(routes, True)] if any(routes) else []
    first = pywrapcp.DefaultRoutingSearchParameters()
    first.CopyFrom(params)
    first.solution_limit = 1
    first.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    starts.append(routing.SolveWithParameters(first))
    starts = [a for a in starts if a is not None]
    best = min(starts, key=lambda a: a.ObjectiveValue()) if starts else None
    params.time_limit.FromMilliseconds(
        int(max(0.2, seconds * (1 - EXACT_SHARE) - (monotonic() - began)) * 1000))
    found = (routing.SolveFromAssignmentWithParameters(best, params) if best
             else routing.SolveWithParameters(params))
    found = found or best
    assignment = {s.key: None for s in seats}
    if found is None:  # no plan within the time (a loaded machine): what the rota may keep
        for v, route in enumerate(routes):
            for node in route:
                assignment[seats[node - 1].key] = carers[v].id
    else:
        for v, carer in enumerate(carers):
            index = routing.Start(v)
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if node:
                    assignment[seats[node - 1].key] = carer.id
                index = found.Value(routing.NextVar(index))
        _keep_reachable(instance, assignment)
    _improve(instance, assignment, travel, [legs[c.travel_mode or "", c.home] for c in carers],
             allowed, began + seconds)
    cost, travel, unknown, _ = evaluate(instance, assignment)
    return Solution(assignment, cost, travel, unknown,
                    {s.key: _why_unassigned(instance, s) for s in seats
                     if assignment[s.key] is None}, monotonic() - began)


def _improve(instance: Instance, assignment: dict, travel: dict, legs: list,
             allowed: list, deadline: float) -> None:
    """Improve the assignment in place at its exact cost (evaluate()'s), until no move
    lowers it or the deadline: the routing model prices continuity per seat, but it is
    measured, and priced here, once per (person, carer) pair. Moves: a seat to another
    carer (or a seat nobody has to a carer); all of a person's seats a carer has to
    another carer (so the first carer's pair with the person goes); and either of those
    with the seats in the way on the other carer's day going back the other way. A move
    is taken only when every rule holds after it: the carer may take the seat, each
    visit is reachable from the one before, the day's minutes within the cap."""
    seats, carers = instance.seats, instance.carers
    start = [s.start for s in seats]
    length = [s.minutes for s in seats]
    visit = [s.visit_id for s in seats]
    person = [s.person_id for s in seats]
    trips = {mode: matrix.tolist() for mode, matrix in travel.items()}
    between = [trips[c.travel_mode or ""] for c in carers]
    home = [h.tolist() for h in legs]
    cap = [DAY if c.cap_minutes is None else c.cap_minutes for c in carers]
    may = [set(a) for a in allowed]
    carer_of = {c.id: v for v, c in enumerate(carers)}
    owner = [carer_of.get(assignment[s.key]) if assignment[s.key] is not None else None
             for s in seats]
    routes: list[list[int]] = [[] for _ in carers]
    for i in sorted(range(len(seats)), key=lambda i: (start[i], length[i])):
        if owner[i] is not None:
            routes[owner[i]].append(i)
    pairs: dict = {}
    for i, v in enumerate(owner):
        if v is not None:
            pairs[person[i], v] = pairs.get((person[i], v), 0) + 1
    prices: dict = {}

    def price(p, v) -> int:
        if (p, v) not in prices:
            prices[p, v] = instance.stranger_price(p, carers[v])
        return prices[p, v]

    def route_cost(v: int, route: list) -> int | None:
        """Travel of the carer's day (home legs included), or None if it breaks a rule."""
        if not route:
            return 0
        if sum(length[i] for i in route) > cap[v]:
            return None
        trip, cost = between[v], home[v][route[0]] + home[v][route[-1]]
        for a, b in zip(route, route[1:], strict=False):
            step = trip[a + 1][b + 1]
            if step >= UNREACHABLE or visit[a] == visit[b]:
                return None
            cost += step
        return cost

    costs = [route_cost(v, r) for v, r in enumerate(routes)]
    if None in costs:  # cannot happen (the plan keeps every rule): nothing to improve from
        return

    def priced(moves: list) -> tuple[int, dict] | None:
        """The change in cost if each (seat, carer or None) of moves were made."""
        changed: dict = {}
        counts: dict = {}
        delta = 0
        for i, b in moves:
            a = owner[i]
            if a is not None:
                changed.setdefault(a, list(routes[a])).remove(i)
                counts[person[i], a] = counts.get((person[i], a), 0) - 1
            else:
                delta -= UNASSIGNED_PENALTY
            if b is not None:
                insort(changed.setdefault(b, list(routes[b])), i,
                       key=lambda j: (start[j], length[j]))
                counts[person[i], b] = counts.get((person[i], b), 0) + 1
            else:
                delta += UNASSIGNED_PENALTY
        for v, route in changed.items():
            cost = route_cost(v, route)
            if cost is None:
                return None
            delta += cost - costs[v]
        for (p, v), change in counts.items():
            had = pairs.get((p, v), 0)
            if had == 0 and change > 0:
                delta += price(p, v)
            elif had > 0 and had + change == 0:
                delta -= price(p, v)
        return delta, changed

    def make(moves: list, changed: dict) -> None:
        for i, b in moves:
            a = owner[i]
            if a is not None:
                pairs[person[i], a] -= 1
            if b is not None:
                pairs[person[i], b] = pairs.get((person[i], b), 0) + 1
            owner[i] = b
            assignment[seats[i].key] = None if b is None else carers[b].id
        for v, route in changed.items():
            routes[v], costs[v] = route, route_cost(v, route)

    def in_the_way(group: list, b: int) -> list:
        """The seats on b's day that cannot be on the same day as the group's."""
        trip = between[b]
        return [j for j in routes[b] if any(
            trip[i + 1][j + 1] >= UNREACHABLE and trip[j + 1][i + 1] >= UNREACHABLE
            for i in group)]

    def better(group: list, b: int) -> bool:
        """Move the group (seats one carer has, or one nobody has) to b, or exchange it
        for what is in the way there (which nobody then has, for a group nobody had);
        True if that lowered the cost."""
        a = owner[group[0]]
        moves = [(i, b) for i in group]
        tried = priced(moves)
        if tried is None:
            blocking = in_the_way(group, b)
            if 0 < len(blocking) <= 2 and all(
                    a in may[j] if a is not None else seats[j].locked_worker is None
                    for j in blocking):
                moves += [(j, a) for j in blocking]
                tried = priced(moves)
        if tried is not None and tried[0] < 0:
            make(moves, tried[1])
            return True
        return False

    def descend() -> None:
        """Take improving moves until none is left (or the deadline)."""
        improved = True
        while improved and monotonic() < deadline:
            improved = False
            for i in movable:
                if monotonic() >= deadline:
                    return
                for b in allowed[i]:
                    if b != owner[i] and better([i], b):
                        improved = True
            for v in range(len(carers)):
                if monotonic() >= deadline:
                    return
                theirs: dict = {}
                for i in routes[v]:
                    theirs.setdefault(person[i], []).append(i)
                for group in theirs.values():
                    if len(group) < 2 or any(seats[i].locked_worker for i in group) \
                            or any(owner[i] != v for i in group):
                        continue
                    for b in set.intersection(*(may[i] for i in group)) - {v}:
                        if better(group, b):
                            improved = True
                            break

    def rebuild(ruined: list) -> int:
        """Take the seats off their carers and give each in turn to whoever costs least
        (or nobody); the change in cost."""
        change = 0
        for i in ruined:
            tried = priced([(i, None)]) if owner[i] is not None else None
            if tried is not None:
                make([(i, None)], tried[1])
                change += tried[0]
        for i in ruined:
            if owner[i] is not None:
                continue
            options = [(tried[0], b, tried[1]) for b in allowed[i]
                       if (tried := priced([(i, b)])) is not None]
            if options:
                delta, b, changed = min(options, key=lambda o: o[0])
                if delta < 0:
                    make([(i, b)], changed)
                    change += delta
        return change

    movable = [i for i, s in enumerate(seats) if s.locked_worker is None and may[i]]
    descend()
    # Time left: ruin and recreate. Up to RUIN_MAX seats close in time and place to a
    # random one are taken off and given back one by one at the exact cost, kept when
    # the plan is no dearer: a way out of a plan no single move improves, when several
    # seats must change carers at once.
    chance = Random(len(seats))
    homes, metres = _metres(instance)
    where = {h: k for k, h in enumerate(homes)}
    at = np.array([where[s.home] for s in seats])
    apart = (metres[np.ix_(at, at)] / 1000 * RUIN_MIN_PER_KM).tolist()
    while movable and monotonic() < deadline:
        saved = (list(owner), [list(r) for r in routes], list(costs), dict(pairs),
                 dict(assignment))
        first = chance.choice(movable)
        near = sorted(movable, key=lambda i: abs(start[i] - start[first]) + apart[first][i]
                      + chance.random())
        ruined = near[:chance.randint(2, min(RUIN_MAX, len(near)))]
        chance.shuffle(ruined)
        if rebuild(ruined) > 0:
            owner[:], routes[:], costs[:] = saved[0], saved[1], saved[2]
            pairs.clear()
            pairs.update(saved[3])
            assignment.update(saved[4])


def _keep_reachable(instance: Instance, assignment: dict) -> None:
    """Unstaff any seat a carer cannot reach in time (only an UNREACHABLE arc, which the
    search has no reason to keep, could give one): the plan never breaks the rule."""
    carers = {c.id: c for c in instance.carers}
    by_carer: dict = {}
    for seat in instance.seats:
        if assignment[seat.key] is not None:
            by_carer.setdefault(assignment[seat.key], []).append(seat)
    for worker, theirs in by_carer.items():
        theirs.sort(key=lambda s: s.start)
        last = None
        for seat in theirs:
            if last is not None and last.end + instance.trip(carers[worker], last, seat) \
                    > seat.start:
                assignment[seat.key] = None
            else:
                last = seat


def _why_unassigned(instance: Instance, seat: Seat) -> str:
    """Why a seat was left without a carer, in a manager's words."""
    reasons = {instance.why_not(seat, c) for c in instance.carers}
    if None in reasons:
        return "every carer who could take it is busy then or cannot travel there in time"
    if not instance.carers:
        return "no carers"
    return "no carer can take it: " + "; ".join(sorted(r for r in reasons if r))
