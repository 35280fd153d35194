"""Benchmark: outcome measures for a county-year, against one hand-written SQL aggregate.

Usage (PostgreSQL; the county-year built by the demo engineer as ecm_bench_county):
    .venv/bin/python bench/outcomes.py [--database ecm_bench_outcomes] [--clone]
        [--skip-demo] [--repeat 5]

--clone makes the database from ecm_bench_county (template) and upgrades it; the demo
outcomes step then adds goals, progress at completed visits and reablement episodes.
Both sides are timed in the same run (median of --repeat), for the whole county (admin)
and for one council's funded packages (commissioner); the figures must agree.
"""
import argparse
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import (  # noqa: E402
    CarePackage,
    GoalProgress,
    Organisation,
    OrganisationKind,
    Role,
    ServiceUser,
    User,
)
from backend.services.dates import clock  # noqa: E402
from backend.services.outcomes.measures import outcome_measures  # noqa: E402

HAND_SQL = """
WITH scope AS (
  SELECT id, service_user_id FROM care_packages
  WHERE CAST(:funder AS uuid) IS NULL OR funder_id = CAST(:funder AS uuid)),
ep AS (SELECT e.* FROM reablement_episodes e JOIN scope s ON s.id = e.package_id),
b AS (
  SELECT count(*) FILTER (WHERE followup_result = 'at_home') AS b_num,
         count(*) FILTER (WHERE followup_result IS NOT NULL) AS b_den
  FROM ep WHERE from_hospital AND age_at_start >= 65 AND start_date BETWEEN :start AND :end),
d AS (
  SELECT sum(barthel_end_total - barthel_start_total) AS bar_sum,
         count(barthel_end_total - barthel_start_total) AS bar_n,
         sum(weekly_minutes_start - weekly_minutes_end) AS hrs_sum,
         count(weekly_minutes_start - weekly_minutes_end) AS hrs_n
  FROM ep WHERE actual_end BETWEEN :start AND :end),
a AS (
  SELECT count(*) FILTER (WHERE outcome IN ('no_further_support', 'low_level_support',
           'other_short_term')) AS a_num,
         count(*) FILTER (WHERE outcome IN ('no_further_support', 'low_level_support',
           'other_short_term', 'long_term_support', 'residential_or_nursing')) AS a_den
  FROM ep e JOIN service_users u ON u.id = e.service_user_id
  WHERE e.actual_end BETWEEN :start AND :end
    AND NOT coalesce(u.date_of_death < e.start_date, false)
    AND NOT coalesce(e.age_at_start < 18, false)
    AND NOT EXISTS (
      SELECT 1 FROM care_packages l WHERE l.service_user_id = e.service_user_id
        AND l.package_type IN ('standard', 'continuing_healthcare', 'live_in')
        AND l.start_date < e.start_date
        AND (l.end_date IS NULL OR e.start_date - l.end_date < 91))),
g AS (
  SELECT * FROM goals WHERE package_id IN (SELECT id FROM scope)
     OR (package_id IS NULL AND service_user_id IN (SELECT service_user_id FROM scope))),
ga AS (
  SELECT count(*) FILTER (WHERE status = 'achieved') AS ga_num, count(*) AS ga_den
  FROM g WHERE status <> 'active' AND closed_at >= :start_at AND closed_at < :end_at),
latest AS (
  SELECT DISTINCT ON (p.goal_id) p.goal_id, p.score FROM goal_progress p
  WHERE p.recorded_at < :end_at
    AND NOT EXISTS (SELECT 1 FROM goal_progress c WHERE c.supersedes_id = p.id)
  ORDER BY p.goal_id, p.recorded_at DESC, p.entered_at DESC, p.id DESC),
person AS (
  SELECT g.service_user_id,
         sum(g.importance * g.difficulty * coalesce(l.score, g.baseline)) AS wx,
         sum((g.importance * g.difficulty) ^ 2) AS w2, sum(g.importance * g.difficulty) AS w
  FROM g LEFT JOIN latest l ON l.goal_id = g.id
  WHERE g.measure = 'gas' AND g.status <> 'discontinued' AND g.importance * g.difficulty > 0
    AND g.created_at < :end_at AND (g.closed_at IS NULL OR g.closed_at >= :start_at)
  GROUP BY g.service_user_id),
t AS (SELECT round((50 + 10 * wx / sqrt(0.7 * w2 + 0.3 * w * w))::numeric, 6) AS t
      FROM person)
SELECT b.*, d.*, a.*, ga.*, (SELECT count(*) FROM t) AS t_n, (SELECT sum(t) FROM t) AS t_sum,
       (SELECT count(*) FROM t WHERE t >= 50 AND t < 60) AS t_50s
FROM b, d, a, ga
"""


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
        db.session.rollback()
    return statistics.median(times), result


def clone(name: str) -> None:
    """A fresh copy of the county-year, upgraded to this branch's schema."""
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name} TEMPLATE ecm_bench_county"], check=True)


def synthetic(name: str) -> None:
    """A fresh database with 3,000 people and the outcome tables at county-year scale."""
    from tests.factories import Factory

    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 10})
    with app.app_context():
        db.create_all()
        make = Factory()
        councils = [make.council(name="Northshire County Council"), make.nhs()]
        providers = [make.provider() for _ in range(39)]
        contracts = [make.contract(funder=councils[i % 7 == 0], provider=p)
                     for i, p in enumerate(providers)]
        make.user(Role.ADMIN, councils[0])
        people = [dict(id=uuid.uuid4(), council_ref=f"B{n:06d}", first_name="Person",
                       last_name=f"N{n}", address="1 High St", postcode="NN1 1AA",
                       home_lat=52.24, home_lon=-0.9, geofence_off=False, access_notes="",
                       contact_opted_in=False, created_at=clock.now()) for n in range(3000)]
        db.session.execute(ServiceUser.__table__.insert(), people)
        packages = [dict(id=uuid.uuid4(), service_user_id=p["id"],
                         provider_id=contracts[n % 39].provider_id,
                         funder_id=contracts[n % 39].funder_id, contract_id=contracts[n % 39].id,
                         package_type="standard", weekly_minutes=480,
                         start_date=date(2024, 1, 1), status="active", created_at=clock.now())
                    for n, p in enumerate(people)]
        db.session.execute(CarePackage.__table__.insert(), packages)
        db.session.commit()
        sql = (Path(__file__).parent / "outcomes_synthetic.sql").read_text()
        db.session.connection().exec_driver_sql(sql)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()


def compare(user, funder, start, end, repeat: int) -> dict:
    """Time the service and the hand-written aggregate; check they agree."""
    start_at, _ = clock.local_day_bounds(start)
    _, end_at = clock.local_day_bounds(end)
    params = dict(funder=funder, start=start, end=end, start_at=start_at, end_at=end_at)
    service_s, m = timed(lambda: outcome_measures(user, start, end, funder_id=funder), repeat)
    hand_s, row = timed(lambda: db.session.execute(sa.text(HAND_SQL), params).one()._asdict(),
                        repeat)
    pairs = {
        "2B": ((m["ascof_2b_91_days"]["numerator"], m["ascof_2b_91_days"]["denominator"]),
               (row["b_num"], row["b_den"])),
        "2A": ((m["ascof_2a"]["numerator"], m["ascof_2a"]["denominator"]),
               (row["a_num"], row["a_den"])),
        "barthel": ((m["barthel_gain"]["numerator"], m["barthel_gain"]["denominator"]),
                    (row["bar_sum"] or 0, row["bar_n"])),
        "hours": ((m["weekly_hours_reduction"]["numerator"],
                   m["weekly_hours_reduction"]["denominator"]),
                  (row["hrs_sum"] or 0, row["hrs_n"])),
        "goals": ((m["goals_achieved"]["numerator"], m["goals_achieved"]["denominator"]),
                  (row["ga_num"], row["ga_den"])),
        "gas_people": (m["gas_t_score"]["mean"]["denominator"], row["t_n"]),
        "gas_50s": (m["gas_t_score"]["bands"][3]["numerator"], row["t_50s"]),
    }
    for name, (ours, theirs) in pairs.items():
        assert ours == theirs or (isinstance(ours, tuple) and tuple(map(float, ours))
                                  == tuple(map(float, theirs))), (name, ours, theirs)
    mean = m["gas_t_score"]["mean"]["value"]
    assert mean is None or abs(mean - float(row["t_sum"]) / row["t_n"]) < 0.01
    return dict(service_s=service_s, hand_s=hand_s, ratio=service_s / hand_s, measures=m)


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="ecm_bench_outcomes")
    parser.add_argument("--clone", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true",
                        help="fallback: outcome tables written in SQL (outcomes_synthetic.sql)")
    args = parser.parse_args()
    if args.clone:
        clone(args.database)
    if args.synthetic:
        synthetic(args.database)
        args.skip_demo = True
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 10})
    with app.app_context():
        if args.clone:
            from flask_migrate import upgrade
            upgrade()
        today = clock.today()
        if not args.skip_demo:
            from backend.demo.outcomes import add_outcomes
            began = time.perf_counter()
            add_outcomes(random.Random(2026), today)
            db.session.commit()
            print(f"demo outcomes step: {time.perf_counter() - began:.1f} s")
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(GoalProgress))
        first, last = db.session.execute(sa.select(sa.func.min(GoalProgress.recorded_at),
                                                   sa.func.max(GoalProgress.recorded_at))).one()
        weeks = max(1.0, (last - first).days / 7) if first else 1.0
        print(f"progress entries: {entries:,} ({entries / weeks:,.0f} a week)")
        council = db.session.scalar(sa.select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL).order_by(Organisation.name))
        # Access rules read only the role and organisation: unsaved users will do.
        admin = User(role=Role.ADMIN, organisation_id=council.id)
        commissioner = User(role=Role.COMMISSIONER, organisation_id=council.id)
        start, end = today - timedelta(days=364), today
        for label, user, funder in (("county (admin)", admin, None),
                                    ("council commissioner", commissioner, council.id)):
            r = compare(user, funder, start, end, args.repeat)
            m = r["measures"]
            print(f"{label}: service {r['service_s'] * 1000:.0f} ms, hand-written SQL "
                  f"{r['hand_s'] * 1000:.0f} ms, ratio {r['ratio']:.2f}")
            print(f"  2B {m['ascof_2b_91_days']['numerator']}/"
                  f"{m['ascof_2b_91_days']['denominator']}, "
                  f"2A {m['ascof_2a']['numerator']}/{m['ascof_2a']['denominator']}, "
                  f"goals achieved {m['goals_achieved']['numerator']}/"
                  f"{m['goals_achieved']['denominator']}, GAS mean "
                  f"{m['gas_t_score']['mean']['value']} over "
                  f"{m['gas_t_score']['mean']['denominator']} people")
    return 0


if __name__ == "__main__":
    sys.exit(main())
