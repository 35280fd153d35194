"""Benchmarks (issue 20): the Client Level Data export for a county-year against a
hand-written SQL of the same rows, with its peak memory; a person's FHIR Bundle for a
year of visits on SQLite.

    .venv/bin/python bench/audit_county.py ecm_bench_national --people 3000 --first 2025-10-01
    .venv/bin/python bench/national.py cld --database ecm_bench_national [--repeat 3]
    .venv/bin/python bench/national.py fhir [--repeat 7]

`cld` adds reablement episodes to the synthetic county (once), then for each quarter of
the year runs, each in a fresh process (so ru_maxrss is that run's peak): the service
(national.cld.cld_csv, streamed to a byte counter) and the baseline (one SELECT of the
same rows, streamed through a server-side cursor into the same CSV writer), each twice
and timed the second time (a server's steady state: statements compiled, caches warm). The figure
is the ratio of the summed medians. `fhir` builds a SQLite database with one person, a
year of visits (three a day, each checked in and out), goals with scores and an
episode, and times GET /fhir/R4/Patient/<id>/$everything through the app.
"""
import argparse
import csv
import hashlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, time as clock_time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", "bench-only" * 4)

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
QUARTERS = [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)]

EPISODES_SQL = """
INSERT INTO reablement_episodes (id, service_user_id, package_id, start_date, from_hospital,
  planned_end, actual_end, outcome, weekly_minutes_start, age_at_start, created_at)
SELECT gen_random_uuid(), p.service_user_id, p.id, p.start_date + 30, true,
       p.start_date + 72, CASE WHEN p.start_date + 72 < CURRENT_DATE THEN p.start_date + 72 END,
       CASE WHEN p.start_date + 72 < CURRENT_DATE THEN 'low_level_support' END,
       p.weekly_minutes, 80, now()
FROM care_packages p
WHERE mod(abs(hashtext(p.id::text)), 10) = 0
  AND NOT EXISTS (SELECT 1 FROM reablement_episodes e WHERE e.package_id = p.id)
"""

# The same 46 fields in the same order, each written by the database (the end of the
# quarter as :end, the start as :start); Reporting_Period_End_Date comes first in the file.
BASELINE_SQL = """
SELECT :la_code, :end, :start, su.nhs_number, su.council_ref, NULL, NULL, NULL,
       su.date_of_birth, su.date_of_death, 'Service user', NULL, su.postcode,
       su.accommodation_status, NULL, NULL, NULL, NULL, NULL, NULL,
       'Fully social care funded', 'Service', p.id::text, p.start_date,
       CASE WHEN p.end_date <= :end THEN p.end_date END, NULL,
       CASE WHEN p.end_date <= :end THEN
         CASE WHEN su.date_of_death <= p.end_date + 7 THEN 'NFA: Deceased'
              WHEN EXISTS (SELECT 1 FROM care_packages f
                           WHERE f.service_user_id = p.service_user_id AND f.id <> p.id
                             AND f.start_date > p.start_date
                             AND f.start_date - p.end_date <= 7)
              THEN 'Continuation of support or services'
              ELSE 'NFA: Support ended for other reason' END END,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       CASE WHEN p.package_type = 'reablement' THEN 'Short term support: ST-Max'
            ELSE 'Long term support: Community' END,
       CASE WHEN p.package_type = 'reablement' THEN 'Reablement'
            ELSE 'Home support or domiciliary care' END,
       'CASSR commissioned support', o.cqc_id, NULL, NULL, NULL,
       round(c.hourly_rate_pence / 100.0, 2), 'Hourly', round(p.weekly_minutes / 60.0, 2),
       su.council_ref AS sort_person, p.start_date AS sort_start, 0 AS sort_part, p.id AS sort_id
FROM care_packages p
JOIN service_users su ON su.id = p.service_user_id
JOIN organisations o ON o.id = p.provider_id
JOIN contracts c ON c.id = p.contract_id
WHERE p.funder_id = :council AND p.start_date <= :end
  AND (p.end_date IS NULL OR p.end_date >= :start)
  AND NOT (p.package_type = 'reablement'
           AND EXISTS (SELECT 1 FROM reablement_episodes e WHERE e.package_id = p.id))
UNION ALL
SELECT :la_code, :end, :start, su.nhs_number, su.council_ref, NULL, NULL, NULL,
       su.date_of_birth, su.date_of_death, 'Service user', NULL, su.postcode,
       su.accommodation_status, NULL, NULL, NULL, NULL, NULL, NULL,
       'Fully social care funded', 'Service', e.id::text, e.start_date,
       CASE WHEN e.actual_end <= :end THEN e.actual_end END, NULL,
       CASE WHEN e.actual_end <= :end THEN
         CASE e.outcome WHEN 'no_further_support' THEN 'NFA: Support ended as planned'
                        WHEN 'died' THEN 'NFA: Deceased'
                        WHEN 'hospital' THEN 'Admitted to hospital'
                        WHEN 'declined' THEN 'NFA: Support declined'
                        WHEN NULL THEN NULL
                        ELSE 'Progress to support planning or services' END END,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       'Short term support: ST-Max', 'Reablement', 'CASSR commissioned support', o.cqc_id,
       NULL, NULL, NULL, round(c.hourly_rate_pence / 100.0, 2), 'Hourly',
       round(coalesce(e.weekly_minutes_start, p.weekly_minutes) / 60.0, 2),
       su.council_ref, e.start_date, 1, e.id
FROM reablement_episodes e
JOIN care_packages p ON p.id = e.package_id
JOIN service_users su ON su.id = p.service_user_id
JOIN organisations o ON o.id = p.provider_id
JOIN contracts c ON c.id = p.contract_id
WHERE p.funder_id = :council AND e.start_date <= :end
  AND (e.actual_end IS NULL OR e.actual_end >= :start)
ORDER BY sort_part, sort_person, sort_start, sort_id
"""


class Sink(io.TextIOBase):
    """Counts what is written and keeps only its digest (the two files must be equal)."""

    def __init__(self):
        self.chars, self.digest = 0, hashlib.sha256()

    def write(self, text):
        self.chars += len(text)
        self.digest.update(text.encode())
        return len(text)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cld_run(database: str, mode: str, quarter: date) -> dict:
    """One export in this process: seconds, rows, characters and peak memory."""
    import sqlalchemy as sa

    from backend.app import create_app
    from backend.extensions import db
    from backend.models import Organisation, OrganisationKind, Role, User
    from backend.services.national.cld import FIELDS, cld_csv, quarter as quarter_of

    app = create_app({"SQLALCHEMY_DATABASE_URI": SERVER + database})
    with app.app_context():
        council = db.session.scalar(sa.select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL))
        start, end = quarter_of(quarter)
        for _ in range(2):  # the first run warms the statement caches; the second is timed
            began, rows, sink = time.perf_counter(), 0, Sink()
            if mode == "service":
                user = User(role=Role.COMMISSIONER, organisation_id=council.id)
                for line in cld_csv(user, council.id, quarter):
                    sink.write(line)
                    rows += 1
                rows -= 1  # the header
            else:
                writer = csv.writer(sink, lineterminator="\r\n")
                writer.writerow(FIELDS)
                result = db.session.execute(sa.text(BASELINE_SQL).execution_options(
                    yield_per=2000), {"council": council.id, "start": start, "end": end,
                                      "la_code": council.ods_code})
                for row in result:
                    writer.writerow(row[:46])
                    rows += 1
            seconds = time.perf_counter() - began
            db.session.rollback()
    return {"seconds": seconds, "rows": rows, "chars": sink.chars,
            "sha256": sink.digest.hexdigest(), "maxrss_mb": _maxrss_mb()}


def cld(args) -> None:
    """Both exports for each quarter, alternating, each in a fresh process."""
    import sqlalchemy as sa

    engine = sa.create_engine(SERVER + args.database)
    with engine.begin() as conn:
        conn.execute(sa.text(EPISODES_SQL))
        conn.execute(sa.text("ANALYZE"))
        visits = conn.execute(sa.text("SELECT count(*) FROM visits")).scalar()
    engine.dispose()
    totals = {"service": [], "sql": []}
    peak = {"service": 0.0, "sql": 0.0}
    rows, digests = {}, {}
    for quarter in QUARTERS:
        times = {"service": [], "sql": []}
        for _ in range(args.repeat):
            for mode in ("sql", "service"):
                out = subprocess.run(
                    [sys.executable, __file__, "cld-run", "--database", args.database,
                     "--mode", mode, "--quarter", quarter.isoformat()],
                    check=True, capture_output=True, text=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                times[mode].append(result["seconds"])
                peak[mode] = max(peak[mode], result["maxrss_mb"])
                rows[(quarter, mode)] = result["rows"]
                digests.setdefault(quarter, set()).add(result["sha256"])
        for mode in times:
            totals[mode].append(statistics.median(times[mode]))
        same = "the same file" if len(digests[quarter]) == 1 else "FILES DIFFER"
        print(f"{quarter}: rows service {rows[(quarter, 'service')]} sql "
              f"{rows[(quarter, 'sql')]} ({same}); median service {totals['service'][-1]:.2f} s, "
              f"sql {totals['sql'][-1]:.2f} s")
    service, baseline = sum(totals["service"]), sum(totals["sql"])
    print(f"county-year ({visits} visits): service {service:.2f} s, hand-written SQL "
          f"{baseline:.2f} s, ratio {service / baseline:.2f}; peak RSS service "
          f"{peak['service']:.0f} MB, SQL {peak['sql']:.0f} MB; load {os.getloadavg()[0]:.1f}")


def fhir(args) -> None:
    """A person's $everything Bundle over a year of visits, on SQLite."""
    import sqlalchemy as sa

    from backend.app import create_app
    from backend.extensions import db
    from backend.models import (
        EventKind, Goal, GoalProgress, PackageType, ReablementEpisode, Role, Visit, VisitEvent,
        VisitStatus,
    )
    from backend.services.identity.tokens import issue_access_token
    from tests.factories import Factory

    folder = tempfile.mkdtemp(prefix="bench-fhir-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/fhir.sqlite3",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        make = Factory()
        w = make.world()
        person = make.service_user(nhs_number="9434765919")
        package = make.package(person, contract=w.contract, start_date=date(2025, 1, 1),
                               schedule=[(d, hh, 30) for d in range(7)
                                         for hh in ("08:00", "12:30", "18:00")])
        first = date(2025, 12, 1)
        visits, events = [], []
        for day in range(365):
            local = first + timedelta(days=day)
            for hour in (8, 12, 18):
                start = datetime.combine(local, clock_time(hour), tzinfo=UTC)
                visit_id = uuid.uuid4()
                visits.append(dict(
                    id=visit_id, package_id=package.id, contract_id=package.contract_id,
                    planned_start=start, planned_end=start + timedelta(minutes=30),
                    local_date=local, local_time=clock_time(hour), duration_min=30,
                    carers_required=1, priority="normal", status=VisitStatus.COMPLETED,
                    actual_start=start + timedelta(minutes=2),
                    actual_end=start + timedelta(minutes=33), delivered_seconds=1860,
                    delivered_minutes=31, location_verified=True, flags=[],
                    created_at=start, short_call_agreed=False, review_pending=False))
                for kind, at in ((EventKind.CHECK_IN, 2), (EventKind.CHECK_OUT, 33)):
                    events.append(dict(
                        id=uuid.uuid4(), visit_id=visit_id, worker_id=w.worker.id,
                        recorded_by_id=w.worker.id, kind=kind,
                        device_time=start + timedelta(minutes=at),
                        server_time=start + timedelta(minutes=at), mock_location=False,
                        flags=[], details={}, verified=True))
        db.session.execute(sa.insert(Visit), visits)
        db.session.execute(sa.insert(VisitEvent), events)
        goals = [Goal(service_user_id=person.id, package_id=package.id, description=f"Goal {n}",
                      domain="food_and_drink", measure="gas", baseline=-1, target=0,
                      created_at=datetime(2025, 12, 1, tzinfo=UTC)) for n in range(5)]
        db.session.add_all(goals)
        db.session.flush()
        db.session.execute(sa.insert(GoalProgress), [dict(
            id=uuid.uuid4(), goal_id=goals[n % 5].id, visit_id=v["id"],
            recorded_by_id=w.worker.id, recorded_at=v["actual_end"], entered_at=v["actual_end"],
            score=0) for n, v in enumerate(visits[::3])])
        reablement = make.package(person, contract=w.contract,
                                  package_type=PackageType.REABLEMENT,
                                  start_date=date(2025, 12, 1), end_date=date(2026, 1, 12))
        db.session.add(ReablementEpisode(
            service_user_id=person.id, package_id=reablement.id, start_date=date(2025, 12, 1),
            planned_end=date(2026, 1, 12), actual_end=date(2026, 1, 12),
            outcome="no_further_support", barthel_start_total=10, barthel_end_total=16,
            age_at_start=80))
        manager = make.user(Role.PROVIDER_MANAGER, w.provider)
        db.session.commit()
        token, _ = issue_access_token(manager)
        person_id = person.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/fhir/R4/Patient/{person_id}/$everything"
    client.get(url, headers=headers)  # warm up
    times, cpu, entries = [], [], 0
    for _ in range(args.repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        entries = len(response.json["entry"])
    ms = [t * 1000 for t in times]
    print(f"FHIR $everything, a year of visits ({len(visits)} visits, {entries} resources, "
          f"{len(response.data) // 1024} KiB) on SQLite: median {statistics.median(ms):.0f} ms "
          f"(min {min(ms):.0f}, max {max(ms):.0f}), CPU median "
          f"{statistics.median(cpu) * 1000:.0f} ms; load {os.getloadavg()[0]:.1f}")


def main() -> int:
    """Parse the arguments and run one benchmark."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("cld")
    one.add_argument("--database", default="ecm_bench_national")
    one.add_argument("--repeat", type=int, default=3)
    run = sub.add_parser("cld-run")
    run.add_argument("--database", required=True)
    run.add_argument("--mode", choices=("service", "sql"), required=True)
    run.add_argument("--quarter", type=date.fromisoformat, required=True)
    bundle = sub.add_parser("fhir")
    bundle.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if args.command == "cld-run":
        print(json.dumps(cld_run(args.database, args.mode, args.quarter)))
    elif args.command == "cld":
        cld(args)
    else:
        fhir(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
