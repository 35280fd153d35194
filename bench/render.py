"""Benchmark (issue 7): server-side rendering against the service calls it shows.

Two pages, each measured two ways in the same run, interleaved so the shared machine's
load falls on both:
  (a) the service call alone (`rota_week`, `provider_overview`) in a fresh app context;
  (b) the full page request through the Flask test client (session sign-in cookie,
      access rules, the same service call, SVG charts and the Jinja template).
Target: page time <= 2x service time (templates and charts add at most as much as
the query).

- Rota week: one provider with 80 care workers and about 2,500 visits in the week
  (double-ups, tight gaps and overlaps included so the warnings render), built here
  in a fresh database (SQLite by default, `--rota-db` for another URL).
- Commissioner overview for a county-year: the synthetic county of
  `bench/audit_county.py` on PostgreSQL (`--county-db`), a year's period.

    .venv/bin/python bench/audit_county.py ecm_bench_browser_county --people 1500
    .venv/bin/python bench/render.py --county-db \\
        postgresql://postgres@127.0.0.1:5432/ecm_bench_browser_county [--repeat 5]
"""
import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")

WEEK = date(2026, 11, 23)  # a Monday
WORKERS = 80
PEOPLE = 360
SLOTS = [(7, 30, 45), (8, 30, 30), (9, 30, 60), (11, 45, 30), (13, 0, 30), (17, 0, 45),
         (19, 30, 30)]  # (hour, minute, duration): a worker takes 4-5 of these a day


def _url(raw: str) -> str:
    return raw.replace("postgresql://", "postgresql+psycopg://", 1)


def _app(url: str):
    from backend.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": _url(url), "RATELIMIT_ENABLED": False})


def build_rota(app) -> tuple[uuid.UUID, int]:
    """A provider's week: 80 workers, ~2,500 visits. Returns (manager id, visits)."""
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.models import Role, Visit, VisitAssignment
    from backend.services.dates import clock
    from tests.factories import HOME, Factory

    rng = random.Random(7)
    with app.app_context():
        db.drop_all()
        db.create_all()
        make = Factory()
        council = make.council(name="Benchshire County Council")
        provider = make.provider(name="Rota Bench Care")
        contract = make.contract(funder=council, provider=provider)
        manager = make.user(Role.PROVIDER_MANAGER, provider, username="bench-manager")
        workers = [make.user(Role.CARE_WORKER, provider, display_name=f"Carer {i:02d}")
                   for i in range(WORKERS)]
        packages = []
        for i in range(PEOPLE):
            person = make.service_user(first_name="Person", last_name=f"N{i:03d}",
                                       home_lat=HOME[0] + rng.uniform(-0.04, 0.04),
                                       home_lon=HOME[1] + rng.uniform(-0.06, 0.06))
            packages.append(make.package(person, contract=contract))
        visits, assignments, taken = [], [], set()
        for w, worker in enumerate(workers):
            round_ = [packages[(w * 9 + k) % PEOPLE] for k in range(9)]  # people on this round
            for d in range(7):
                day = WEEK + timedelta(days=d)
                slots = sorted(rng.sample(SLOTS, 4 + (w + d) % 2))
                for hour, minute, minutes in slots:
                    jitter = rng.choice([0, 0, 0, 10, 25])  # some gaps too short, some overlaps
                    start = clock.local_to_utc(day, clock_time(hour, minute)) + timedelta(
                        minutes=jitter)
                    free = [p for p in round_ if (p.id, start) not in taken]
                    package = rng.choice(free)
                    taken.add((package.id, start))
                    visit_id = uuid.uuid4()
                    double = rng.random() < 0.06
                    visits.append({
                        "id": visit_id, "package_id": package.id,
                        "planned_start": start, "planned_end": start + timedelta(minutes=minutes),
                        "local_date": day, "duration_min": minutes,
                        "carers_required": 2 if double else 1, "flags": []})
                    assignments.append({"id": uuid.uuid4(), "visit_id": visit_id,
                                        "worker_id": worker.id})
                    if double and rng.random() < 0.6:  # the rest are short of a carer
                        assignments.append({"id": uuid.uuid4(), "visit_id": visit_id,
                                            "worker_id": workers[(w + 1) % WORKERS].id})
        db.session.execute(sa.insert(Visit), visits)
        db.session.execute(sa.insert(VisitAssignment), assignments)
        db.session.commit()
        return manager.id, len(visits)


def ensure_commissioner(app) -> tuple[uuid.UUID, date, date]:
    """A commissioner of the county's main council, and the county-year's first and last day."""
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.models import CarePackage, Organisation, OrganisationKind, Role, User, Visit

    with app.app_context():
        funder = db.session.execute(
            sa.select(CarePackage.funder_id).join(
                Organisation, Organisation.id == CarePackage.funder_id)
            .where(Organisation.kind == OrganisationKind.COUNCIL)
            .group_by(CarePackage.funder_id).order_by(sa.func.count().desc()).limit(1)
        ).scalar_one()
        user = db.session.scalar(sa.select(User).where(User.username == "bench-commissioner"))
        if user is None:
            user = User(role=Role.COMMISSIONER, organisation_id=funder, password_hash="x",
                        username="bench-commissioner", display_name="Bench Commissioner")
            db.session.add(user)
            db.session.commit()
        first = db.session.scalar(sa.select(sa.func.min(Visit.local_date)))
        return user.id, first, first + timedelta(days=364)


def cold() -> None:
    """Forget the process-wide travel-time cache, so each run pays for its trips."""
    from backend.services.rota.travel import _cached_minutes

    _cached_minutes.cache_clear()


def service_seconds(app, user_id, call) -> float:
    """One service call in a fresh app context (its own session: nothing cached)."""
    from backend.extensions import db
    from backend.models import User

    cold()
    with app.app_context():
        user = db.session.get(User, user_id)
        started = time.perf_counter()
        call(user)
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds


def page_seconds(client, path: str, must_contain: str) -> tuple[float, int]:
    cold()
    started = time.perf_counter()
    response = client.get(path)
    body = response.get_data()
    seconds = time.perf_counter() - started
    assert response.status_code == 200 and must_contain.encode() in body, response.status_code
    return seconds, len(body)


def signed_in_client(app, user_id):
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = str(user_id)
    return client


def compare(name: str, app, user_id, call, path: str, must_contain: str, repeat: int) -> dict:
    """Warm once, then alternate service and page `repeat` times; medians and ratio."""
    client = signed_in_client(app, user_id)
    service_seconds(app, user_id, call)
    page_seconds(client, path, must_contain)
    services, pages, size = [], [], 0
    for _ in range(repeat):
        services.append(service_seconds(app, user_id, call))
        seconds, size = page_seconds(client, path, must_contain)
        pages.append(seconds)
    s, p = statistics.median(services), statistics.median(pages)
    print(f"{name}")
    print(f"  service median {s * 1000:7.0f} ms  runs {[round(x * 1000) for x in services]}")
    print(f"  page    median {p * 1000:7.0f} ms  runs {[round(x * 1000) for x in pages]}  "
          f"({size / 1e3:.0f} kB of HTML)")
    print(f"  ratio page/service {p / s:.2f} (target <= 2.0)")
    return {"service": s, "page": p, "ratio": p / s}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rota-db", default="sqlite:////tmp/ecm_bench_browser_rota.sqlite3")
    parser.add_argument("--county-db", help="PostgreSQL URL of a bench/audit_county.py county")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("rota", "overview"))
    args = parser.parse_args()
    print(f"{datetime.now():%Y-%m-%d %H:%M} load average {os.getloadavg()[0]:.1f} "
          f"{os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")

    if args.only in (None, "rota"):
        from backend.services.rota.week import rota_week

        app = _app(args.rota_db)
        started = time.perf_counter()
        manager_id, visits = build_rota(app)
        print(f"rota world: {WORKERS} workers, {visits} visits in the week of {WEEK} "
              f"({args.rota_db.split('://')[0]}, built in {time.perf_counter() - started:.0f} s)")
        compare("rota week page", app, manager_id, lambda user: rota_week(user, WEEK),
                f"/rota?week={WEEK}", "Carer 79", args.repeat)

    if args.only in (None, "overview") and args.county_db:
        from backend.services.audit.overview import provider_overview

        app = _app(args.county_db)
        user_id, first, last = ensure_commissioner(app)
        print(f"county-year {first}..{last} ({args.county_db.rsplit('/', 1)[-1]})")
        compare("commissioner overview page", app, user_id,
                lambda user: provider_overview(user, first, last),
                f"/overview?from={first}&to={last}", "All providers", args.repeat)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
