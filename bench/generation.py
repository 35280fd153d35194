"""Benchmark: visit generation for 3,000 packages x 28 days on SQLite (target: under a minute).

    python bench/generation.py [--packages 3000] [--days 28]

Builds a throwaway SQLite database, 3,000 packages with realistic weekly patterns
(1-4 calls a day, every day), then times generate_visits() over 28 days, a second
(idempotent) run, and as a baseline in the same run a bare executemany INSERT of
the same number of visit rows into an empty copy of the table.
"""
import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import (  # noqa: E402
    DEFAULT_RULES, CarePackage, Contract, MonitoringRule, Organisation, OrganisationKind,
    PackageType, ScheduleLine, ServiceUser, Visit, VisitTask,
)
from backend.services.rota.visit_generation import generate_visits  # noqa: E402

CALL_TIMES = ["07:30", "08:00", "12:00", "12:30", "17:00", "18:00", "21:00"]


def build(packages: int) -> None:
    """Organisations, a contract, people and packages with weekly patterns (not timed)."""
    council = Organisation(name="Bench Council", kind=OrganisationKind.COUNCIL)
    provider = Organisation(name="Bench Care", kind=OrganisationKind.PROVIDER)
    db.session.add_all([council, provider])
    db.session.flush()
    contract = Contract(name="Bench", funder_id=council.id, provider_id=provider.id,
                        starts_on=date(2020, 1, 1))
    for priority, values in DEFAULT_RULES.items():
        contract.rules.append(MonitoringRule(priority=priority, **values))
    db.session.add(contract)
    db.session.flush()
    rng = random.Random(4)
    people, pkgs, lines = [], [], []
    for n in range(packages):
        person_id, package_id = uuid.uuid4(), uuid.uuid4()
        people.append(dict(id=person_id, council_ref=f"B{n:06d}", first_name="P",
                           last_name=str(n), address="x", postcode="NN1 1AA", home_lat=52.2,
                           home_lon=-0.9, geofence_off=False, access_notes="",
                           contact_opted_in=False, created_at=datetime.now(UTC)))
        pkgs.append(dict(id=package_id, service_user_id=person_id, provider_id=provider.id,
                         funder_id=council.id, contract_id=contract.id,
                         package_type=PackageType.STANDARD, weekly_minutes=480,
                         start_date=date(2024, 1, 1), status="active",
                         created_at=datetime.now(UTC)))
        calls = sorted(rng.sample(CALL_TIMES, rng.choice([1, 2, 3, 4])))
        for weekday in range(7):
            for hhmm in calls:
                hour, minute = map(int, hhmm.split(":"))
                lines.append(dict(id=uuid.uuid4(), package_id=package_id, weekday=weekday,
                                  start_time=clock_time(hour, minute), duration_min=30,
                                  carers_required=1, priority="normal",
                                  tasks=["Personal care", "Medication prompt"]))
    db.session.execute(sa.insert(ServiceUser.__table__), people)
    db.session.execute(sa.insert(CarePackage.__table__), pkgs)
    db.session.execute(sa.insert(ScheduleLine.__table__), lines)
    db.session.commit()


def baseline_insert(rows: list[dict]) -> float:
    """Seconds for a bare executemany INSERT of the same visit rows into a scratch table."""
    scratch = sa.Table("bench_visits_scratch", sa.MetaData(),
                       *(sa.Column(c.name, c.type, primary_key=c.primary_key)
                         for c in Visit.__table__.columns))
    scratch.create(db.engine)
    started, cpu = time.perf_counter(), time.process_time()
    db.session.execute(sa.insert(scratch), rows)
    db.session.commit()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=3000)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ecm-bench-generation-")
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{folder}/bench.sqlite3"})
    with app.app_context():
        db.create_all()
        build(args.packages)
        now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
        started, cpu = time.perf_counter(), time.process_time()
        result = generate_visits(now=now, horizon_days=args.days)
        db.session.commit()
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        again = generate_visits(now=now, horizon_days=args.days)
        db.session.commit()
        second, second_cpu = time.perf_counter() - started, time.process_time() - cpu
        tasks = db.session.scalar(sa.select(sa.func.count()).select_from(VisitTask))
        rows = [dict(r._mapping) for r in db.session.execute(sa.select(Visit.__table__))]
        for row in rows:
            row["id"] = uuid.uuid4()
        base, base_cpu = baseline_insert(rows)
    print(f"packages={args.packages} days={args.days} visits={result.created} tasks={tasks}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"generate_visits first run:  {first:7.2f} s wall, {first_cpu:6.2f} s CPU "
          "(target < 60 s)")
    print(f"generate_visits second run: {second:7.2f} s wall, {second_cpu:6.2f} s CPU, "
          f"created={again.created} (idempotent)")
    print(f"baseline bare INSERT of the same visit rows: {base:7.2f} s wall, {base_cpu:6.2f} s CPU")
    print(f"ratio first run / bare visit INSERT: {first / base:5.1f}x wall, "
          f"{first_cpu / base_cpu:5.1f}x CPU")


if __name__ == "__main__":
    main()
