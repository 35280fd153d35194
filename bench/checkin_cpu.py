#!/usr/bin/env python3
"""CPU and SQL statements per check-in/check-out, in-process, against the floor's CPU.

    python bench/checkin_cpu.py [--db sqlite|postgres] [--root DIR] [--profile FILE]

Seeds a small database with bench/checkin_throughput.py's prepare() (on-time visits),
prints the SQL statements of one check-in and one check-out, then the process CPU time
per request over 16 workers x 7 pairs (--pairs) through Flask's test client, the same for 300
`GET /api/v1/me` (the thinnest authenticated request) and 1,000 of bench/floor_app.py.
CPU time is far less sensitive to a loaded machine than wall time.
--root runs another copy of the tree (e.g. an older commit from `git archive`) with this
same data and driver.
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Counting:
    """Callgrind's instruction counting switched on around a measured loop, and the count
    dumped as a part of its own (callgrind_control; a no-op unless --callgrind)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def _control(self, *options: str) -> None:
        if self.enabled:
            subprocess.run(["callgrind_control", *options, str(os.getpid())], check=True,
                           capture_output=True)

    def start(self) -> None:
        self._control("--zero")
        self._control("--instr=on")

    def stop(self, name: str, requests: int) -> None:
        self._control("--instr=off")
        self._control(f"--dump={name}: {requests} requests")
        if self.enabled:
            print(f"callgrind part dumped: {name}, {requests} requests (the part's "
                  "'PROGRAM TOTALS' / requests = instructions per request)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--root", default=str(HERE.parent))
    parser.add_argument("--pairs", type=int, default=8,
                        help="visits per worker (the first is warm-up; default 8)")
    parser.add_argument("--profile", metavar="FILE",
                        help="also write a cProfile of the measured check-ins to FILE")
    parser.add_argument("--callgrind", action="store_true",
                        help="run under valgrind --tool=callgrind --instr-atstart=no: count "
                             "the instructions of the measured check-ins and of the floor's "
                             "requests, dumped as two parts of the callgrind output")
    args = parser.parse_args()
    counting = Counting(args.callgrind)
    sys.path.insert(0, args.root)
    spec = importlib.util.spec_from_file_location("throughput", HERE / "checkin_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.ROOT = Path(args.root)  # prepare() imports the app from here
    bench.SQLITE_PATH = Path("/tmp/ecm_bench_checkin_cpu.sqlite3")
    bench.PG_DB = "ecm_bench_checkin_cpu"
    bench.BACKGROUND_VISITS = 5000
    bench.reset_database(args.db)
    secret = "cpu-bench-" + "x" * 32
    work = bench.prepare(args.db, args.pairs, secret, "on-time")

    import sqlalchemy as sa

    from backend.app import create_app
    from backend.extensions import db
    app = create_app({"SECRET_KEY": secret, "RATELIMIT_ENABLED": False})
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *rest: statements.append(statement))
    client = app.test_client()

    def pair(n: int, i: int, show: bool = False) -> None:
        item, visit_id, home = work[n], work[n]["visits"][i], work[n]["homes"][i]
        body = {"device_time": datetime.now(UTC).isoformat(), "lat": home[0] + 0.00005,
                "lon": home[1], "accuracy_m": 12.0, "method": "gps", "device_id": f"cpu-{n}"}
        for step, extra in (("check-in", {"client_event_id": f"{visit_id}-in"}),
                            ("check-out", {"client_event_id": f"{visit_id}-out", "note": "ok"})):
            statements.clear()
            response = client.post(f"/api/v1/visits/{visit_id}/{step}", json={**body, **extra},
                                   headers={"Authorization": f"Bearer {item['token']}"})
            assert response.status_code == 201, response.get_json()
            if show:
                print(f"{step}: {len(statements)} statements")
                for statement in statements:
                    print("   ", " ".join(statement.split())[:110])

    pair(0, 0, show=True)
    for n in range(1, 16):
        pair(n, 0)
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    began = time.process_time()
    counting.start()
    for n in range(16):
        for i in range(1, args.pairs):
            pair(n, i)
    counting.stop("check-ins", 16 * (args.pairs - 1) * 2)
    ended = time.process_time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    check_in_ms = 1000 * (ended - began) / (16 * (args.pairs - 1) * 2)

    headers = {"Authorization": f"Bearer {work[0]['token']}"}
    for _ in range(20):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    began = time.process_time()
    for _ in range(300):
        client.get("/api/v1/me", headers=headers)
    me_ms = 1000 * (time.process_time() - began) / 300

    os.environ["DATABASE_URL"] = bench.database_url(args.db)
    from bench.floor_app import create_app as create_floor
    floor = create_floor().test_client()
    body = {"device_time": datetime.now(UTC).isoformat(), "lat": 52.0, "lon": -0.9}
    for _ in range(20):
        floor.post("/floor", json=body)
    began = time.process_time()
    counting.start()
    for _ in range(1000):
        floor.post("/floor", json=body)
    counting.stop("floor", 1000)
    floor_ms = 1000 * (time.process_time() - began) / 1000
    print(f"{args.db}: check-in/check-out CPU {check_in_ms:.2f} ms per request, "
          f"GET /api/v1/me {me_ms:.2f} ms, floor {floor_ms:.2f} ms; "
          f"check-in / floor {check_in_ms / floor_ms:.1f}x ({args.root})")


if __name__ == "__main__":
    main()
