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
- time: a seat starts exactly at its planned minute; between two seats a carer
  needs the visit's minutes plus the trip (rota/travel.py: geodesic at the carer's
  travel mode's speed x the road factor), waiting allowed;
- the carer's minutes that day within their cap (the daily limit, and what the
  weekly limit leaves);
- cost, in minutes: travel between consecutive visits, plus KNOWN_WORTH_MIN for each
  seat given to a carer the person does not know, plus UNASSIGNED_PENALTY for each
  seat left without a carer (so a seat is left only when nobody can take it);
- locked seats stay with their carer.

`evaluate()` prices any assignment by the same rules (the brute-force test and the
proposal's before/after figures use it), so the solver's cost can be checked.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from time import monotonic

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util.optional_boolean_pb2 import BOOL_TRUE

from backend.services.rota.travel import speed_kmh, trip_minutes

KNOWN_WORTH_MIN = 15  # minutes of extra travel worth it to send a carer the person knows
UNASSIGNED_PENALTY = 1000  # more than any day's travel for one seat: staff it if possible
LOCK_PENALTY = 100_000  # a locked seat that cannot be kept (its carer's day is impossible)
DAY = 24 * 60 * 2  # minutes the time dimension spans (a day and the night after)


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
    unknown: int  # seats given to a carer the person does not know
    unassigned: dict = field(default_factory=dict)  # seat key -> why nobody
    seconds: float = 0.0


def evaluate(instance: Instance, assignment: dict) -> tuple[int, int, int, bool]:
    """(cost, travel minutes, unknown seats, feasible) of an assignment, by the model's rules."""
    carers = {c.id: c for c in instance.carers}
    routes: dict = {}
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
        if seat.person_id not in carers[worker].known:
            unknown += 1
        routes.setdefault(worker, []).append(seat)
    for worker, seats in routes.items():
        carer = carers[worker]
        seats.sort(key=lambda s: (s.start, s.end))
        if carer.cap_minutes is not None and sum(s.minutes for s in seats) > carer.cap_minutes:
            feasible = False
        for a, b in zip(seats, seats[1:], strict=False):
            trip = instance.trip(carer, a, b)
            travel += trip
            if a.end + trip > b.start:
                feasible = False
    return cost + travel + KNOWN_WORTH_MIN * unknown, travel, unknown, feasible


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

    # Travel and time matrices per travel mode (carers of one mode share them).
    modes = sorted({c.travel_mode or "" for c in carers})
    travel_index, time_index = {}, {}
    for mode in modes:
        probe = Carer(None, mode or None)
        travel = [[0] * n for _ in range(n)]
        timing = [[0] * n for _ in range(n)]
        for i, a in enumerate(seats, start=1):
            timing[i][0] = a.minutes
            for j, b in enumerate(seats, start=1):
                if i != j and a.end <= b.start:  # only forward in time can follow
                    trip = instance.trip(probe, a, b)
                    travel[i][j], timing[i][j] = trip, a.minutes + trip
                elif i != j:
                    travel[i][j], timing[i][j] = DAY, DAY
        travel_index[mode] = routing.RegisterTransitMatrix(travel)
        time_index[mode] = routing.RegisterTransitMatrix(timing)
    for v, carer in enumerate(carers):
        routing.SetArcCostEvaluatorOfVehicle(travel_index[carer.travel_mode or ""], v)
    routing.AddDimensionWithVehicleTransits(
        [time_index[c.travel_mode or ""] for c in carers], DAY, DAY, False, "time")
    time = routing.GetDimensionOrDie("time")
    for seat in seats:
        time.CumulVar(manager.NodeToIndex(nodes[seat.key])).SetRange(seat.start, seat.start)

    # Minutes of visits within each carer's cap.
    minutes = routing.RegisterUnaryTransitVector([0] + [s.minutes for s in seats])
    routing.AddDimensionWithVehicleCapacity(
        minutes, 0, [c.cap_minutes if c.cap_minutes is not None else DAY for c in carers],
        True, "minutes")
    # Continuity: a unit per seat given to a carer the person does not know, priced.
    # One evaluator per distinct vector; binary, counted on the arc leaving the seat
    # (OR-Tools 9.15 mishandles vehicle-dependent unary transits: it then finds even
    # an empty plan infeasible).
    registered: dict = {}
    strangers = []
    for carer in carers:
        vector = tuple([0] + [0 if s.person_id in carer.known else 1 for s in seats])
        if vector not in registered:
            registered[vector] = routing.RegisterTransitCallback(
                lambda i, _j, vector=vector: vector[manager.IndexToNode(i)])
        strangers.append(registered[vector])
    routing.AddDimensionWithVehicleTransits(strangers, 0, len(seats) + 1, True, "strangers")
    routing.GetDimensionOrDie("strangers").SetSpanCostCoefficientForAllVehicles(
        KNOWN_WORTH_MIN)

    for seat in seats:
        index = manager.NodeToIndex(nodes[seat.key])
        allowed = [v for v, c in enumerate(carers) if instance.why_not(seat, c) is None
                   and (seat.locked_worker is None or c.id == seat.locked_worker)]
        if len(allowed) < len(carers):  # (9.15's SetAllowedVehiclesForIndex refuses lists)
            routing.VehicleVar(index).SetValues([-1, *allowed])
        routing.AddDisjunction([index], LOCK_PENALTY if seat.locked_worker
                               else UNASSIGNED_PENALTY)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    # Operators that swap a staffed seat for an unstaffed one and rebuild parts of
    # routes: seats left unstaffed are where a plain local search gets stuck.
    for operator in ("use_inactive_lns", "use_path_lns", "use_extended_swap_active",
                     "use_relocate_and_make_active", "use_exchange_and_make_active"):
        setattr(params.local_search_operators, operator, BOOL_TRUE)
    remaining = max(0.2, seconds - (monotonic() - began))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    if progress:
        started = monotonic()
        routing.AddAtSolutionCallback(
            lambda: progress(min(0.99, (monotonic() - started) / remaining)))
    routing.CloseModelWithParameters(params)
    routes = _initial_routes(instance, nodes)
    # Repair the current rota when there is one; otherwise build from scratch.
    initial = routing.ReadAssignmentFromRoutes(routes, True) if any(routes) else None
    found = (routing.SolveFromAssignmentWithParameters(initial, params) if initial
             else routing.SolveWithParameters(params))
    if found is None:  # nothing feasible at all: everything stays as it is
        assignment = {s.key: s.current_worker for s in seats}
    else:
        assignment = {s.key: None for s in seats}
        for v, carer in enumerate(carers):
            index = routing.Start(v)
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if node:
                    assignment[seats[node - 1].key] = carer.id
                index = found.Value(routing.NextVar(index))
    cost, travel, unknown, _ = evaluate(instance, assignment)
    return Solution(assignment, cost, travel, unknown,
                    {s.key: _why_unassigned(instance, s) for s in seats
                     if assignment[s.key] is None}, monotonic() - began)


def _why_unassigned(instance: Instance, seat: Seat) -> str:
    """Why a seat was left without a carer, in a manager's words."""
    reasons = {instance.why_not(seat, c) for c in instance.carers}
    if None in reasons:
        return "every carer who could take it is busy then or cannot travel there in time"
    if not instance.carers:
        return "no carers"
    return "no carer can take it: " + "; ".join(sorted(r for r in reasons if r))
