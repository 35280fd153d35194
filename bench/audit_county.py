"""A synthetic county-year for bench/audit.py when the demo county is not available.

Plain PostgreSQL (generate_series), so 3 million visits go in within minutes:
40 providers, one council and one NHS funder, `people` service users each with one
package of 2-4 calls a day, a year of visits with the statuses and cached actuals
visit_state would derive, and check-in/out events for double-up visits (the only
ones whose bills read events).

    .venv/bin/python bench/audit_county.py ecm_bench_audit_synth --people 3000
"""
import argparse
import os
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SQL = """
INSERT INTO organisations (id, name, kind, created_at)
  VALUES (gen_random_uuid(), 'Benchshire County Council', 'council', now()),
         (gen_random_uuid(), 'Benchshire ICB', 'nhs', now());
INSERT INTO organisations (id, name, kind, framework_status, created_at)
  SELECT gen_random_uuid(), 'Provider ' || lpad(i::text, 2, '0'), 'provider', 'accredited', now()
  FROM generate_series(1, 40) i;
INSERT INTO contracts (id, name, funder_id, provider_id, starts_on, geofence_radius_m,
  accuracy_allowance_max_m, offline_window_hours, home_logging_target_pct, lock_after_days,
  travel_speed_kmh, billing_basis, rounding_unit_min, rounding, minimum_billable_min,
  complete_units_only, hourly_rate_pence, floor_rate_pence, ceiling_rate_pence, double_up_rule,
  created_at)
  SELECT gen_random_uuid(), f.name || ' / ' || p.name, f.id, p.id, DATE '2020-01-01', 200, 100,
         24, 85, 7, 20, 'actual_capped', 15, 'nearest', 15, false, 1893, 1417, 1622,
         'each_worker', now()
  FROM organisations f CROSS JOIN organisations p
  WHERE f.kind IN ('council', 'nhs') AND p.kind = 'provider';
INSERT INTO call_rates (id, contract_id, duration_min, amount_pence)
  SELECT gen_random_uuid(), c.id, r.m, r.p FROM contracts c
  CROSS JOIN (VALUES (30, 820), (45, 1065), (60, 1420)) r(m, p)
  WHERE c.name LIKE 'Benchshire ICB%';
INSERT INTO users (id, username, display_name, role, organisation_id, password_hash, active,
  failed_sign_ins, created_at)
  SELECT gen_random_uuid(), 'w' || p.name || '-' || i, 'Worker ' || i, 'care_worker', p.id, 'x',
         true, 0, now()
  FROM organisations p CROSS JOIN generate_series(1, 12) i WHERE p.kind = 'provider';
INSERT INTO service_users (id, council_ref, first_name, last_name, address, postcode, home_lat,
  home_lon, geofence_off, access_notes, contact_opted_in, created_at)
  SELECT gen_random_uuid(), 'BC' || lpad(i::text, 6, '0'), 'Person', 'N' || i, i || ' Road',
         'NN1 1AA', 52.2 + random() * 0.2, -0.9 + random() * 0.2, false, '', false, now()
  FROM generate_series(1, :people) i;
CREATE TEMP TABLE bench_pkg AS
  SELECT su.id AS su_id, row_number() OVER (ORDER BY su.council_ref) AS n FROM service_users su;
INSERT INTO care_packages (id, service_user_id, provider_id, funder_id, contract_id,
  package_type, weekly_minutes, start_date, end_date, status, created_at)
  SELECT gen_random_uuid(), b.su_id, c.provider_id, c.funder_id, c.id, 'standard',
         (2 + b.n % 3) * 7 * 30, CAST(:first AS date) - (b.n % 200)::int + 100, NULL,
         'active', now()
  FROM bench_pkg b
  JOIN (SELECT c.*, row_number() OVER (ORDER BY c.name) AS k FROM contracts c) c
    ON c.k = 1 + (b.n % 80);
INSERT INTO visits (id, package_id, contract_id, planned_start, planned_end, local_date,
  local_time, duration_min, carers_required, priority, status, cancel_reason, actual_start,
  actual_end, delivered_seconds, delivered_minutes, location_verified, flags, created_at)
  SELECT gen_random_uuid(), p.id, p.contract_id, s.start,
         s.start + make_interval(mins => s.dur), s.day, make_time(7 + s.c * 4, 0, 0), s.dur,
         s.carers, 'normal', s.status, CASE WHEN s.status = 'cancelled' THEN 'hospital' END,
         CASE WHEN s.status = 'completed' THEN s.start + make_interval(mins => s.late) END,
         CASE WHEN s.status = 'completed'
              THEN s.start + make_interval(mins => s.late + s.dur + s.delta) END,
         CASE WHEN s.status = 'completed' THEN (s.dur + s.delta) * s.carers * 60 END,
         CASE WHEN s.status = 'completed' THEN (s.dur + s.delta) * s.carers END,
         CASE WHEN s.status = 'completed' THEN random() < 0.88 END, '[]'::json, now()
  FROM care_packages p
  CROSS JOIN LATERAL (
    SELECT d::date AS day, c,
           (d::date + make_time(7 + c * 4, 0, 0)) AT TIME ZONE 'Europe/London' AS start,
           (ARRAY[30, 45, 30, 60])[1 + c] AS dur,
           CASE WHEN hashtext(p.id::text) % 12 = 0 THEN 2 ELSE 1 END AS carers,
           (random() * 20)::int AS late, (random() * 14)::int - 10 AS delta,
           CASE WHEN r < 0.03 THEN 'cancelled' WHEN r < 0.07 THEN 'missed'
                WHEN r < 0.08 THEN 'no_access'
                WHEN d::date > CURRENT_DATE THEN 'scheduled' ELSE 'completed' END AS status
    FROM generate_series(CAST(:first AS date), CAST(:first AS date) + 364, interval '1 day') d
    CROSS JOIN generate_series(0, 1 + (p.weekly_minutes / 210) % 3) c
    CROSS JOIN LATERAL (SELECT random() + 0 * c AS r) rr
  ) s
  WHERE s.day >= p.start_date;
ANALYZE visits;
ANALYZE care_packages;
CREATE TEMP TABLE bench_workers AS
  SELECT id, organisation_id, row_number() OVER (PARTITION BY organisation_id ORDER BY id) AS k
  FROM users WHERE role = 'care_worker';
ANALYZE bench_workers;
INSERT INTO visit_events (id, visit_id, worker_id, recorded_by_id, kind, device_time,
  server_time, mock_location, flags, details, verified)
  SELECT gen_random_uuid(), v.id, w.id, w.id, e.kind,
         CASE WHEN e.kind = 'check_in' THEN v.actual_start
              ELSE v.actual_start + make_interval(mins => v.delivered_minutes / 2) END,
         v.actual_end, false, '[]'::json, '{}'::json, v.location_verified
  FROM visits v JOIN care_packages p ON p.id = v.package_id
  JOIN bench_workers w ON w.organisation_id = p.provider_id AND w.k IN (1, 2)
  CROSS JOIN (VALUES ('check_in'), ('check_out')) e(kind)
  WHERE v.carers_required = 2 AND v.status = 'completed';
"""


def main() -> int:
    """Create the database, its schema and the synthetic county."""
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--first", default="2025-11-01")
    args = parser.parse_args()
    server = "postgresql+psycopg://postgres@127.0.0.1:5432/"
    admin = sa.create_engine(server + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{args.database}"'))
    os.environ.setdefault("SECRET_KEY", "bench-only")
    from backend.app import create_app
    from backend.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": server + args.database})
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            for statement in SQL.split(";\n"):
                if statement.strip():
                    conn.execute(sa.text(statement), {"people": args.people,
                                                      "first": args.first})
            conn.execute(sa.text("ANALYZE"))
            counts = conn.execute(sa.text(
                "SELECT (SELECT count(*) FROM visits), (SELECT count(*) FROM visit_events), "
                "(SELECT count(*) FROM care_packages)")).one()
    print(f"visits {counts[0]}, events {counts[1]}, packages {counts[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
