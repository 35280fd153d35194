"""Benchmark: one detection pass against a bare indexed SELECT of the visits due that minute.

    python bench/detection.py national [--visits 1250000]    # builds ecm_bench_monitoring_national
    python bench/detection.py county                          # builds ecm_bench_monitoring_county

PostgreSQL only. `national` builds (once) a national-day simulation in its own
database with bulk INSERT ... SELECT generate_series (BENCHMARK-ONLY helper below):
1.25 million visits between 06:00 and 23:00 on one day, their check-in and
check-out events, 1% no-shows and 5% of carers 16-20 minutes late (outcomes drawn
by hash, so every minute has its share). `county` builds (once) a synthetic
county-year the same way (3,000 people, 2-4 calls a day in local time for 365
days: about 3.3 million visits, their events, a year of alerts and inbox rows);
`flask demo build --scale 6 --past-days 358` makes a richer one but takes about
90 minutes. Both then run a warm-up pass one minute before the measured instant
(the first pass: the backlog), and measure, in the same run and interleaved, the
median of several detection passes (each committed, as the scheduler commits it,
then undone; six untimed first) and of a bare indexed
SELECT of the visits whose planned start falls in that minute.
Target: the pass costs no more than 3x the SELECT.
"""
import argparse
import hashlib
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import (  # noqa: E402
    DEFAULT_RULES, Contract, MonitoringRule, Organisation, OrganisationKind, Role, User, Visit,
)
from backend.services.monitoring.monitor import run_detection  # noqa: E402

SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DAY = date(2026, 11, 24)  # GMT: local time is UTC
AT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
PROVIDERS, FUNDERS, WORKERS = 600, 150, 50_000


def md5_uuid(text: str) -> uuid.UUID:
    """The same id PostgreSQL's md5(text)::uuid gives."""
    return uuid.UUID(hashlib.md5(text.encode()).hexdigest())


# --- BENCHMARK-ONLY helper: PostgreSQL bulk build of a national day -------------------
NATIONAL_SQL = [
    """INSERT INTO service_users (id, council_ref, first_name, last_name, address, postcode,
           home_lat, home_lon, geofence_off, access_notes, contact_opted_in, created_at)
       SELECT md5('s'||p)::uuid, 'N'||p, 'Person', p::text, 'x', 'NN1 1AA', 52.2, -0.9,
              false, '', false, :t0
       FROM generate_series(0, :packages - 1) p""",
    """INSERT INTO care_packages (id, service_user_id, provider_id, funder_id, contract_id,
           package_type, weekly_minutes, start_date, status, created_at)
       SELECT md5('p'||p)::uuid, md5('s'||p)::uuid, md5('o'||(p % :providers))::uuid,
              md5('f'||((p % :providers) % :funders))::uuid, md5('c'||(p % :providers))::uuid,
              'standard', 480, DATE '2024-01-01', 'active', :t0
       FROM generate_series(0, :packages - 1) p""",
    """INSERT INTO users (id, username, display_name, role, organisation_id, password_hash,
           active, failed_sign_ins, created_at)
       SELECT md5('w'||n)::uuid, 'w'||n, 'Worker '||n, 'care_worker',
              md5('o'||(n % :providers))::uuid, 'x', true, 0, :t0
       FROM generate_series(0, :workers - 1) n""",
    """INSERT INTO visits (id, package_id, contract_id, planned_start, planned_end, local_date,
           local_time, duration_min, carers_required, priority, status, flags, created_at,
           actual_start, actual_end, delivered_seconds, delivered_minutes, location_verified)
       SELECT md5('v'||g)::uuid, md5('p'||(g % :packages))::uuid,
              md5('c'||((g % :packages) % :providers))::uuid, s.ps,
              s.ps + make_interval(mins => s.dur), :day,
              (s.ps AT TIME ZONE 'Europe/London')::time, s.dur, 1,
              CASE WHEN g % 10 = 0 THEN 'critical' ELSE 'normal' END, st.status, '[]'::json, :t0,
              CASE WHEN st.status IN ('in_progress', 'completed') THEN a.a_start END,
              CASE WHEN st.status = 'completed' THEN a.a_end END,
              CASE WHEN st.status = 'completed'
                   THEN floor(extract(epoch FROM a.a_end - a.a_start)) END,
              CASE WHEN st.status = 'completed'
                   THEN floor((extract(epoch FROM a.a_end - a.a_start) + 30) / 60) END,
              CASE WHEN st.status IN ('in_progress', 'completed') THEN h.h % 20 <> 5 END
       FROM generate_series(0, :visits - 1) g
       CROSS JOIN LATERAL (SELECT abs(hashtext(g::text)) AS h) h
       CROSS JOIN LATERAL (SELECT :day_start + make_interval(mins => 360 + (g % 1020)) AS ps,
                                  30 + 15 * (g % 3) AS dur) s
       CROSS JOIN LATERAL (SELECT s.ps + make_interval(mins => CASE WHEN h.h % 20 = 3
                                   THEN 16 + h.h % 5 ELSE (h.h % 11) - 3 END) AS a_start) a0
       CROSS JOIN LATERAL (SELECT a0.a_start AS a_start,
                                  a0.a_start + make_interval(mins => s.dur - (h.h % 7)) AS a_end) a
       CROSS JOIN LATERAL (SELECT CASE
              WHEN s.ps > :at OR h.h % 100 = 7 THEN 'scheduled'
              WHEN a.a_start > :at THEN 'scheduled'
              WHEN a.a_end > :at THEN 'in_progress'
              ELSE 'completed' END AS status) st""",
    """INSERT INTO visit_events (id, visit_id, worker_id, recorded_by_id, kind, device_time,
           server_time, verified, mock_location, flags, details)
       SELECT md5('i'||v.id)::uuid, v.id, w.id, w.id, 'check_in', v.actual_start,
              least(v.actual_start + interval '1 minute', :at), v.location_verified, false,
              '[]'::json, '{}'::json
       FROM visits v
       CROSS JOIN LATERAL (SELECT md5('w'||(abs(hashtext(v.id::text)) % :workers))::uuid AS id) w
       WHERE v.actual_start IS NOT NULL""",
    """INSERT INTO visit_events (id, visit_id, worker_id, recorded_by_id, kind, device_time,
           server_time, verified, mock_location, flags, details)
       SELECT md5('o'||v.id)::uuid, v.id, w.id, w.id, 'check_out', v.actual_end,
              least(v.actual_end + interval '1 minute', :at), NULL, false,
              '[]'::json, '{}'::json
       FROM visits v
       CROSS JOIN LATERAL (SELECT md5('w'||(abs(hashtext(v.id::text)) % :workers))::uuid AS id) w
       WHERE v.actual_end IS NOT NULL""",
]


# A county-year: 3,000 people, one package each, 2-4 calls a day at local times
# (Europe/London, so both clock changes are in it) for the 365 days up to DAY:
# about 3.3 million visits, 6.5 million events, the alerts and inbox rows of a
# year (1% no-shows, 5% late, 5% check-ins outside the geofence).
COUNTY_SQL = NATIONAL_SQL[:3] + [
    """INSERT INTO visits (id, package_id, contract_id, planned_start, planned_end, local_date,
           local_time, duration_min, carers_required, priority, status, flags, created_at,
           actual_start, actual_end, delivered_seconds, delivered_minutes, location_verified)
       SELECT md5('v'||p||'-'||d||'-'||k)::uuid, md5('p'||p)::uuid,
              md5('c'||(p % :providers))::uuid, s.ps, s.ps + make_interval(mins => s.dur),
              s.day, (s.ps AT TIME ZONE 'Europe/London')::time, s.dur, 1,
              CASE WHEN k = 0 AND p % 10 = 0 THEN 'critical' ELSE 'normal' END,
              st.status, '[]'::json, :t0,
              CASE WHEN st.status IN ('in_progress', 'completed') THEN a.a_start END,
              CASE WHEN st.status = 'completed' THEN a.a_end END,
              CASE WHEN st.status = 'completed'
                   THEN floor(extract(epoch FROM a.a_end - a.a_start)) END,
              CASE WHEN st.status = 'completed'
                   THEN floor((extract(epoch FROM a.a_end - a.a_start) + 30) / 60) END,
              CASE WHEN st.status IN ('in_progress', 'completed') THEN h.h % 20 <> 5 END
       FROM generate_series(0, :packages - 1) p
       CROSS JOIN generate_series(0, 364) d
       CROSS JOIN generate_series(0, 3) k
       CROSS JOIN LATERAL (SELECT abs(hashtext(p||'-'||d||'-'||k)) AS h) h
       CROSS JOIN LATERAL (
           SELECT (:day - 364 + d) AS day,
                  ((:day - 364 + d) + make_interval(mins => (ARRAY[420, 720, 1020, 1230])[k + 1]
                                                  + (p * 7) % 60)) AT TIME ZONE 'Europe/London'
                      AS ps,
                  30 + 15 * ((p + k) % 3) AS dur) s
       CROSS JOIN LATERAL (SELECT s.ps + make_interval(mins => CASE WHEN h.h % 20 = 3
                                   THEN 16 + h.h % 5 ELSE (h.h % 11) - 3 END) AS a_start) a0
       CROSS JOIN LATERAL (SELECT a0.a_start AS a_start,
                                  a0.a_start + make_interval(mins => s.dur - (h.h % 7)) AS a_end) a
       CROSS JOIN LATERAL (SELECT CASE
              WHEN s.ps > :at THEN 'scheduled'
              WHEN h.h % 100 = 7 THEN CASE WHEN s.ps > :at - interval '2 hours'
                                           THEN 'scheduled' ELSE 'missed' END
              WHEN a.a_start > :at THEN 'scheduled'
              WHEN a.a_end > :at THEN 'in_progress'
              ELSE 'completed' END AS status) st
       WHERE k < 2 + p % 3""",
    NATIONAL_SQL[4],
    NATIONAL_SQL[5],
    # A year of alerts, as earlier passes raised them: missed, late, location.
    """INSERT INTO alerts (id, visit_id, kind, status, raised_at, detail, escalated_at,
           resolved_at, resolution)
       SELECT md5('am'||v.id)::uuid, v.id, 'missed', 'resolved', v.planned_end, 'Missed',
              v.planned_end, v.planned_end + interval '2 hours', 'dealt with'
       FROM visits v WHERE v.status = 'missed'
       UNION ALL
       SELECT md5('al'||v.id)::uuid, v.id, 'late', 'resolved', v.planned_start
              + interval '15 minutes', 'Late', NULL, v.actual_start, 'checked in'
       FROM visits v WHERE v.actual_start > v.planned_start + interval '15 minutes'
       UNION ALL
       SELECT md5('ax'||v.id)::uuid, v.id, 'location_unverified',
              CASE WHEN v.planned_start > :at - interval '1 day' THEN 'open' ELSE 'resolved'
              END, v.actual_start, 'Location', NULL, NULL, NULL
       FROM visits v WHERE v.location_verified = false""",
    """INSERT INTO notifications (id, dedupe_key, alert_id, channel, recipient_user_id, subject,
           body, status, attempts, next_attempt_at, created_at, sent_at)
       SELECT md5('n'||a.id)::uuid, 'alert:'||a.id||':provider:inbox', a.id, 'inbox',
              NULL, 'Alert', a.detail, 'sent', 0, a.raised_at, a.raised_at, a.raised_at
       FROM alerts a""",
]


def build(url: str, statements: list[str], params: dict, providers: int, funders: int) -> None:
    """Create and fill a benchmark database (once): organisations and contracts through the
    models, then the bulk tables with INSERT ... SELECT generate_series."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            return
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        for n in range(funders):
            db.session.add(Organisation(id=md5_uuid(f"f{n}"), name=f"Council {n}",
                                        kind=OrganisationKind.COUNCIL))
        for n in range(providers):
            db.session.add(Organisation(id=md5_uuid(f"o{n}"), name=f"Provider {n}",
                                        kind=OrganisationKind.PROVIDER))
        db.session.flush()
        for n in range(providers):
            contract = Contract(id=md5_uuid(f"c{n}"), name=f"Contract {n}",
                                funder_id=md5_uuid(f"f{n % funders}"),
                                provider_id=md5_uuid(f"o{n}"), starts_on=date(2020, 1, 1))
            for priority, values in DEFAULT_RULES.items():
                contract.rules.append(MonitoringRule(priority=priority, **values))
            db.session.add(contract)
            db.session.add(User(username=f"manager{n}", display_name=f"Manager {n}",
                                role=Role.PROVIDER_MANAGER, organisation_id=md5_uuid(f"o{n}"),
                                password_hash="x"))
        for n in range(funders):
            db.session.add(User(username=f"commissioner{n}", display_name=f"Commissioner {n}",
                                role=Role.COMMISSIONER, organisation_id=md5_uuid(f"f{n}"),
                                password_hash="x"))
        db.session.commit()
        params = dict(params, t0=datetime.now(UTC), providers=providers, funders=funders)
        for statement in statements:
            started = time.perf_counter()
            result = db.session.execute(sa.text(statement), params)
            db.session.commit()
            print(f"  built in {time.perf_counter() - started:6.1f} s: "
                  f"{statement.split()[2]} ({result.rowcount:,} rows)", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    # -------------------------------------------------------------------------------------


def build_national(url: str, visits: int) -> None:
    """The national day: 1.25 million visits, 250,000 packages under 600 contracts."""
    build(url, NATIONAL_SQL, dict(packages=visits // 5, workers=WORKERS, visits=visits, day=DAY,
                                  day_start=datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC),
                                  at=AT), PROVIDERS, FUNDERS)


def build_county(url: str) -> None:
    """The county-year: 3,000 people, 20 providers, 2 funders, 600 carers."""
    build(url, COUNTY_SQL, dict(packages=3000, workers=600, day=DAY, at=AT), 20, 2)


def bare_select(at: datetime):
    """The baseline: visits whose planned start falls in the minute before `at` (indexed)."""
    return db.session.execute(
        sa.select(Visit.id, Visit.package_id, Visit.planned_start, Visit.planned_end,
                  Visit.status, Visit.priority)
        .where(Visit.planned_start >= at - timedelta(minutes=1), Visit.planned_start < at)).all()


FLAG_LAST_MINUTE = sa.text(
    """UPDATE visits SET review_pending = true WHERE id IN (
           SELECT visit_id FROM visit_events WHERE server_time > :since AND server_time <= :at)""")


# Each timed pass is undone, and the worst case's flagging UPDATE too: left alone, their
# dead row versions pile up within one run (over a million in visits after a few runs)
# and slow the bare SELECT and the pass's inserts with them, which a live database does
# not see at that rate. Vacuumed between repetitions, both are timed as on a database
# that autovacuum keeps.
VACUUMED = ("visits", "alerts", "notifications", "scheduler_job_runs")
WARM_RUNS = 6  # psycopg prepares a statement on its sixth execution


def vacuum() -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in VACUUMED:
            conn.exec_driver_sql(f"VACUUM {table}")


# BENCHMARK-ONLY: put back what one timed pass at `at` wrote, after its commit. The
# scheduler commits every pass, and psycopg prepares a statement on its sixth run but
# forgets every prepared statement at a rollback: so the passes are committed, as the
# scheduler's are, and then undone here, untimed.
UNDO_PASS = [
    "DELETE FROM notifications WHERE alert_id IN (SELECT id FROM alerts WHERE raised_at = :at)",
    "UPDATE visits SET status = 'scheduled' WHERE id IN "
    "(SELECT visit_id FROM alerts WHERE raised_at = :at AND kind = 'missed')",
    "DELETE FROM alerts WHERE raised_at = :at",
    "UPDATE alerts SET escalated_at = NULL WHERE escalated_at = :at",
    "UPDATE scheduler_job_runs SET last_run_at = :before",
]


def committed_pass(at: datetime, summaries: dict, name: str) -> float:
    """One pass committed as the scheduler commits it (timed), then undone (untimed)."""
    started = time.perf_counter()
    result = run_detection(at)
    db.session.commit()
    seconds = time.perf_counter() - started
    if result.resolved:  # what it resolved cannot be put back as it was
        raise SystemExit("the measured pass resolved alerts; measure another instant")
    summaries[name] = result
    for statement in UNDO_PASS:
        db.session.execute(sa.text(statement), {"at": at, "before": at - timedelta(minutes=1)})
    db.session.commit()
    return seconds


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(url: str, at: datetime, repeats: int) -> None:
    """Warm-up pass, then interleaved timings of the bare SELECT and of the pass.

    Two passes are timed. "reacted": the production path, where the check-in
    service judged each arriving event at once (react_to_visit_event) and left no
    visit flagged; the pass judges the tolerances crossed in the last minute.
    "unreacted": as if no event of the last minute had been judged on arrival
    (every visit with an event in that minute flagged), the worst case.
    """
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
        db.session.execute(sa.text("DELETE FROM scheduler_job_runs"))
        started = time.perf_counter()
        backlog = run_detection(at - timedelta(minutes=1))
        db.session.commit()
        db.session.close()
        print(f"visits in database: {total:,}; measured instant {at.isoformat()}")
        print(f"warm-up pass (first pass: the backlog, not measured): "
              f"{time.perf_counter() - started:.2f} s {backlog.as_dict()}")
        selects, reacted, unreacted, due, flagged = [], [], [], 0, 0
        summaries: dict = {}
        for _ in range(WARM_RUNS):  # as the scheduler's connection is after a few minutes
            bare_select(at)
            db.session.commit()
            committed_pass(at, summaries, "reacted")
        for _ in range(repeats):
            vacuum()
            rows: list = []
            selects.append(timed(lambda rows=rows: rows.extend(bare_select(at))))
            due = len(rows)
            db.session.commit()
            reacted.append(committed_pass(at, summaries, "reacted"))
            flagged = db.session.execute(
                FLAG_LAST_MINUTE, {"since": at - timedelta(minutes=1), "at": at}).rowcount
            db.session.commit()
            unreacted.append(committed_pass(at, summaries, "unreacted"))
        select_ms = statistics.median(selects) * 1000
        print(f"visits due in that minute: {due:,}")
        print(f"bare indexed SELECT of that minute: median {select_ms:8.1f} ms")
        for name, times, note in (("reacted", reacted, "no visit flagged"),
                                  ("unreacted", unreacted, f"{flagged:,} visits flagged")):
            ms = statistics.median(times) * 1000
            print(f"detection pass, {name:9} ({note}): median {ms:8.1f} ms, "
                  f"ratio {ms / select_ms:5.2f}x (target <= 3x) "
                  f"{summaries[name].as_dict()}")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["national", "county"])
    parser.add_argument("--visits", type=int, default=1_250_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--at", type=datetime.fromisoformat, default=AT,
                        help="measured instant (UTC ISO); the data is built around 14:00")
    args = parser.parse_args()
    if args.mode == "national":
        url = f"{SERVER}/ecm_bench_monitoring_national"
        build_national(url, args.visits)
    else:
        url = f"{SERVER}/ecm_bench_monitoring_county"
        build_county(url)
    at = args.at if args.at.tzinfo else args.at.replace(tzinfo=UTC)
    measure(url, at, args.repeats)


if __name__ == "__main__":
    main()
