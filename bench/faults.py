#!/usr/bin/env python3
"""Fault benchmarks: what a database outage, a silent mail server and a killed scheduler
cost, with the real app, the real scheduler processes and real faults.

    python bench/faults.py checkins [--db postgres|sqlite] [--pairs 50]
    python bench/faults.py silent-smtp [--seconds 75] [--root DIR]
    python bench/faults.py scheduler-kill [--root DIR]

checkins: 16 clients post check-in and check-out pairs (each event with its client
event id, as the phone app sends them) to gunicorn (4 workers) while the database
fails under them. PostgreSQL: every 0.7 s all the app's connections are terminated
(pg_terminate_backend from another connection), and twice the database refuses
connections for 3 s (ALLOW_CONNECTIONS false, every session ended). SQLite: twice,
another connection holds the write lock for 3 s (past a 1 s lock timeout). A client
does what the phone app does: an answer of 503 is sent again after Retry-After, a
refused connection after 0.5 s. Afterwards each event must be stored exactly once.
Figures: answers by status (0 of 500 is the target), events lost, events duplicated.

silent-smtp: `flask scheduler run --detect-every 5 --deliver-every 5` for --seconds
(75) with SMTP_HOST on a loopback socket that accepts connections and never answers,
and 100 late visits whose alerts write 200 emails. Figure: detection runs counted in
the scheduler's log against the 15 expected (--root runs an older copy of the tree,
e.g. `git archive 0d7d097 | tar -x -C /tmp/before`, for the figure before the fix).

scheduler-kill: two `flask scheduler run` processes (an active one and a standby)
with a real SMTP server on loopback; the active one is SIGKILLed while it delivers.
Figures: seconds until the standby acts, alerts raised twice, emails received twice.

Each run builds its own database (ecm_bench_faults on the local PostgreSQL server, or
/tmp/ecm_bench_faults.sqlite3), so none touches yours.
"""
import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.checkin_throughput as load  # noqa: E402 (after the path is set)

load.PG_DB = "ecm_bench_faults"
load.SQLITE_PATH = Path("/tmp/ecm_bench_faults.sqlite3")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
FLASK = str(Path(sys.executable).parent / "flask")


def admin_connection():
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


def end_sessions(admin) -> int:
    """Terminate every session on the bench database (what a restart does to them)."""
    return admin.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()", (load.PG_DB,)).fetchone()[0]


# --- checkins ---------------------------------------------------------------------------

def post(port: int, path: str, body: dict, token: str) -> tuple[int, float | None]:
    """One POST; (status, Retry-After) or (0, None) when the connection failed."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **load.OVER_HTTPS,
                 "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as error:
        retry = error.headers.get("Retry-After")
        error.read()
        return error.code, float(retry) if retry else None
    except OSError:
        return 0, None


def chaos_postgres(stop: threading.Event, log: list) -> None:
    """Kill the app's connections every 0.7 s; twice, refuse connections for 3 s."""
    admin = admin_connection()
    started = time.monotonic()
    closures = [started + 4, started + 12]
    try:
        while not stop.is_set():
            if closures and time.monotonic() >= closures[0]:
                closures.pop(0)
                admin.execute(f'ALTER DATABASE "{load.PG_DB}" WITH ALLOW_CONNECTIONS false')
                log.append(("closed", end_sessions(admin)))
                stop.wait(3)
                admin.execute(f'ALTER DATABASE "{load.PG_DB}" WITH ALLOW_CONNECTIONS true')
                log.append(("reopened", 0))
            else:
                log.append(("killed", end_sessions(admin)))
                stop.wait(0.7)
    finally:
        admin.execute(f'ALTER DATABASE "{load.PG_DB}" WITH ALLOW_CONNECTIONS true')
        admin.close()


def chaos_sqlite(stop: threading.Event, log: list) -> None:
    """Twice, hold SQLite's write lock for 3 s from another connection."""
    import sqlite3

    started = time.monotonic()
    for at in (started + 3, started + 10):
        if stop.wait(max(0, at - time.monotonic())):
            return
        holder = sqlite3.connect(load.SQLITE_PATH, isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")
        locked_at = time.monotonic()
        log.append(("locked", 1))
        stop.wait(3)
        holder.execute("ROLLBACK")
        holder.close()
        log.append(("unlocked", 0))
        print(f"  write lock held {locked_at - started:.1f}-{time.monotonic() - started:.1f} s",
              file=sys.stderr)


def checkins(kind: str, pairs: int) -> None:
    secret = secrets.token_urlsafe(32)
    load.reset_database(kind)
    work = load.prepare(kind, pairs, secret)
    os.environ.update(DATABASE_RETRY_AFTER_SECONDS="1", DATABASE_LOCK_TIMEOUT_SECONDS="1")
    port = load.free_port()
    server, _ = start_app(kind, secret, port)
    statuses, retries, events, lock = Counter(), Counter(), [], threading.Lock()

    def client(n: int, item: dict) -> None:
        for visit_id, home in zip(item["visits"], item["homes"], strict=True):
            for action in ("check-in", "check-out"):
                body = {"device_time": datetime.now(UTC).isoformat(), "lat": home[0],
                        "lon": home[1], "accuracy_m": 12.0, "method": "gps",
                        "device_id": f"bench-{n}", "client_event_id": f"{visit_id}-{action}"}
                while True:  # as the phone app: keep it until the server has it
                    status, retry_after = post(port, f"/api/v1/visits/{visit_id}/{action}",
                                               body, item["token"])
                    with lock:
                        statuses[status] += 1
                    if status in (200, 201) or 400 <= status < 500:
                        break  # stored (or refused for a reason the phone shows the carer)
                    retries[status] += 1
                    time.sleep(retry_after if retry_after is not None else 0.5)
                with lock:
                    events.append(body["client_event_id"])

    warm_up(port)
    stop, chaos_log = threading.Event(), []
    chaos = threading.Thread(target=chaos_postgres if kind == "postgres" else chaos_sqlite,
                             args=(stop, chaos_log))
    clients = [threading.Thread(target=client, args=(n, item)) for n, item in enumerate(work)]
    began = time.monotonic()
    chaos.start()
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    stop.set()
    chaos.join()
    elapsed = time.monotonic() - began
    load.stop(server)
    stored = stored_events(kind)
    lost = [e for e in events if stored.get(e, 0) == 0]
    duplicated = [e for e, n in stored.items() if n > 1]
    kills = sum(n for what, n in chaos_log if what == "killed")
    outages = sum(1 for what, _ in chaos_log if what in ("closed", "locked"))
    print(f"{kind}: {len(events)} events from 16 clients in {elapsed:.1f} s; "
          f"{kills} connections terminated, {outages} outages of 3 s")
    print(f"{kind}: answers by status {dict(sorted(statuses.items()))}; "
          f"retries {dict(sorted(retries.items()))}")
    print(f"{kind}: 500 answers {statuses[500]}, events lost {len(lost)}, "
          f"events duplicated {len(duplicated)} (targets: 0, 0, 0)")


def start_app(kind: str, secret: str, port: int):
    """gunicorn, 4 workers, as in production (checkin_throughput starts 2)."""
    env = {**os.environ, "DATABASE_URL": load.database_url(kind), "SECRET_KEY": secret,
           "ECM_ENV": "production", "RATELIMIT_ENABLED": "0", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [load.GUNICORN, "-w", "4", "-b", f"127.0.0.1:{port}", "--log-level", "error",
         "backend.app:create_app()"], cwd=ROOT, env=env, start_new_session=True,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def warm_up(port: int) -> None:
    """Wait until every gunicorn worker has booted and answers at once: the faults must
    fall on a serving app, not on workers still importing it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        began, answers = time.monotonic(), []
        threads = [threading.Thread(target=lambda got=answers: got.append(health(port)))
                   for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if answers.count(200) == 16 and time.monotonic() - began < 1:
            return
    raise RuntimeError("the app did not warm up")


def health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health",
                                    timeout=30) as response:
            return response.status
    except OSError:
        return 0


def stored_events(kind: str) -> Counter:
    import sqlalchemy as sa

    url = load.database_url(kind).replace("postgresql://", "postgresql+psycopg://")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT client_event_id, count(*) FROM visit_events GROUP BY client_event_id"))
        counted = Counter({row[0]: row[1] for row in rows})
    engine.dispose()
    return counted


# --- the scheduler scenarios ------------------------------------------------------------

def seed_late_visits(kind: str, secret: str, count: int) -> None:
    """A fresh database with `count` visits 20 minutes late and two managers with email."""
    load.reset_database(kind)
    load.prepare(kind, 1, secret)  # migrated, a provider, people and packages
    from backend.app import create_app
    from backend.extensions import db
    from backend.models import CarePackage, Organisation, Role, User, Visit
    from backend.services.dates import clock

    app = create_app({"SECRET_KEY": secret})
    with app.app_context():
        provider = db.session.scalar(db.select(Organisation).where(
            Organisation.name == "Bench Care"))
        for n in range(2):
            db.session.add(User(username=f"manager{n}", display_name=f"Manager {n}",
                                role=Role.PROVIDER_MANAGER, organisation_id=provider.id,
                                password_hash="unused", email=f"manager{n}@bench.example"))
        packages = db.session.scalars(db.select(CarePackage)).all()
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=20)
        for n in range(count):
            begins = start - timedelta(minutes=n // len(packages), seconds=0)
            db.session.add(Visit(package_id=packages[n % len(packages)].id,
                                 planned_start=begins, planned_end=begins + timedelta(hours=1),
                                 local_date=begins.astimezone(clock.zone()).date(),
                                 duration_min=60))
        db.session.commit()
        db.engine.dispose()


def scheduler(kind: str, secret: str, root: Path, smtp_port: int, *args) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": load.database_url(kind), "SECRET_KEY": secret,
           "ECM_ENV": "production", "FLASK_APP": "backend.app:create_app",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_STARTTLS": "0",
           "PYTHONUNBUFFERED": "1",
           "SCHEDULER_LEASE_SECONDS": "10", "PYTHONPATH": str(root)}
    return subprocess.Popen([FLASK, "scheduler", "run", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def silent_smtp(seconds: int, root: Path) -> None:
    secret = secrets.token_urlsafe(32)
    seed_late_visits("postgres", secret, 100)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    held = []
    threading.Thread(target=lambda: [held.append(silent.accept()) for _ in iter(int, 1)],
                     daemon=True).start()
    process = scheduler("postgres", secret, root, silent.getsockname()[1],
                        "--detect-every", "5", "--deliver-every", "5",
                        "--lifetime", str(seconds))
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:  # a scheduler stuck behind its delivery job cannot even stop on time
        process.wait(timeout=seconds + 20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        print(f"the scheduler had not stopped {seconds + 20} s on: killed")
    process.wait()
    reader.join(timeout=5)
    runs = sum(1 for line in lines if "detection done" in line)
    print(f"silent SMTP, {seconds} s, tree {root}: detection ran {runs} times "
          f"(every 5 s: {seconds // 5 + 1} with the one at the start); SMTP connections "
          f"left hanging: {len(held)}")


def scheduler_kill(root: Path) -> None:
    from aiosmtpd.controller import Controller

    secret = secrets.token_urlsafe(32)
    seed_late_visits("postgres", secret, 200)
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            # One message per recipient and alert: the recipient and the body (the body
            # links to the alert), so an older tree without Message-IDs is counted too.
            received.append((tuple(envelope.rcpt_tos), envelope.content.split(b"\r\n\r\n", 1)[-1]))
            await __import__("asyncio").sleep(0.02)  # a real server takes a moment
            return "250 OK"

    port = load.free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    active = scheduler("postgres", secret, root, port, "--detect-every", "1",
                       "--deliver-every", "1")
    while len(received) < 60:  # the active one is delivering the 400 emails
        time.sleep(0.05)
    standby = scheduler("postgres", secret, root, port, "--detect-every", "1",
                        "--deliver-every", "1", "--lifetime", "60")
    time.sleep(2)  # the standby is running and finds the lease held
    os.killpg(active.pid, signal.SIGKILL)
    killed_at, at_kill = time.monotonic(), len(received)
    while len(received) == at_kill and time.monotonic() - killed_at < 60:
        time.sleep(0.05)
    takeover = time.monotonic() - killed_at
    output = standby.communicate(timeout=120)[0]
    controller.stop()
    ids = Counter(received)
    import psycopg

    with psycopg.connect(load.database_url("postgres")) as conn:
        alerts, twice = conn.execute(
            "SELECT count(*), count(*) - count(DISTINCT (visit_id, kind)) FROM alerts").fetchone()
        states = dict(conn.execute("SELECT status, count(*) FROM notifications "
                                   "WHERE channel = 'email' GROUP BY status").fetchall())
    acted = "delivered" if "delivery done" in output else "did not deliver"
    print(f"scheduler SIGKILLed after {at_kill} emails; the standby sent the next after "
          f"{takeover:.1f} s (lease 10 s) and {acted}")
    print(f"alerts {alerts}, raised twice {twice}; emails received {len(received)}, "
          f"received twice {sum(1 for n in ids.values() if n > 1)}; email rows by status {states}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["checkins", "silent-smtp", "scheduler-kill"])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--pairs", type=int, default=50, help="visits per client (checkins)")
    parser.add_argument("--seconds", type=int, default=75, help="silent-smtp's run")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the tree the scheduler runs from (silent-smtp, scheduler-kill)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    if args.scenario == "checkins":
        checkins(args.db, args.pairs)
    elif args.scenario == "silent-smtp":
        silent_smtp(args.seconds, args.root.resolve())
    else:
        scheduler_kill(args.root.resolve())


if __name__ == "__main__":
    main()
