"""Steps: people who sign in: a manager per provider, the commissioners, a panel member
and an admin; later, care workers with home bases, as many as each provider's packages
need. Every demo user shares the demo password."""
import functools
import math
import uuid
from collections import Counter
from datetime import date, time, timedelta

import sqlalchemy as sa

from backend.services.database.dialect import load_rows
from backend.demo.county import DEMO_PASSWORD, DemoCounty, WorkerFacts
from backend.demo.places import FIRST_NAMES_YOUNGER, LAST_NAMES, pick_settlement, scatter
from backend.extensions import db
from backend.models import (
    CarerArea, CarerAvailability, CarerLeave, CarerSkill, Role, User, WageRate,
)
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
    details = county.rng("carer details")  # its own stream: the rest stays as it was
    rows, extra = [], {"carer_skills": [], "carer_availability": [], "carer_leave": [],
                       "carer_areas": []}
    for provider in county.providers:
        rota_start = rest.randrange(7)
        for number in range(_workers_needed(county, provider)):
            name = _person_name(rng)
            first = provider is county.providers[0] and number == 0
            username = "carer" if first else \
                f"{name.split()[0][0]}{name.split()[1]}{len(county.workers)}".lower()
            place = pick_settlement(rng, provider.areas)
            home = scatter(rng, place, widen=2.0)
            max_daily = rng.choice((None, 360, 480, 600))
            worker_id = _user(county, rows, username, Role.CARE_WORKER, provider.id, name, home,
                              max_daily)
            provider.worker_ids.append(worker_id)
            # Days off in turn, so every weekday has the same share of the team working.
            days_off = [(rota_start + number) % 7, (rota_start + number + 3) % 7]
            if first:  # the demo carer works today and tomorrow
                days_off = [(county.today.weekday() + d) % 7 for d in (2, 5)]
            full_time = first or rest.random() < 0.4
            terms = _terms(county, details, rows[-1], provider, place.area, full_time, first,
                           days_off, extra)
            county.workers[worker_id] = WorkerFacts(
                worker_id, home, max_daily, frozenset(days_off), full_time=full_time, **terms)
    county.users["carer"] = county.providers[0].worker_ids[0]
    county.count("users", load_rows(User.__table__, rows))
    for table in (CarerSkill.__table__, CarerAvailability.__table__, CarerLeave.__table__,
                  CarerArea.__table__):
        county.count(table.name, load_rows(table, extra[table.name]))
    if not db.session.scalar(sa.select(sa.func.count()).select_from(WageRate)):
        # The migration records these; a database emptied for a fresh demo gets them back.
        county.count("wage_rates", load_rows(WageRate.__table__, [
            dict(id=uuid.uuid4(), effective_from=day, hourly_pence=pence,
                 name="National Living Wage") for day, pence in NATIONAL_LIVING_WAGE]))


# Training in a typical agency: nearly everyone gives medicines, most do hoists.
SKILL_SHARES = {"medication": 0.9, "moving_and_handling": 0.85, "dementia": 0.55,
                "catheter_care": 0.3, "peg_feeding": 0.2, "end_of_life": 0.15}
TRAVEL_MODES = (("driving", 0.85), ("walking", 0.05), ("cycling", 0.03),
                ("public_transport", 0.07))
FULL_DAY = ((7 * 60, 22 * 60 + 30),)
SPLIT_SHIFT = ((7 * 60, 14 * 60), (16 * 60, 22 * 60 + 30))  # mornings, then teas and beds
NATIONAL_LIVING_WAGE = ((date(2024, 4, 1), 1144), (date(2025, 4, 1), 1221),
                        (date(2026, 4, 1), 1271))
NATIONAL_LIVING_WAGE_PENCE = NATIONAL_LIVING_WAGE[-1][1]  # pay starts there


def _terms(county, rng, row, provider, area, full_time, first, days_off, extra) -> dict:
    """A worker's training, working windows, leave, areas, travel, hours and pay.

    The demo carer has every skill and a full day so their day can be planned
    as the scenarios expect; others are drawn from SKILL_SHARES and TRAVEL_MODES.
    """
    worker_id, number = row["id"], len(county.workers) + 1
    skills = {s for s, share in SKILL_SHARES.items() if first or rng.random() < share}
    if full_time:  # the core team is trained for medicines and hoists
        skills |= {"medication", "moving_and_handling"}
    if "moving_and_handling" in skills:
        skills.add("double_up")  # trained to work as one of two on a hoist call
    mode = "driving" if first else rng.choices(
        [m for m, _ in TRAVEL_MODES], weights=[w for _, w in TRAVEL_MODES])[0]
    windows = FULL_DAY if full_time or rng.random() < 0.4 else SPLIT_SHIFT
    contracted = 2250 if full_time else rng.choice((960, 1200, 1440, 1800))
    leave = ()
    if not first and rng.random() < 0.04:  # a week of annual leave somewhere in the window
        start = county.first_day + timedelta(days=rng.randint(0, max(
            0, (county.last_day - county.first_day).days)))
        leave = ((start, start + timedelta(days=6)),)
    row.update(staff_ref=f"CW{number:04d}", contracted_weekly_minutes=contracted,
               max_weekly_minutes=2880 if full_time else contracted + 600, travel_mode=mode,
               hourly_pay_pence=NATIONAL_LIVING_WAGE_PENCE + 5 * rng.randint(0, 36))
    extra["carer_skills"] += [dict(id=uuid.uuid4(), worker_id=worker_id, skill=s)
                              for s in sorted(skills)]
    extra["carer_availability"] += [
        dict(id=uuid.uuid4(), worker_id=worker_id, weekday=day, start_time=_clock(a),
             end_time=_clock(b)) for day in range(7) if day not in days_off for a, b in windows]
    extra["carer_leave"] += [dict(id=uuid.uuid4(), created_at=county.now, worker_id=worker_id,
                                  start_date=a, end_date=b, kind="annual", reason="Holiday")
                             for a, b in leave]
    areas = {area} | ({rng.choice(provider.areas)} if rng.random() < 0.25 else set())
    extra["carer_areas"] += [dict(worker_id=worker_id, area_id=county.area_ids[a])
                             for a in sorted(areas)]
    return dict(skills=frozenset(skills), travel_mode=mode, windows=windows, leave=leave,
                max_weekly_minutes=row["max_weekly_minutes"])


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _user(county, rows, username, role, organisation_id, name, home=None, max_daily=None):
    user_id = uuid.uuid4()
    rows.append(dict(
        id=user_id, created_at=county.now, username=username, display_name=name,
        email=f"{username}@demo.example", role=role.value, organisation_id=organisation_id,
        password_hash=county.password_hash, active=True,
        home_lat=home[0] if home else None, home_lon=home[1] if home else None,
        max_daily_minutes=max_daily, failed_sign_ins=0, locked_until=None, staff_ref=None,
        contracted_weekly_minutes=None, max_weekly_minutes=None, travel_mode=None,
        hourly_pay_pence=None))
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
