"""The demo county being built: its size, clock, random streams and what each step made.

Every step takes the DemoCounty, adds rows, and records what later steps need
(ids and plain facts) on it. Each step draws from its own random stream, named
after the step, so adding a step never changes what the others build.
"""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.extensions import db
from backend.models import User
from backend.services.dates.clock import local_to_utc

DEMO_COUNCIL = "Northshire County Council"
DEMO_NHS = "Northshire Integrated Care Board"
DEMO_PASSWORD = "demo-care-2026"
# One demo sign-in per role: username -> role.
LOGINS = {"carer": "care_worker", "manager": "provider_manager", "commissioner": "commissioner",
          "nhs": "commissioner", "panel": "panel_member", "admin": "admin"}


@dataclass(frozen=True)
class Sizes:
    """How many people and providers a scale asks for (care workers follow the packages)."""

    people: int
    providers: int

    @classmethod
    def for_scale(cls, scale: float) -> "Sizes":
        """Scale 1: ~500 people, 6 providers; scale 6: 3,000, 39."""
        people = max(20, round(500 * scale))
        providers = max(3, min(round(6.5 * scale), people // 10))
        return cls(people=people, providers=providers)


@dataclass
class ProviderFacts:
    """A provider as later steps need it."""

    id: object
    name: str
    areas: tuple[str, ...]
    suspended: bool
    quality: float  # 0 good .. 1 poor: raises late, short and missed visits
    weight: float  # share of the county's people and workers
    contracts: dict = field(default_factory=dict)  # funder kind -> ContractFacts
    manager_id: object = None
    worker_ids: list = field(default_factory=list)


@dataclass(frozen=True)
class WorkerFacts:
    """A care worker as the rota needs them: where their day starts, their limit, days off."""

    id: object
    home: tuple[float, float]
    max_daily_minutes: int | None
    days_off: frozenset[int]  # weekdays, Monday 0
    full_time: bool = False  # given the fuller days: the rest of the team fills in
    skills: frozenset = frozenset()  # Skill values the worker is trained for
    travel_mode: str = "driving"
    # Local working windows on a working day, minutes after midnight: ((start, end), ...)
    windows: tuple = ((7 * 60, 22 * 60 + 30),)
    leave: tuple = ()  # ((first day, last day), ...) of annual leave
    max_weekly_minutes: int | None = None


@dataclass
class ContractFacts:
    """The contract values that judging a location needs."""

    id: object
    funder_id: object
    geofence_radius_m: int
    accuracy_allowance_max_m: int
    name: str = ""


@dataclass
class PersonFacts:
    """A service user: the map pin, and where the home really is (a few pins are wrong)."""

    id: object  # set once the person is imported
    council_ref: str
    pin: tuple[float, float]
    true_home: tuple[float, float]
    area: str
    geofence_radius_m: int | None
    geofence_off: bool


@dataclass
class PackageFacts:
    """A package with its weekly pattern; duck-types CarePackage for schedule.planned_visits."""

    id: object  # set once the package is imported
    person: PersonFacts
    provider: ProviderFacts
    contract: ContractFacts
    package_type: str
    start_date: date
    end_date: date | None
    schedule: list
    suspensions: list
    reference: str = ""  # the funder's reference, as its import file gives it
    weekly_minutes: int = 0


@dataclass
class DemoCounty:
    """Inputs of a build and everything its steps have made so far."""

    seed: int
    scale: float
    now: datetime
    tz: ZoneInfo
    past_days: int
    future_days: int
    progress: bool = False
    sizes: Sizes = None
    council_id: object = None
    nhs_id: object = None
    area_ids: dict = field(default_factory=dict)
    providers: list = field(default_factory=list)
    people: list = field(default_factory=list)
    person_rows: dict = field(default_factory=dict)  # council_ref -> import row, until imported
    packages: list = field(default_factory=list)
    workers: dict = field(default_factory=dict)  # care worker id -> WorkerFacts
    users: dict = field(default_factory=dict)  # demo login username -> user id
    counts: dict = field(default_factory=dict)  # table -> rows written
    planted: list = field(default_factory=list)  # rota problems left for the manager

    def __post_init__(self):
        self.sizes = self.sizes or Sizes.for_scale(self.scale)

    @property
    def today(self) -> date:
        """The local date of the build's now."""
        return self.now.astimezone(self.tz).date()

    @property
    def first_day(self) -> date:
        """The first local day with visits."""
        return self.today - timedelta(days=self.past_days)

    @property
    def last_day(self) -> date:
        """The last local day with visits."""
        return self.today + timedelta(days=self.future_days)

    def rng(self, step: str) -> random.Random:
        """The random stream of one step, fixed by the seed."""
        return random.Random(f"{self.seed}:{step}")

    def account(self, login: str) -> User:
        """The demo sign-in's account (the actor of the services a step calls)."""
        return self.account_of(self.users[login])

    def account_of(self, user_id) -> User:
        """An account made by an earlier step."""
        return db.session.get(User, user_id)

    def count(self, table: str, rows: int) -> None:
        """Note rows written to a table, for the summary."""
        self.counts[table] = self.counts.get(table, 0) + rows

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """An aware instant for a local wall-clock time (for dates of records, not visits)."""
        return local_to_utc(day, time(hour, minute), self.tz)
