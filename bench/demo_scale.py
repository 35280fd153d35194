#!/usr/bin/env python3
"""Build a county-year demo on PostgreSQL and measure wall time and peak memory.

    python bench/demo_scale.py [--database ecm_bench_county] [--scale 6]
                               [--past-days 358] [--future-days 6] [--ready-file PATH]

Creates the database (it must not exist), migrates it, then runs the real
`flask demo build` in a child process and reads the child's peak resident memory
with /usr/bin/time (or getrusage(RUSAGE_CHILDREN)). For a baseline in the same run it first builds a
scale-1, three-week county into a scratch database the same way, and reports the
visits-per-second ratio (1.0 means the build scales linearly).
"""
import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"


def run_build(database: str, args: list[str]) -> dict:
    """Create and migrate a database, run `flask demo build` on it, and measure the build."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    env = {**os.environ, "FLASK_APP": "backend.app:create_app",
           "DATABASE_URL": f"{SERVER}/{database}"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    report = ROOT / "bench" / f".{database}.time"
    started = time.monotonic()
    # /usr/bin/time reports this child's own peak; getrusage(RUSAGE_CHILDREN) is the
    # fallback, though it is the peak of every child so far.
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(report)] \
        if Path("/usr/bin/time").exists() else []
    subprocess.run([*timer, *flask, "demo", "build", *args], cwd=ROOT, env=env, check=True)
    wall = time.monotonic() - started
    if timer:
        peak_kib = int(report.read_text().split()[-1])
        report.unlink()
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
    with psycopg.connect(f"{SERVER}/{database}") as conn:
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("service_users", "organisations", "users", "care_packages",
                                "visits", "visit_events", "visit_assignments", "visit_tasks")}
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))") \
            .fetchone()[0]
    return {"wall_s": wall, "peak_mib": peak_kib / 1024, "counts": counts,
            "size": size}


def main() -> int:
    """Baseline, then the county-year build; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ecm_bench_county")
    parser.add_argument("--scale", default="6")
    parser.add_argument("--past-days", default="358")
    parser.add_argument("--future-days", default="6")
    parser.add_argument("--ready-file", default=None, help="touched when the build succeeded")
    options = parser.parse_args()

    scratch = "ecm_demo_bench_baseline"
    base = run_build(scratch, ["--scale", "1", "--past-days", "14", "--future-days", "6"])
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{scratch}" WITH (FORCE)')
    big = run_build(options.database, ["--scale", options.scale, "--past-days",
                                       options.past_days, "--future-days", options.future_days])
    if options.ready_file:
        Path(options.ready_file).touch()
    for name, result in (("baseline (scale 1, 3 weeks)", base),
                         (f"county-year (scale {options.scale})", big)):
        visits = result["counts"]["visits"]
        print(f"{name}: {result['wall_s']:.0f} s wall, peak RSS {result['peak_mib']:.0f} MiB, "
              f"{visits:,} visits ({visits / result['wall_s']:,.0f}/s), database "
              f"{result['size']}; rows: {result['counts']}")
    ratio = (big["counts"]["visits"] / big["wall_s"]) / (base["counts"]["visits"] / base["wall_s"])
    print(f"throughput ratio county-year / baseline: {ratio:.2f} (1.0 = linear scaling)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
