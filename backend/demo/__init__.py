"""The demo county: a realistic synthetic county, deterministic for a seed.

`build_demo()` runs STEPS in order; each step takes the DemoCounty, writes its
rows (flush, never commit) and records what later steps need on it. To add a
step (goals and episodes, feedback, alert detection ...), append one line to
STEPS: a callable `step(county: DemoCounty) -> None`, drawing its randomness from
`county.rng("<step name>")` so the other steps' output does not change.

What a later step finds on the county: `now`, `tz`, `today`, `first_day`,
`last_day`; `council_id`, `nhs_id`, `area_ids`; `providers` (ProviderFacts: id,
manager_id, worker_ids, contracts, suspended, quality); `people` (PersonFacts);
`packages` (PackageFacts: package_type, dates, schedule, suspensions); `workers`
(WorkerFacts: home, daily limit, days off); `users` (demo login -> user id);
`planted` (the rota problems left for the manager). The set-up steps create their records
through the administration services and the bulk import, as a council and a provider
would (rule 11: one path per operation), each record audited. Visits and events are only
in the database (a county-year has millions): query them, in chunks for large scales.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from backend.demo.county import DEMO_COUNCIL, DEMO_PASSWORD, LOGINS, DemoCounty
from backend.demo.feedback import add_feedback
from backend.demo.organisations import add_organisations
from backend.demo.outcomes import add_outcomes
from backend.demo.packages import add_packages
from backend.demo.people import add_people
from backend.demo.staff import add_care_workers, add_staff
from backend.demo.visits import add_visits
from backend.errors import Conflict
from backend.extensions import db
from backend.models import AuditEntry, Organisation, User
from backend.services.administration.contracts import set_funders
from backend.services.database.dialect import empty_tables
from backend.services.dates import clock
from backend.services.monitoring.monitor import run_detection


def add_joint_funding(county: DemoCounty) -> None:
    """Joint commissioning: the ICB's continuing healthcare contract with the last provider
    that has one is jointly funded, council 70% / ICB 30%, so a handful of packages count
    for both funders by share (through the administration service, as an admin would)."""
    chc = [p for p in county.providers if "nhs" in p.contracts]
    contract = ([p for p in chc if not p.suspended] or chc)[-1].contracts["nhs"]
    set_funders(db.session.get(User, county.users["admin"]), contract.id,
                {county.council_id: 70, county.nhs_id: 30})


def add_panel_feedback(county: DemoCounty) -> None:
    """Panel feedback about the providers (queries what earlier steps wrote)."""
    add_feedback(county.rng("feedback"), county.now.astimezone(county.tz).date())


def add_goals_and_episodes(county: DemoCounty) -> None:
    """Outcome goals, progress history and reablement episodes (queries earlier steps)."""
    add_outcomes(county.rng("outcomes"), county.today)


def add_alerts(county: DemoCounty) -> None:
    """Alerts as the scheduler would have raised them by now."""
    run_detection(county.now)


STEPS = [
    add_organisations,  # the install's admin, lots, council and ICB, providers, contracts
    add_staff,  # managers, commissioners, panel (demo sign-ins); framework history
    add_joint_funding,  # one ICB contract jointly funded with the council (70/30)
    add_people,  # service users (drawn; imported with their packages)
    add_packages,  # people and packages with weekly patterns imported, hospital stays
    add_care_workers,  # enough care workers for the packages, imported; demo password
    add_visits,  # visits (future ones by the generator), a rota, tasks, events
    add_goals_and_episodes,  # goals in people's words, progress at visits, reablement
    add_panel_feedback,  # months of panel responses and two unused feedback links
    add_alerts,  # monitoring's first pass over the last day: late and missed calls now
]

# The steps that set the county up through the administration services and the bulk
# import (the rest add what happened since: visits, events, outcomes, feedback, alerts).
SET_UP_STEPS = (add_organisations, add_staff, add_joint_funding, add_people, add_packages,
                add_care_workers)

__all__ = ["DEMO_PASSWORD", "LOGINS", "STEPS", "DemoCounty", "build_demo", "demo_exists",
           "empty_database"]


@contextmanager
def as_of(county: DemoCounty) -> Iterator[None]:
    """Set up through the services a council and a provider use, as of the county's now:
    what they record (audit entries, package statuses, dates) is its now's, and the visits
    they make at once (a hospital stay recorded on a package) reach as far as the county's
    last day, as the scheduler's horizon would for a county of that many days ahead."""
    config = current_app.config
    horizon = config.get("VISIT_HORIZON_DAYS")
    config["VISIT_HORIZON_DAYS"] = county.future_days + 1
    try:
        with clock.pinned(county.now):
            yield
    finally:
        config["VISIT_HORIZON_DAYS"] = horizon


def demo_exists() -> bool:
    """Whether this database already holds the demo county.

    A database holding other data (not the demo) is refused: the demo never mixes in.
    """
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.name == DEMO_COUNCIL)):
        return True
    if db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)):
        raise Conflict("This database already holds organisations that are not the demo "
                       "county; build the demo into an empty database.")
    return False


def build_demo(seed: int = 2026, scale: float = 1.0, past_days: int = 14,
               future_days: int | None = None, now: datetime | None = None,
               progress: bool = False) -> DemoCounty:
    """Build the demo county into the session (flushed, not committed) and return it.

    future_days defaults to the scheduler's horizon (VISIT_HORIZON_DAYS - 1 days after
    today), so its first generation run has nothing to add.
    """
    if future_days is None:
        future_days = current_app.config.get("VISIT_HORIZON_DAYS", 14) - 1
    county = DemoCounty(seed=seed, scale=scale, now=now or clock.now(), tz=clock.zone(),
                        past_days=past_days, future_days=future_days, progress=progress)
    for step in STEPS:
        if step in SET_UP_STEPS:
            with as_of(county):
                step(county)
        else:
            step(county)
    db.session.add(AuditEntry(
        at=county.now, action="demo.built", object_type="demo", object_id=str(seed),
        details={"seed": seed, "scale": scale, "past_days": past_days,
                 "future_days": future_days, "counts": county.counts}))
    db.session.flush()
    return county


def empty_database() -> None:
    """Delete every row of every table (for --reset); the schema stays."""
    empty_tables(list(reversed(db.metadata.sorted_tables)))
