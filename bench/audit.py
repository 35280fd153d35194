"""Benchmark (issue 6): delivered vs commissioned for a county-year, and the actuals CSV.

Runs the real hours engine (backend.services.audit.hours) grouped by provider and month
on PostgreSQL against a hand-written single SQL aggregate over the same tables in
the same run, each measured in a fresh process for its peak memory (ru_maxrss);
then streams the per-visit actuals CSV for one county-month, sampling resident
memory as rows go by to show it stays flat.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ecm_bench_audit \\
        .venv/bin/python bench/audit.py [--repeat 3]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BASELINE_SQL = """
WITH delivered AS (
  SELECT p.provider_id, date_trunc('month', v.local_date)::date AS month,
         sum(v.duration_min * v.carers_required) FILTER (WHERE v.status <> 'cancelled')
           AS planned,
         sum(coalesce(v.delivered_minutes, 0)) AS delivered,
         sum(coalesce(v.delivered_minutes, 0)) FILTER (WHERE v.location_verified) AS verified
  FROM visits v JOIN care_packages p ON p.id = v.package_id
  WHERE v.planned_start >= :start AND v.planned_start < :end AND p.funder_id = :funder
  GROUP BY 1, 2),
months AS (
  SELECT greatest(m::date, :first) AS first,
         least((m + interval '1 month' - interval '1 day')::date, :last) AS last
  FROM generate_series(date_trunc('month', CAST(:first AS date)), :last, interval '1 month') m),
commissioned AS (
  SELECT p.provider_id, date_trunc('month', m.first)::date AS month,
         sum(p.weekly_minutes * (least(coalesce(p.end_date, m.last), m.last)
             - greatest(p.start_date, m.first) + 1)) / 7.0 AS commissioned
  FROM care_packages p JOIN months m
    ON p.start_date <= m.last AND (p.end_date IS NULL OR p.end_date >= m.first)
  WHERE p.funder_id = :funder
  GROUP BY 1, 2)
SELECT o.name, month, coalesce(c.commissioned, 0), coalesce(d.planned, 0),
       coalesce(d.delivered, 0), coalesce(d.verified, 0),
       coalesce(d.delivered, 0) - coalesce(c.commissioned, 0)
FROM delivered d FULL JOIN commissioned c USING (provider_id, month)
JOIN organisations o ON o.id = provider_id
ORDER BY o.name, month
"""


def _app():
    from backend.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]
                       .replace("postgresql://", "postgresql+psycopg://", 1)})


def _county(db):
    """The council that funds most packages, and the county-year's local dates."""
    import sqlalchemy as sa

    from backend.models import CarePackage, Organisation, OrganisationKind, Visit

    funder = db.session.execute(
        sa.select(CarePackage.funder_id, sa.func.count()).join(
            Organisation, Organisation.id == CarePackage.funder_id)
        .where(Organisation.kind == OrganisationKind.COUNCIL)
        .group_by(CarePackage.funder_id).order_by(sa.func.count().desc()).limit(1)).first()[0]
    first, last = db.session.execute(
        sa.select(sa.func.min(Visit.local_date), sa.func.max(Visit.local_date))).one()
    return funder, first, min(last, first + timedelta(days=399))


def _commissioner(funder_id):
    """A commissioner of the funder (transient: access needs only role and organisation)."""
    from backend.models import Role, User

    return User(role=Role.COMMISSIONER, organisation_id=funder_id, username="bench")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_hours(engine: bool) -> dict:
    """One timed run of the engine or the baseline, in this process."""
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.services.dates import periods
    from backend.services.audit.hours import hours_report
    from backend.services.audit.report_scope import parse_grouping

    app = _app()
    with app.app_context():
        funder, first, last = _county(db)
        db.session.execute(sa.text("SELECT 1"))
        rss_before = _rss_mb()
        started = time.perf_counter()
        if engine:
            period = periods.resolve("custom", first=first, last=last)
            report = hours_report(_commissioner(funder), period, parse_grouping("provider,month"))
            rows = len(report["rows"])
            delivered = report["total"]["delivered_minutes"]
        else:
            tz_bounds = __import__("backend.services.dates.clock", fromlist=["x"]).local_day_bounds
            result = db.session.execute(sa.text(BASELINE_SQL), {
                "start": tz_bounds(first)[0], "end": tz_bounds(last)[1], "funder": funder,
                "first": first, "last": last}).all()
            rows = len(result)
            delivered = sum(int(r[4]) for r in result)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "rows": rows, "delivered_minutes": int(delivered),
                "peak_rss_mb": _peak_mb(), "rss_before_mb": rss_before,
                "first": first.isoformat(), "last": last.isoformat()}


def part_actuals() -> dict:
    """Stream the actuals CSV for the county's busiest whole month; sample RSS as it goes."""
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.models import Visit
    from backend.services.dates import periods
    from backend.services.audit.exports import actuals_csv

    app = _app()
    with app.app_context():
        funder, first, last = _county(db)
        month = date(first.year, first.month, 1) + timedelta(days=62)
        month = month.replace(day=1)
        period = periods.resolve("month", month)
        visits = db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
            Visit.planned_start >= period.start, Visit.planned_start < period.end))
        rss_before = _rss_mb()
        samples, rows, size = [], 0, 0
        started = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for line in actuals_csv(_commissioner(funder), period):
                sink.write(line)
                size += len(line)
                rows += 1
                if rows % 20000 == 0:
                    samples.append(round(_rss_mb(), 1))
        seconds = time.perf_counter() - started
        return {"month": month.isoformat(), "visits_in_month": visits, "csv_rows": rows - 1,
                "csv_mb": round(size / 1e6, 1), "seconds": seconds, "rss_before_mb": rss_before,
                "rss_samples_mb": samples, "peak_rss_mb": _peak_mb()}


def _run(part: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--part", part], check=True,
                         capture_output=True, text=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Run the parts in child processes and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("engine", "baseline", "actuals"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.part:
        result = part_actuals() if args.part == "actuals" else part_hours(args.part == "engine")
        print(json.dumps(result))
        return 0
    engine, baseline = [], []
    for _ in range(args.repeat):  # interleaved, so load on the shared machine hits both
        baseline.append(_run("baseline"))
        engine.append(_run("engine"))
    e = statistics.median(r["seconds"] for r in engine)
    b = statistics.median(r["seconds"] for r in baseline)
    print(f"county-year {engine[0]['first']}..{engine[0]['last']}, grouped by provider and month")
    print(f"  engine   median {e:.2f} s  runs {[round(r['seconds'], 2) for r in engine]}  "
          f"rows {engine[0]['rows']}  peak RSS {max(r['peak_rss_mb'] for r in engine):.0f} MB")
    print(f"  baseline median {b:.2f} s  runs {[round(r['seconds'], 2) for r in baseline]}  "
          f"rows {baseline[0]['rows']}  peak RSS {max(r['peak_rss_mb'] for r in baseline):.0f} MB")
    print(f"  ratio engine/baseline {e / b:.2f} (target <= 1.5); delivered minutes "
          f"engine {engine[0]['delivered_minutes']} baseline {baseline[0]['delivered_minutes']}")
    actuals = _run("actuals")
    print(f"actuals CSV {actuals['month']}: {actuals['csv_rows']} rows "
          f"({actuals['visits_in_month']} visits in the county that month, "
          f"{actuals['csv_mb']} MB) in {actuals['seconds']:.1f} s; RSS before "
          f"{actuals['rss_before_mb']:.0f} MB, samples every 20k rows "
          f"{actuals['rss_samples_mb']}, peak {actuals['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
