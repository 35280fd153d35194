"""The demo's rota: each day, each provider's visits go to its care workers as a
coordinator would give them out, so every worker's day passes the assignment checks.

Greedy in start order: a visit goes to a working care worker (not on leave, within
their working window, trained in the skills its pattern line requires) who is free
in time (no overlap, and travel from their previous visit at their travel mode's
speed fits the gap), stays under their daily and weekly limits, and costs least:
short travel, a carer the person already knows (continuity), an even share of the
day. Double-ups get two. A few deliberate problems are then planted for the manager
(plant_problems).
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.models import Contract
from backend.services.rota.travel import road_factor, speed_kmh, trip_minutes

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
    skills: frozenset = frozenset()  # what its pattern line requires

    @property
    def home(self) -> tuple[float, float]:
        """The person's pin: what the assignment checks measure travel from."""
        return self.package.person.pin


class _Shift:
    """A worker's day so far; times in minutes since the epoch (cheap to compare)."""

    __slots__ = ("worker_id", "where", "free_at", "minutes", "visits", "limit", "keen",
                 "facts", "speed", "windows", "week_left")

    def __init__(self, facts, day: date, week_left: float):
        self.worker_id, self.where, self.facts = facts.id, facts.home, facts
        self.limit = facts.max_daily_minutes or NO_LIMIT_MINUTES
        self.keen = FULL_TIME_BONUS if facts.full_time else 0
        self.free_at, self.minutes, self.visits = -math.inf, 0, 0
        self.speed = speed_kmh(facts.travel_mode, SPEED_KMH)
        self.windows, self.week_left = facts.windows, week_left


def _trip_minutes(a: tuple[float, float], b: tuple[float, float], speed: float) -> int:
    """Travel minutes at `speed`, never fewer than rota/travel.py gives (fast maths)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + \
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    km = 2 * EARTH_KM * math.asin(math.sqrt(h)) * SAFETY
    return math.ceil(km * road_factor() / speed * 60)


def _epoch_minutes(at: datetime) -> float:
    return at.timestamp() / 60


class Rota:
    """Staffs days in order, remembering who has visited whom (continuity)."""

    def __init__(self, workers: dict, zone):
        self.workers = workers  # id -> WorkerFacts
        self.zone = zone
        self.known: dict = defaultdict(Counter)  # person id -> worker id -> visits
        self._trips: dict = {}  # (from, to, speed) -> minutes; the same trips recur daily
        self.week_minutes: dict = Counter()  # (worker id, Monday) -> minutes planned

    def staff_day(self, day: date, worker_ids: list, calls: list[Call]) -> None:
        """Give each call (sorted by start) its carers from the provider's working workers."""
        monday = day - timedelta(days=day.weekday())
        shifts = []
        for w in worker_ids:
            facts = self.workers[w]
            if day.weekday() in facts.days_off or any(a <= day <= b for a, b in facts.leave):
                continue
            left = (facts.max_weekly_minutes or math.inf) - self.week_minutes[w, monday]
            shifts.append(_Shift(facts, day, left))
        for call in calls:
            start, end = _epoch_minutes(call.start), _epoch_minutes(call.end)
            local = call.start.astimezone(self.zone)
            call_from = local.hour * 60 + local.minute
            call_window = (call_from, call_from + call.minutes)
            while len(call.workers) < call.needed:
                able = [s for s in shifts if call.skills <= s.facts.skills
                        and s.week_left >= call.minutes
                        and any(a <= call_window[0] and call_window[1] <= b
                                for a, b in s.windows)]
                shift = self._best(call, start, able, MOST_VISITS, 0) or \
                    self._best(call, start, able, math.inf, 0) or \
                    self._best(call, start, able, math.inf, STRETCH_MINUTES)
                if shift is None:
                    break  # nobody can get there: the visit stays short of carers
                shift.where, shift.free_at = call.home, end
                shift.minutes += call.minutes
                shift.week_left -= call.minutes
                self.week_minutes[shift.worker_id, monday] += call.minutes
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
            trip = trips.get((shift.where, home, shift.speed))
            if trip is None:
                trip = trips[shift.where, home, shift.speed] = _trip_minutes(
                    shift.where, home, shift.speed)
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


def plant_problems(calls: list[Call], rota: Rota, keep_clear=()) -> tuple[list[str], object]:
    """Four things for the manager to find on one day's rota (calls staffed, by start).

    One visit nobody is assigned to, one double-up with only one carer, one visit
    moved to a carer whose previous visit ends too far away to get there in time, and
    a carer who has rung in sick that day with their visits still on the rota.
    Workers in keep_clear keep their day as staffed. Returns what was planted and the
    sick carer's id (their leave is the caller's to write).
    """
    planted, touched = [], set()
    singles = [c for c in calls if c.needed == 1 and len(c.workers) == 1
               and c.workers[0] not in keep_clear]
    lunch = [c for c in singles if c.start.hour >= 11]  # UTC; a midday call, any season
    if lunch:
        lunch[0].workers.clear()
        planted.append("unassigned")
    doubles = [c for c in calls if c.needed == 2 and len(c.workers) == 2
               and c.workers[1] not in keep_clear]
    if doubles:
        touched.add(doubles[0].workers.pop())
        planted.append("double-up short")
    moved = _tight_gap(calls, [c for c in singles if c.workers], rota, keep_clear)
    if moved:
        touched |= moved
        planted.append("travel gap")
    days = defaultdict(list)
    for call in calls:
        for worker in call.workers:
            days[worker].append(call)
    sick = next((w for w, theirs in days.items() if w not in keep_clear and w not in touched
                 and len(theirs) >= 3 and all(c.needed == 1 for c in theirs)), None)
    if sick is not None:
        planted.append("carer on leave")
    return planted, sick


def _tight_gap(calls: list[Call], singles: list[Call], rota: Rota, keep_clear) -> set:
    """Move one visit to a carer who is free then but cannot travel there in time; the
    workers whose day changed, or nothing."""
    days = defaultdict(list)
    for call in calls:
        for worker in call.workers:
            days[worker].append(call)
    for call in singles:
        monday = call.start.astimezone(rota.zone).date()
        monday -= timedelta(days=monday.weekday())
        local = call.start.astimezone(rota.zone)
        window = (local.hour * 60 + local.minute, local.hour * 60 + local.minute + call.minutes)
        for worker, theirs in days.items():
            facts = rota.workers[worker]
            if worker in call.workers or worker in keep_clear:
                continue
            # One problem at a time: trained, in their working hours, under their limits.
            if not call.skills <= facts.skills or not any(
                    a <= window[0] and window[1] <= b for a, b in facts.windows):
                continue
            if facts.max_weekly_minutes is not None and facts.max_weekly_minutes < \
                    rota.week_minutes[worker, monday] + call.minutes:
                continue
            before = [c for c in theirs if c.end <= call.start]
            after = [c for c in theirs if c.start >= call.end]
            if not before or len(before) + len(after) != len(theirs):
                continue  # no previous visit, or an overlap
            limit = facts.max_daily_minutes
            if limit and sum(c.minutes for c in theirs) + call.minutes > limit:
                continue
            speed = speed_kmh(facts.travel_mode, SPEED_KMH)
            gap = (call.start - before[-1].end).total_seconds() / 60
            needed = trip_minutes(before[-1].home, call.home, speed)
            onward_ok = not after or trip_minutes(call.home, after[0].home, speed) <= \
                (after[0].start - call.end).total_seconds() / 60
            if 0 <= gap < needed <= gap + 20 and onward_ok:
                touched = {worker, *call.workers}
                call.workers[:] = [worker]
                return touched
    return set()
