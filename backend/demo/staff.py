"""Steps: people who sign in: a manager per provider, the commissioners, a panel member
and an admin; later, care workers with home bases, as many as each provider's packages
need. Every demo user shares the demo password.

Accounts are set up as a council and a provider set up theirs: staff invited by the
administrator, care workers imported by their provider's manager (the bulk import, fed
the rows a file would hold), leave recorded on the care worker, and the demo password
given through the identity service that sets passwords.
"""
import math
import uuid
from collections import Counter
from datetime import date, time, timedelta

import sqlalchemy as sa

from backend.demo.county import DEMO_PASSWORD, DemoCounty, WorkerFacts
from backend.demo.organisations import framework_history
from backend.demo.places import FIRST_NAMES_YOUNGER, LAST_NAMES, pick_settlement, scatter
from backend.demo.tables import import_rows
from backend.extensions import db
from backend.models import Role, User, WageRate
from backend.services.administration.carers import add_leave
from backend.services.administration.users import invite_user
from backend.services.bulk_import.cells import DAY_NAMES
from backend.services.database.dialect import load_rows
from backend.services.identity.password_change import set_passwords

VISITS_PER_WORKING_DAY = 7
WORKING_DAYS = 5  # of 7
TRIP = 15  # minutes to reach a call, for counting the carers busy at once
PEAK_MARGIN = 1.2


def add_staff(county: DemoCounty) -> None:
    """A manager per provider, the commissioning users and the panel member, invited by the
    administrator; then the framework's history as the council's commissioner made it."""
    rng = county.rng("staff")
    admin = county.account("admin")
    for index, provider in enumerate(county.providers):
        provider.manager_id = _invite(admin, "manager" if index == 0 else f"manager{index}",
                                      Role.PROVIDER_MANAGER, provider.id, _person_name(rng))
    county.users["manager"] = county.providers[0].manager_id
    county.users["commissioner"] = _invite(admin, "commissioner", Role.COMMISSIONER,
                                           county.council_id,
                                           "Helen Carter (Commissioning Manager)")
    county.users["nhs"] = _invite(admin, "nhs", Role.COMMISSIONER, county.nhs_id,
                                  "Dr Amir Hussain (CHC Lead)")
    county.users["panel"] = _invite(admin, "panel", Role.PANEL_MEMBER, county.council_id,
                                    "Joan Whitfield (Service User Panel)")
    county.count("users", len(county.providers) + 4)  # and the administrator
    framework_history(county, county.account("commissioner"))


def _invite(admin: User, username: str, role: Role, organisation_id, name: str):
    user, _ = invite_user(admin, organisation_id, username, role, name,
                          f"{username}@demo.example")
    return user.id


def add_care_workers(county: DemoCounty) -> None:
    """Each provider's care workers, enough for its packages: 6 to 10 visits a working day.

    Runs after the packages so each provider is staffed for the calls it has, two days
    off a week each; the demo `carer` is the first worker of the first provider. Each
    provider's manager imports its care workers; then every demo account gets the demo
    password.
    """
    rng, rest = county.rng("care workers"), county.rng("days off")
    details = county.rng("carer details")  # its own stream: the rest stays as it was
    made = areas = 0
    for provider in county.providers:
        rota_start = rest.randrange(7)
        rows, drawn = [], []
        for number in range(_workers_needed(county, provider)):
            name = _person_name(rng)
            first = provider is county.providers[0] and number == 0
            username = "carer" if first else \
                f"{name.split()[0][0]}{name.split()[1]}{made}".lower()
            place = pick_settlement(rng, provider.areas)
            home = scatter(rng, place, widen=2.0)
            max_daily = rng.choice((None, 360, 480, 600))
            # Days off in turn, so every weekday has the same share of the team working.
            days_off = [(rota_start + number) % 7, (rota_start + number + 3) % 7]
            if first:  # the demo carer works today and tomorrow
                days_off = [(county.today.weekday() + d) % 7 for d in (2, 5)]
            full_time = first or rest.random() < 0.4
            made += 1
            terms = _terms(county, details, made, provider, place.area, full_time, first)
            areas += len(terms["areas"])
            rows.append(_import_row(username, name, home, max_daily, days_off, terms))
            drawn.append((f"CW{made:04d}", home, max_daily, days_off, full_time, terms))
        manager = county.account_of(provider.manager_id)
        import_rows(manager, "care_workers", rows)
        ids = dict(db.session.execute(sa.select(User.staff_ref, User.id).where(
            User.organisation_id == provider.id, User.role == Role.CARE_WORKER)).all())
        for staff_ref, home, max_daily, days_off, full_time, terms in drawn:
            worker_id = ids[staff_ref]
            for start, end in terms["leave"]:
                add_leave(manager, worker_id, start, end, "annual", "Holiday")
            provider.worker_ids.append(worker_id)
            county.workers[worker_id] = WorkerFacts(
                worker_id, home, max_daily, frozenset(days_off), full_time=full_time,
                skills=frozenset(terms["skills"]), travel_mode=terms["travel_mode"],
                windows=terms["windows"], leave=terms["leave"],
                max_weekly_minutes=terms["max_weekly_minutes"])
    county.users["carer"] = county.providers[0].worker_ids[0]
    county.count("users", made)
    workers = county.workers.values()
    county.count("carer_skills", sum(len(w.skills) for w in workers))
    county.count("carer_availability", sum(len(w.windows) * (7 - len(w.days_off))
                                           for w in workers))
    county.count("carer_areas", areas)
    county.count("carer_leave", sum(len(w.leave) for w in workers))
    _give_demo_password()
    if not db.session.scalar(sa.select(sa.func.count()).select_from(WageRate)):
        # The migration records these; a database emptied for a fresh demo gets them back.
        county.count("wage_rates", load_rows(WageRate.__table__, [
            dict(id=uuid.uuid4(), effective_from=day, hourly_pence=pence,
                 name="National Living Wage") for day, pence in NATIONAL_LIVING_WAGE]))


def _give_demo_password() -> None:
    """Every demo account signs in with the demo password (one hash: argon2 is slow)."""
    set_passwords(list(db.session.scalars(sa.select(User))), DEMO_PASSWORD)


def _import_row(username, name, home, max_daily, days_off, terms) -> dict:
    """The care worker as a row of the import template (cell text, as a file holds it)."""
    windows = [(day, a, b) for day in range(7) if day not in days_off
               for a, b in terms["windows"]]
    return {"staff_ref": terms["staff_ref"], "username": username, "name": name,
            "email": f"{username}@demo.example",
            "contracted_hours_per_week": _hours(terms["contracted_weekly_minutes"]),
            "max_hours_per_week": _hours(terms["max_weekly_minutes"]),
            "max_hours_per_day": _hours(max_daily), "travel_mode": terms["travel_mode"],
            "hourly_pay": f"{terms['hourly_pay_pence'] / 100:.2f}",
            "skills": ", ".join(sorted(terms["skills"])),
            "availability": "; ".join(f"{DAY_NAMES[day]} {_clock(a):%H:%M}-{_clock(b):%H:%M}"
                                      for day, a, b in windows),
            "areas": "; ".join(terms["areas"]),
            "home_lat": repr(home[0]), "home_lon": repr(home[1])}


def _hours(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes / 60:g}"


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


def _terms(county, rng, number, provider, area, full_time, first) -> dict:
    """A worker's training, working windows, leave, areas, travel, hours and pay.

    The demo carer has every skill and a full day so their day can be planned
    as the scenarios expect; others are drawn from SKILL_SHARES and TRAVEL_MODES.
    """
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
    pay = NATIONAL_LIVING_WAGE_PENCE + 5 * rng.randint(0, 36)
    areas = {area} | ({rng.choice(provider.areas)} if rng.random() < 0.25 else set())
    return dict(staff_ref=f"CW{number:04d}", contracted_weekly_minutes=contracted,
                max_weekly_minutes=2880 if full_time else contracted + 600, travel_mode=mode,
                hourly_pay_pence=pay, skills=frozenset(skills), windows=windows, leave=leave,
                areas=sorted(areas))


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _person_name(rng) -> str:
    return f"{rng.choice(FIRST_NAMES_YOUNGER)} {rng.choice(LAST_NAMES)}"


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
