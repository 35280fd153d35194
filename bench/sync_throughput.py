#!/usr/bin/env python3
"""Offline sync throughput: 200-event batches through the real app, per event, against
the one-INSERT floor per request.

    python bench/sync_throughput.py [--db sqlite|postgres|both] [--rounds 3]
                                    [--batches 1] [--events 200]

The same harness as bench/checkin_throughput.py, whose helpers it imports: for each
database it prepares a database of its own (migrated, 200 people, 20,000 background
visits, 16 care workers with on-time visits), starts gunicorn (2 workers) on loopback
for the real app and for the floor app (bench/floor_app.py), and drives each from a
separate process with 16 client threads. A sync client is a care worker's phone back
online: each posts --batches batches per round to POST /api/v1/sync, each batch
--events queued events (a check-in and a check-out for each of --events / 2 of its
visits, standing at the home, a minute apart, all in the past). A floor client posts
as many single requests as a sync client sends events. The phases alternate over
--rounds rounds (sync, floor, sync, floor, ...). The figure is the ratio of events
stored per second to floor requests per second, i.e. the floor's time per request over
sync's time per event (median of the rounds' ratios); every event must be answered
"accepted".
"""
import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import checkin_throughput as harness  # noqa: E402  (the shared helpers)

# A database of its own, so it never meets a check-in benchmark's (or anyone's).
harness.SQLITE_PATH = Path("/tmp/ecm_bench_sync.sqlite3")
harness.PG_DB = "ecm_bench_sync"
WARM_UP_EVENTS = 20


def batch(item: dict, first: int, events: int, client: int) -> dict:
    """The body of one sync: a check-in and a check-out for each of events / 2 visits,
    from `first` on, queued while offline (device times in the last few minutes)."""
    now = datetime.now(UTC)
    queued = []
    for n in range(first, first + events // 2):
        visit_id, home = item["visits"][n], item["homes"][n]
        place = {"lat": home[0] + 0.00005, "lon": home[1], "accuracy_m": 12.0,
                 "method": "gps", "device_id": f"bench-sync-{client}"}
        arrived = now - timedelta(minutes=2)
        queued.append({**place, "kind": "check_in", "visit_id": visit_id,
                       "client_event_id": f"{visit_id}-in", "device_time": arrived.isoformat()})
        queued.append({**place, "kind": "check_out", "visit_id": visit_id, "note": "ok",
                       "client_event_id": f"{visit_id}-out",
                       "device_time": (arrived + timedelta(minutes=1)).isoformat()})
    return {"events": queued, "sent_at": now.isoformat()}


def run_clients(job: dict) -> dict:
    """The driver process: 16 threads, each posting its batches one after another."""
    port, events, batches = job["port"], job["events"], job["batches"]
    latencies, failures, stored, lock = [], [], [], threading.Lock()
    stop_at = time.time() + harness.TIME_LIMIT_S

    def client(n: int, item: dict):
        for b in range(batches):
            if time.time() > stop_at:
                return
            body = batch(item, job["first"] + b * events // 2, events, n)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/sync", data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", **harness.OVER_HTTPS,
                         "Authorization": f"Bearer {item['token']}"})
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, answer = response.status, json.loads(response.read())
            except urllib.error.HTTPError as exc:
                status, answer = exc.code, {}
            seconds = time.perf_counter() - began
            results = answer.get("results", [])
            accepted = sum(r["result"] == "accepted" for r in results)
            with lock:
                latencies.append(seconds)
                stored.append(accepted)
                if status != 200 or accepted != len(body["events"]):
                    failures.append(status if status != 200 else sorted(
                        {r.get("code") or r["result"] for r in results
                         if r["result"] != "accepted"}))

    threads = [threading.Thread(target=client, args=(n, item))
               for n, item in enumerate(job["work"])]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"seconds": elapsed, "events": sum(stored), "eps": sum(stored) / elapsed,
            "latencies": latencies, "failures": len(failures),
            "failure_codes": [str(f) for f in failures[:5]]}


def drive_sync(port: int, work: list[dict], first: int, events: int, batches: int,
               server: subprocess.Popen) -> dict:
    """Run the sync clients in a separate process; with the server's CPU per event."""
    job = json.dumps({"port": port, "work": work, "first": first, "events": events,
                      "batches": batches})
    cpu = harness.server_cpu_s(server)
    out = subprocess.run([harness.PYTHON, __file__, "--drive"], input=job,
                         capture_output=True, text=True, check=True,
                         timeout=harness.TIME_LIMIT_S + 180)
    result = json.loads(out.stdout)
    result["server_cpu_ms"] = 1000 * (harness.server_cpu_s(server) - cpu) / max(
        1, result["events"])
    return result


def bench(kind: str, rounds: int, batches: int, events: int) -> dict:
    """Serve the real app and the floor side by side; drive them in alternating rounds."""
    secret = secrets.token_urlsafe(32)
    harness.reset_database(kind)
    per_round = batches * events // 2  # visits per client per round
    work = harness.prepare(kind, WARM_UP_EVENTS // 2 + rounds * per_round, secret)
    # The floor's clients post two requests per "visit": as many requests as events.
    floor_work = [{**w, "visits": w["visits"][:per_round], "homes": w["homes"][:per_round]}
                  for w in work]
    from bench.floor_app import engine_for, metadata
    metadata.create_all(engine_for(harness.database_url(kind)))
    app, app_port = harness.start_gunicorn("backend.app:create_app()", kind, secret,
                                           harness.free_port())
    floor, floor_port = harness.start_gunicorn("bench.floor_app:create_app()", kind, secret,
                                               harness.free_port())
    syncs, floors = [], []
    try:
        drive_sync(app_port, work, 0, WARM_UP_EVENTS, 1, app)  # warm-up
        harness.drive("floor", floor_port, [{**w, "visits": w["visits"][:10],
                                             "homes": w["homes"][:10]} for w in work], floor)
        for n in range(rounds):
            syncs.append(drive_sync(app_port, work, WARM_UP_EVENTS // 2 + n * per_round,
                                    events, batches, app))
            floors.append(harness.drive("floor", floor_port, floor_work, floor))
            s, f = syncs[-1], floors[-1]
            print(f"  {kind} round {n + 1} sync  {s['eps']:7.1f} events/s, server CPU "
                  f"{s['server_cpu_ms']:.2f} ms/event ({s['failures']} failed batches "
                  f"{s['failure_codes']})", file=sys.stderr)
            print(f"  {kind} round {n + 1} floor {f['rps']:7.1f} req/s, server CPU "
                  f"{f['server_cpu_ms']:.2f} ms/request", file=sys.stderr)
    finally:
        harness.stop(app)
        harness.stop(floor)
    latencies = sorted(x for run in syncs for x in run["latencies"])
    ratios = [s["eps"] / f["rps"] for s, f in zip(syncs, floors, strict=True)]
    return {
        "sync": {"eps": statistics.median(s["eps"] for s in syncs),
                 "events": sum(s["events"] for s in syncs),
                 "server_cpu_ms": statistics.median(s["server_cpu_ms"] for s in syncs),
                 "batch_p50_ms": 1000 * statistics.median(latencies),
                 "batch_max_ms": 1000 * latencies[-1],
                 "failures": sum(s["failures"] for s in syncs)},
        "floor": harness.pooled(floors), "ratios": ratios, "ratio": statistics.median(ratios)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating sync and floor rounds (default 3); the ratio is "
                             "the median of the rounds' ratios")
    parser.add_argument("--batches", type=int, default=1,
                        help="batches each of the 16 clients posts per round (default 1)")
    parser.add_argument("--events", type=int, default=200,
                        help="events per batch, an even number (default 200, the most a "
                             "batch may hold)")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(run_clients(json.load(sys.stdin))))
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"{harness.CLIENTS} clients, gunicorn -w 2, {args.rounds} rounds of {args.batches} "
          f"batch(es) of {args.events} events per client, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    for kind in kinds:
        r = bench(kind, args.rounds, args.batches, args.events)
        s, f = r["sync"], r["floor"]
        print(f"{kind:9} sync : {s['eps']:7.1f} events/s ({1000 / s['eps']:.2f} ms per event)  "
              f"batch p50 {s['batch_p50_ms']:.0f} ms, max {s['batch_max_ms']:.0f} ms  server "
              f"CPU {s['server_cpu_ms']:.2f} ms/event  ({s['events']} events, "
              f"{s['failures']} failed batches)")
        print(f"{kind:9} floor: {f['rps']:7.1f} req/s ({1000 / f['rps']:.2f} ms per request)  "
              f"p50 {f['p50_ms']:.1f} ms  p99 {f['p99_ms']:.1f} ms  server CPU "
              f"{f['server_cpu_ms']:.2f} ms/request  ({f['requests']} requests, "
              f"{f['failures']} failed)")
        if s["failures"] or f["failures"]:  # a refused batch is no measure of speed
            print(f"{kind:9} NOT MEASURED: requests failed; the figures above mean nothing")
            sys.exit(1)
        print(f"{kind:9} ratio sync per event / floor per request: {r['ratio']:.2f} "
              f"(target >= 0.5; rounds {', '.join(f'{x:.2f}' for x in r['ratios'])})")


if __name__ == "__main__":
    main()
