"""Steps: people who sign in: a manager per provider, the commissioners, a panel member
and an admin; later, care workers with home bases, as many as each provider's packages
need. Every demo user shares the demo password."""
import functools
import math
import uuid
from collections import Counter

from backend.services.database.dialect import load_rows
from backend.demo.county import DEMO_PASSWORD, DemoCounty, WorkerFacts
from backend.demo.places import FIRST_NAMES_YOUNGER, LAST_NAMES, pick_settlement, scatter
from backend.models import Role, User
from backend.services.identity.passwords import hash_password

VISITS_PER_WORKING_DAY = 7
WORKING_DAYS = 5  # of 7
TRIP = 15  # minutes to reach a call, for counting the carers busy at once
PEAK_MARGIN = 1.2


def add_staff(county: DemoCounty) -> None:
    """A manager per provider, the commissioning users, the panel member and the admin."""
    rng = county.rng("staff")
    county.password_hash = demo_password_hash()
    rows = []
    for index, provider in enumerate(county.providers):
        provider.manager_id = _user(county, rows, "manager" if index == 0 else f"manager{index}",
                                    Role.PROVIDER_MANAGER, provider.id, _person_name(rng))
    county.users["manager"] = county.providers[0].manager_id
    county.users["commissioner"] = _user(county, rows, "commissioner", Role.COMMISSIONER,
                                         county.council_id, "Helen Carter (Commissioning Manager)")
    county.users["nhs"] = _user(county, rows, "nhs", Role.COMMISSIONER, county.nhs_id,
                                "Dr Amir Hussain (CHC Lead)")
    county.users["panel"] = _user(county, rows, "panel", Role.PANEL_MEMBER, county.council_id,
                                  "Joan Whitfield (Service User Panel)")
    county.users["admin"] = _user(county, rows, "admin", Role.ADMIN, county.council_id,
                                  "System Administrator")
    county.count("users", load_rows(User.__table__, rows))


def add_care_workers(county: DemoCounty) -> None:
    """Each provider's care workers, enough for its packages: 6 to 10 visits a working day.

    Runs after the packages so each provider is staffed for the calls it has, two days
    off a week each; the demo `carer` is the first worker of the first provider.
    """
    rng, rest = county.rng("care workers"), county.rng("days off")
    rows = []
    for provider in county.providers:
        rota_start = rest.randrange(7)
        for number in range(_workers_needed(county, provider)):
            name = _person_name(rng)
            first = provider is county.providers[0] and number == 0
            username = "carer" if first else \
                f"{name.split()[0][0]}{name.split()[1]}{len(county.workers)}".lower()
            home = scatter(rng, pick_settlement(rng, provider.areas), widen=2.0)
            max_daily = rng.choice((None, 360, 480, 600))
            worker_id = _user(county, rows, username, Role.CARE_WORKER, provider.id, name, home,
                              max_daily)
            provider.worker_ids.append(worker_id)
            # Days off in turn, so every weekday has the same share of the team working.
            days_off = [(rota_start + number) % 7, (rota_start + number + 3) % 7]
            if first:  # the demo carer works today and tomorrow
                days_off = [(county.today.weekday() + d) % 7 for d in (2, 5)]
            county.workers[worker_id] = WorkerFacts(
                worker_id, home, max_daily, frozenset(days_off),
                full_time=first or rest.random() < 0.4)
    county.users["carer"] = county.providers[0].worker_ids[0]
    county.count("users", load_rows(User.__table__, rows))


def _user(county, rows, username, role, organisation_id, name, home=None, max_daily=None):
    user_id = uuid.uuid4()
    rows.append(dict(
        id=user_id, created_at=county.now, username=username, display_name=name,
        email=f"{username}@demo.example", role=role.value, organisation_id=organisation_id,
        password_hash=county.password_hash, active=True,
        home_lat=home[0] if home else None, home_lon=home[1] if home else None,
        max_daily_minutes=max_daily, failed_sign_ins=0, locked_until=None))
    return user_id


def _person_name(rng) -> str:
    return f"{rng.choice(FIRST_NAMES_YOUNGER)} {rng.choice(LAST_NAMES)}"


@functools.cache
def demo_password_hash() -> str:
    """The demo password's argon2id hash; argon2 is slow on purpose, so once per process."""
    return hash_password(DEMO_PASSWORD)


def _workers_needed(county: DemoCounty, provider) -> int:
    """Carers for the provider's calls as of today (a seat per carer on double-ups).

    Enough for the day's calls at about VISITS_PER_WORKING_DAY each, and for the
    busiest quarter hour of the week (calls with the trip to them), with a margin
    for the spread of homes; both with two days off a week.
    """
    today = county.today
    lines = [line for package in county.packages
             if package.provider is provider and package.start_date <= today
             and (package.end_date is None or today <= package.end_date)
             for line in package.schedule]
    busy = Counter()
    for line in lines:
        first = (line.start_time.hour * 60 + line.start_time.minute) // 15
        for quarter in range(first, first + math.ceil((line.duration_min + TRIP) / 15)):
            busy[line.weekday, quarter] += line.carers_required
    per_day = sum(line.carers_required for line in lines) / 7 / VISITS_PER_WORKING_DAY
    at_once = max(busy.values(), default=0) * PEAK_MARGIN + 1
    return max(3, math.ceil(max(per_day, at_once) * 7 / WORKING_DAYS))
