#!/usr/bin/env python3
"""Check-in throughput: the real app under gunicorn against a one-INSERT floor.

    python bench/checkin_throughput.py [--db sqlite|postgres|both] [--pairs 40]
                                       [--scenario on-time|short-calls]
                                       [--rounds 3] [--floor-reads K] [--compare DIR]

For each database it prepares a database of its own (migrated, one provider, 16 care
workers with visits), starts gunicorn (2 workers) on loopback for the real app and
then for the floor app (bench/floor_app.py: one INSERT per request), and drives each
from a separate process: 16 client threads, each posting check-in + check-out pairs
(or floor requests), bounded by count and time. The phases alternate over --rounds
rounds (check-in, floor, check-in, floor, ...), so both see the machine's load swings.
It prints requests per second, the ratio to the floor, p50/p99 latency, and CPU per
request: the gunicorn workers', and on PostgreSQL its own processes' (the same cores).
--compare DIR serves another copy of the tree too (e.g. `git archive` of an earlier
commit), as one more phase of every round with visits of its own: a change measured
against the code before it in the same rounds, as the machine's load swings.
"""
import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
CLIENTS = 16
HOME = (52.2405, -0.9027)
SQLITE_PATH = Path("/tmp/ecm_bench_checkin.sqlite3")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "ecm_bench_checkin"
TIME_LIMIT_S = 120
BACKGROUND_VISITS = 20_000  # other people's visits, so lookups run against a real-sized table


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    return f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"


def reset_database(kind: str) -> None:
    """A brand-new empty database of this kind."""
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()


def prepare(kind: str, pairs: int, secret: str, scenario: str = "on-time") -> list[dict]:
    """Migrate and seed; returns per-client work: a token and visit ids."""
    os.environ["DATABASE_URL"] = database_url(kind)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from backend.app import create_app
    from backend.extensions import db
    from backend.models import (
        CarePackage, Contract, Organisation, OrganisationKind, PackageType, Role, ServiceUser,
        User, Visit, VisitAssignment, VisitTask,
    )
    from backend.services.dates import clock
    from backend.services.identity.tokens import issue_access_token

    app = create_app({"SECRET_KEY": secret})  # the database comes from DATABASE_URL
    work = []
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        council = Organisation(name="Bench Council", kind=OrganisationKind.COUNCIL)
        provider = Organisation(name="Bench Care", kind=OrganisationKind.PROVIDER)
        db.session.add_all([council, provider])
        db.session.flush()
        contract = Contract(name="Bench", funder_id=council.id, provider_id=provider.id,
                            starts_on=date(2024, 1, 1))
        db.session.add(contract)
        db.session.flush()
        start = datetime.now(UTC).replace(second=0, microsecond=0)
        people, packages = [], []
        for n in range(200):
            person = ServiceUser(council_ref=f"B{n:05d}", first_name="Bench", last_name=str(n),
                                 address=f"{n} Bench Road", postcode="NN1 1AA",
                                 home_lat=HOME[0] + n * 1e-4, home_lon=HOME[1])
            people.append(person)
        db.session.add_all(people)
        db.session.flush()
        for person in people:
            packages.append(CarePackage(
                service_user_id=person.id, provider_id=provider.id, funder_id=council.id,
                contract_id=contract.id, package_type=PackageType.STANDARD, weekly_minutes=420,
                start_date=date(2024, 1, 1)))
        db.session.add_all(packages)
        db.session.flush()
        local = clock.zone()  # a visit's local day: one call per package, day and time
        background = [Visit(package_id=packages[n % len(packages)].id,
                            planned_start=start - timedelta(minutes=15 * (n + 1)),
                            planned_end=start - timedelta(minutes=15 * n),
                            local_date=(start - timedelta(minutes=15 * (n + 1))).astimezone(
                                local).date(), duration_min=15)
                      for n in range(BACKGROUND_VISITS)]
        db.session.add_all(background)
        db.session.flush()
        for client in range(CLIENTS):
            worker = User(username=f"bench{client}", display_name=f"Bench {client}",
                          role=Role.CARE_WORKER, organisation_id=provider.id,
                          password_hash="unused")
            db.session.add(worker)
            db.session.flush()
            visit_ids, homes = [], []
            for n in range(pairs):
                package = packages[(client * pairs + n) % len(packages)]
                if scenario == "on-time":
                    # A 15-minute call planned around now: checking in and out now is
                    # within every default tolerance, so no alert is due (the usual visit).
                    # (A tenth of a second apart: a package has one visit per start; and
                    # off the whole second, so never on a background visit's start.)
                    begins = start - timedelta(minutes=5,
                                               seconds=(client * pairs + n) / 10 + 0.05)
                    planned = (begins, begins + timedelta(minutes=15), 15)
                else:
                    # Later 30-minute calls: each check-out now is a short call and an early
                    # finish, so every check-out raises two alerts and notifies. (Apart by a
                    # tenth of a second too: past 200 visits a package comes round again.)
                    begins = start + timedelta(hours=n, seconds=(client * pairs + n) / 10)
                    planned = (begins, begins + timedelta(minutes=30), 30)
                visit = Visit(package_id=package.id, planned_start=planned[0],
                              planned_end=planned[1],
                              local_date=planned[0].astimezone(local).date(),
                              duration_min=planned[2])
                visit.tasks = [VisitTask(position=0, description="Personal care")]
                visit.assignments = [VisitAssignment(worker_id=worker.id)]
                db.session.add(visit)
                db.session.flush()
                visit_ids.append(str(visit.id))
                person = people[(client * pairs + n) % len(packages)]
                homes.append([person.home_lat, person.home_lon])
            token, _ = issue_access_token(worker)
            work.append({"token": token, "visits": visit_ids, "homes": homes})
        db.session.commit()
        db.engine.dispose()
    return work


def start_gunicorn(app_spec: str, kind: str, secret: str, port: int,
                   floor_reads: int = 0, root: Path = ROOT) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "DATABASE_URL": database_url(kind), "SECRET_KEY": secret,
           "ECM_ENV": "production", "RATELIMIT_ENABLED": "0", "PYTHONPATH": str(root),
           "FLOOR_READS": str(floor_reads)}
    process = subprocess.Popen(
        [GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        cwd=root, env=env, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def server_cpu_s(process: subprocess.Popen) -> float:
    """CPU seconds used so far by gunicorn's workers (the children of its master)."""
    total = 0.0
    for child in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_cpu_s() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (its backends serve
    the app's and the floor's statements; their CPU is on the same cores, but not in
    the server's figure)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def drive(mode: str, port: int, work: list[dict], server: subprocess.Popen) -> dict:
    """Run the clients in a separate process and read its JSON summary, with the server's
    CPU time per request and PostgreSQL's."""
    job = json.dumps({"mode": mode, "port": port, "work": work})
    cpu, database_cpu = server_cpu_s(server), postgres_cpu_s()
    out = subprocess.run([PYTHON, __file__, "--drive"], input=job, capture_output=True,
                         text=True, check=True, timeout=TIME_LIMIT_S + 60)
    result = json.loads(out.stdout)
    requests = len(result["latencies"])
    result["server_cpu_ms"] = 1000 * (server_cpu_s(server) - cpu) / requests
    result["postgres_cpu_ms"] = 1000 * (postgres_cpu_s() - database_cpu) / requests
    return result


# As behind the TLS proxy production requires (docs/operations.md): gunicorn believes
# X-Forwarded-Proto from loopback, so the service answers as over HTTPS.
OVER_HTTPS = {"X-Forwarded-Proto": "https"}


def _post(port: int, path: str, body: dict, token: str | None) -> tuple[int, float]:
    headers = {"Content-Type": "application/json", **OVER_HTTPS}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     data=json.dumps(body).encode(), headers=headers)
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
            response.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - began


def run_clients(job: dict) -> dict:
    """The driver process: 16 threads, bounded by the work given and by time."""
    port, mode = job["port"], job["mode"]
    latencies, failures, lock = [], [], threading.Lock()
    stop_at = time.time() + TIME_LIMIT_S

    def client(n: int, item: dict):
        for visit_id, home in zip(item["visits"], item["homes"], strict=True):
            if time.time() > stop_at:
                return
            now = datetime.now(UTC)
            # Standing at the person's home, a few metres off the pin, as most visits are.
            body = {"device_time": now.isoformat(), "lat": home[0] + 0.00005, "lon": home[1],
                    "accuracy_m": 12.0, "method": "gps", "device_id": f"bench-{n}"}
            if mode == "floor":
                steps = [("/floor", body), ("/floor", body)]
            else:
                steps = [(f"/api/v1/visits/{visit_id}/check-in",
                          {**body, "client_event_id": f"{visit_id}-in"}),
                         (f"/api/v1/visits/{visit_id}/check-out",
                          {**body, "client_event_id": f"{visit_id}-out", "note": "ok"})]
            for path, payload in steps:
                status, seconds = _post(port, path, payload,
                                        None if mode == "floor" else item["token"])
                with lock:
                    latencies.append(seconds)
                    if status >= 300:
                        failures.append(status)

    threads = [threading.Thread(target=client, args=(n, item)) for n, item in
               enumerate(job["work"])]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"seconds": elapsed, "rps": len(latencies) / elapsed, "latencies": latencies,
            "failures": len(failures), "failure_codes": sorted(set(failures))}


def bench(kind: str, pairs: int, scenario: str, floor_reads: int = 0, rounds: int = 1,
          compare: tuple[Path, ...] = ()) -> dict:
    """Serve the real app and the floor side by side; drive them in alternating rounds
    (check-in, floor, check-in, floor ...) so that both see the machine's load swings.
    Each tree in `compare` is served as one more check-in phase ("checkin@<folder>")."""
    secret = secrets.token_urlsafe(32)
    reset_database(kind)
    per_round = pairs - 2
    app = "backend.app:create_app()"
    floor_app = "bench.floor_app:create_app()"
    # name: (what the clients post, the app, the floor's extra reads, the tree served)
    phases = {"checkin": ("checkin", app, 0, ROOT), "floor": ("floor", floor_app, 0, ROOT)}
    if floor_reads:
        phases[f"floor+{floor_reads}"] = ("floor", floor_app, floor_reads, ROOT)
    for root in compare:
        phases[f"checkin@{root.name}"] = ("checkin", app, 0, root)
    # Each check-in phase posts visits of its own; the floor's posts carry no visit.
    checkins = [name for name, phase in phases.items() if phase[0] == "checkin"]
    work = prepare(kind, len(checkins) * (2 + rounds * per_round), secret, scenario)

    def visits(name: str, first: int, count: int) -> list[dict]:
        if name in checkins:
            first += checkins.index(name) * (2 + rounds * per_round)
        return [{**w, "visits": w["visits"][first:first + count],
                 "homes": w["homes"][first:first + count]} for w in work]

    # The floor's table, made before its two workers start (each would try at once).
    from bench.floor_app import engine_for, metadata
    metadata.create_all(engine_for(database_url(kind)))
    servers = {name: start_gunicorn(spec, kind, secret, free_port(), reads, root)
               for name, (_posts, spec, reads, root) in phases.items()}
    runs: dict = {name: [] for name in servers}
    try:
        for name, (process, port) in servers.items():
            drive(phases[name][0], port, visits(name, 0, 2), process)  # warm-up
        for n in range(rounds):
            for name, (process, port) in servers.items():
                runs[name].append(drive(phases[name][0], port,
                                        visits(name, 2 + n * per_round, per_round), process))
                run = runs[name][-1]
                print(f"  {kind} round {n + 1} {name:9} {run['rps']:7.1f} req/s, server CPU "
                      f"{run['server_cpu_ms']:.2f} ms/request"
                      + (f", PostgreSQL CPU {run['postgres_cpu_ms']:.2f} ms/request"
                         if kind == "postgres" else ""), file=sys.stderr)
    finally:
        for process, _port in servers.values():
            stop(process)
    results = {mode: pooled(mode_runs) for mode, mode_runs in runs.items()}
    results["ratios"] = [c["rps"] / f["rps"] for c, f in zip(runs["checkin"], runs["floor"],
                                                                   strict=True)]
    results["ratio"] = statistics.median(results["ratios"])
    for name in checkins[1:]:
        results[name]["ratio"] = statistics.median(
            c["rps"] / f["rps"] for c, f in zip(runs[name], runs["floor"], strict=True))
    return results


def pooled(runs: list[dict]) -> dict:
    """Rounds of one phase together: the median rate, latency over all requests."""
    latencies = sorted(x for run in runs for x in run["latencies"])
    return {"requests": len(latencies), "rps": statistics.median(r["rps"] for r in runs),
            "server_cpu_ms": statistics.median(r["server_cpu_ms"] for r in runs),
            "postgres_cpu_ms": statistics.median(r["postgres_cpu_ms"] for r in runs),
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "failures": sum(r["failures"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pairs", type=int, default=40, help="visits per client (2 requests each)")
    parser.add_argument("--scenario", choices=["on-time", "short-calls"], default="on-time",
                        help="on-time: no alert is due (default); short-calls: every "
                             "check-out raises a short-call and an early-finish alert")
    parser.add_argument("--floor-reads", type=int, default=0, metavar="K",
                        help="also serve the floor doing K primary-key SELECTs before its "
                             "INSERT: what a request of a check-in's statement count costs")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating check-in and floor rounds of --pairs - 2 pairs each "
                             "(default 3); rates are the median round, the ratio the median "
                             "of the rounds' ratios, latencies over all rounds")
    parser.add_argument("--compare", action="append", type=Path, default=[], metavar="DIR",
                        help="also serve the tree in DIR (e.g. an earlier commit from `git "
                             "archive`) as a check-in phase of each round; repeatable")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(run_clients(json.load(sys.stdin))))
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"{CLIENTS} clients, gunicorn -w 2, {args.rounds} rounds of {args.pairs - 2} "
          f"check-in+check-out pairs per client (2 warm-up), scenario {args.scenario}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    for kind in kinds:
        r = bench(kind, args.pairs, args.scenario, args.floor_reads, args.rounds,
                  tuple(root.resolve() for root in args.compare))
        c, f = r["checkin"], r["floor"]
        for label, x in (("check-in", c), ("floor   ", f)):
            print(f"{kind:9} {label}: {x['rps']:7.1f} req/s  p50 {x['p50_ms']:6.1f} ms  "
                  f"p99 {x['p99_ms']:6.1f} ms  server CPU {x['server_cpu_ms']:.2f} ms/request  "
                  + (f"PostgreSQL CPU {x['postgres_cpu_ms']:.2f} ms/request  "
                     if kind == "postgres" else "")
                  + f"({x['requests']} requests, {x['failures']} failed)")
        if c["failures"] or f["failures"]:  # a refused request is no measure of speed
            print(f"{kind:9} NOT MEASURED: requests failed; the figures above mean nothing")
            sys.exit(1)
        print(f"{kind:9} ratio check-in/floor: {r['ratio']:.2f} (target >= 0.5; rounds "
              f"{', '.join(f'{x:.2f}' for x in r['ratios'])}); "
              f"p99 target < 50 ms: {'met' if c['p99_ms'] < 50 else 'NOT met'}")
        for root in args.compare:
            name = f"checkin@{root.resolve().name}"
            k = r[name]
            print(f"{kind:9} {name}: {k['rps']:7.1f} req/s  p50 {k['p50_ms']:6.1f} ms  p99 "
                  f"{k['p99_ms']:6.1f} ms  ({k['failures']} failed); ratio to the floor "
                  f"{k['ratio']:.2f}")
        if args.floor_reads:
            k = r[f"floor+{args.floor_reads}"]
            print(f"{kind:9} floor+{args.floor_reads} reads: {k['rps']:7.1f} req/s  p50 "
                  f"{k['p50_ms']:6.1f} ms  p99 {k['p99_ms']:6.1f} ms; ratio to the floor "
                  f"{k['rps'] / f['rps']:.2f}")


if __name__ == "__main__":
    main()
