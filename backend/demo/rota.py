"""The demo's rota: each day, each provider's visits go to its care workers as a
coordinator would give them out, so every worker's day passes the assignment checks.

Greedy in start order: a visit goes to a working care worker who is free in time
(no overlap, and travel from their previous visit at the contract's speed fits the
gap), stays under their daily limit, and costs least: short travel, a carer the
person already knows (continuity), an even share of the day. Double-ups get two.
A few deliberate problems are then planted for the manager (plant_problems).
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from backend.models import Contract
from backend.services.attendance.geo import travel_minutes

# The demo's contracts keep the model's default travel speed.
SPEED_KMH = Contract.__table__.c.travel_speed_kmh.default.arg
EARTH_KM = 6371.0
SAFETY = 1.005  # haversine is within 0.5% of the geodesic here: never under-estimate a trip
MOST_VISITS = 10  # a full day of calls; passed only when nobody else can go
FULL_TIME_BONUS = 10  # minutes of extra travel worth it to fill a full-timer's day
STRETCH_MINUTES = 60  # over the daily limit (a warning), rather than nobody at all
NO_LIMIT_MINUTES = 450  # visit minutes a day for workers without a limit of their own
KNOWN_BONUS = 15  # minutes of extra travel worth it to send a carer the person knows,
# and 3 more for each visit they made (up to 10): the person's regulars come first


@dataclass
class Call:
    """One visit to staff: when, where, for whom, how many carers; workers once staffed."""

    id: object
    package: object  # PackageFacts
    start: datetime
    end: datetime
    minutes: int
    needed: int
    planned: object = None  # the PlannedVisit of a visit not yet written (past ones)
    workers: list = field(default_factory=list)

    @property
    def home(self) -> tuple[float, float]:
        """The person's pin: what the assignment checks measure travel from."""
        return self.package.person.pin


class _Shift:
    """A worker's day so far; times in minutes since the epoch (cheap to compare)."""

    __slots__ = ("worker_id", "where", "free_at", "minutes", "visits", "limit", "keen")

    def __init__(self, worker_id, where: tuple[float, float], limit: int, full_time: bool):
        self.worker_id, self.where, self.limit = worker_id, where, limit
        self.keen = FULL_TIME_BONUS if full_time else 0
        self.free_at, self.minutes, self.visits = -math.inf, 0, 0


def _trip_minutes(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Travel minutes at SPEED_KMH, never fewer than geo.travel_minutes gives (fast maths)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + \
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    km = 2 * EARTH_KM * math.asin(math.sqrt(h)) * SAFETY
    return math.ceil(km / SPEED_KMH * 60)


def _epoch_minutes(at: datetime) -> float:
    return at.timestamp() / 60


class Rota:
    """Staffs days in order, remembering who has visited whom (continuity)."""

    def __init__(self, workers: dict):
        self.workers = workers  # id -> WorkerFacts
        self.known: dict = defaultdict(Counter)  # person id -> worker id -> visits
        self._trips: dict = {}  # (from, to) -> minutes; the same trips recur every day

    def staff_day(self, day: date, worker_ids: list, calls: list[Call]) -> None:
        """Give each call (sorted by start) its carers from the provider's working workers."""
        shifts = [_Shift(w, self.workers[w].home,
                         self.workers[w].max_daily_minutes or NO_LIMIT_MINUTES,
                         self.workers[w].full_time)
                  for w in worker_ids if day.weekday() not in self.workers[w].days_off]
        for call in calls:
            start, end = _epoch_minutes(call.start), _epoch_minutes(call.end)
            while len(call.workers) < call.needed:
                shift = self._best(call, start, shifts, MOST_VISITS, 0) or \
                    self._best(call, start, shifts, math.inf, 0) or \
                    self._best(call, start, shifts, math.inf, STRETCH_MINUTES)
                if shift is None:
                    break  # nobody can get there: the visit stays short of carers
                shift.where, shift.free_at = call.home, end
                shift.minutes += call.minutes
                shift.visits += 1
                call.workers.append(shift.worker_id)
                self.known[call.package.person.id][shift.worker_id] += 1

    def regulars(self, call: Call) -> list:
        """The person's most frequent carers so far, as many as the call needs (for a call
        cancelled in advance: it shows whose visit it was, but took no time on the rota)."""
        return [w for w, _ in self.known[call.package.person.id].most_common(call.needed)]

    def _best(self, call: Call, start: float, shifts: list, most: float, stretch: int):
        """The cheapest worker who can get there in time, with at most `most` visits so far
        and up to `stretch` minutes over their daily limit; None when nobody can."""
        known, home, minutes, trips = self.known[call.package.person.id], call.home, \
            call.minutes, self._trips
        best, best_cost = None, math.inf
        for shift in shifts:
            if shift.free_at > start or shift.minutes + minutes > shift.limit + stretch \
                    or shift.visits >= most or shift.worker_id in call.workers:
                continue
            trip = trips.get((shift.where, home))
            if trip is None:
                trip = trips[shift.where, home] = _trip_minutes(shift.where, home)
            if shift.visits == 0:
                cost = trip / 2  # the journey from home starts the day
            elif shift.free_at + trip > start:
                continue
            else:
                cost = trip
            visits = known.get(shift.worker_id)
            if visits:
                cost -= KNOWN_BONUS + 3 * min(visits, 10)
            cost += 2 * shift.visits - shift.keen
            if cost < best_cost:
                best, best_cost = shift, cost
        return best


def plant_problems(calls: list[Call], workers: dict, keep_clear=()) -> list[str]:
    """Three things for the manager to find on one day's rota (calls staffed, by start).

    One visit nobody is assigned to, one double-up with only one carer, and one visit
    moved to a carer whose previous visit ends too far away to get there in time.
    Workers in keep_clear keep their day as staffed. Returns what was planted.
    """
    planted = []
    singles = [c for c in calls if c.needed == 1 and len(c.workers) == 1
               and c.workers[0] not in keep_clear]
    lunch = [c for c in singles if c.start.hour >= 11]  # UTC; a midday call, any season
    if lunch:
        lunch[0].workers.clear()
        planted.append("unassigned")
    doubles = [c for c in calls if c.needed == 2 and len(c.workers) == 2
               and c.workers[1] not in keep_clear]
    if doubles:
        doubles[0].workers.pop()
        planted.append("double-up short")
    if _tight_gap(calls, [c for c in singles if c.workers], workers, keep_clear):
        planted.append("travel gap")
    return planted


def _tight_gap(calls: list[Call], singles: list[Call], workers: dict, keep_clear) -> bool:
    """Move one visit to a carer who is free then but cannot travel there in time."""
    days = defaultdict(list)
    for call in calls:
        for worker in call.workers:
            days[worker].append(call)
    for call in singles:
        for worker, theirs in days.items():
            if worker in call.workers or worker in keep_clear:
                continue
            before = [c for c in theirs if c.end <= call.start]
            after = [c for c in theirs if c.start >= call.end]
            if not before or len(before) + len(after) != len(theirs):
                continue  # no previous visit, or an overlap
            limit = workers[worker].max_daily_minutes
            if limit and sum(c.minutes for c in theirs) + call.minutes > limit:
                continue  # one problem at a time: not over the daily limit too
            gap = (call.start - before[-1].end).total_seconds() / 60
            needed = travel_minutes(before[-1].home, call.home, SPEED_KMH)
            onward_ok = not after or travel_minutes(call.home, after[0].home, SPEED_KMH) <= \
                (after[0].start - call.end).total_seconds() / 60
            if 0 <= gap < needed <= gap + 20 and onward_ok:
                call.workers[:] = [worker]
                return True
    return False
