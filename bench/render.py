"""Benchmark (issue 7): server-side rendering against the service calls it shows.

Four pages, each measured two ways in the same run, interleaved so the shared machine's
load falls on both (and, `--only read-audit`, the rota week and visit pages with the
read audit of issue 16 and without it: target audited <= 1.1x unaudited):
  (a) the service call alone (`rota_week`, `provider_overview`) in a fresh app context;
  (b) the full page request through the Flask test client (session sign-in cookie,
      access rules, the same service call, SVG charts and the Jinja template).
Target: page time <= 2x service time (templates and charts add at most as much as
the query).

- Rota week: one provider with 80 care workers and about 2,500 visits in the week
  (double-ups, tight gaps and overlaps included so the warnings render), built here
  in a fresh database (SQLite by default, `--rota-db` for another URL).
- Today board (issue 19): a provider with 150 care workers and about 1,000 visits today
  (double-ups, late, missed, in progress, concerns), built here (`--board-db`).
- Commissioner one view (issue 19): a month of the county-year below, with its 12-week
  trend (`--only oneview`).
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


def _ensure_database(url: str) -> None:
    """Create a PostgreSQL bench database named in the URL if it is not there yet."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                             {"name": target.database}) is None:
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _app(url: str):
    from backend.app import create_app

    _ensure_database(_url(url))

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


def _manager_id():
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.models import User

    return db.session.scalar(sa.select(User.id).where(User.username == "bench-manager"))


BOARD_CARERS = 150


def build_board(app) -> tuple[uuid.UUID, int]:
    """A provider's day today: 150 carers with 6-7 visits each (about 1,000), 6% double-ups,
    the morning done (events and cached actuals as the pipeline leaves them), some late or
    missed, some in progress, some concerns and unassigned. Returns (manager id, visits)."""
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.models import (
        Alert, AlertKind, EventKind, Role, Visit, VisitAssignment, VisitEvent, VisitStatus,
    )
    from backend.services.dates import clock
    from tests.factories import Factory

    rng = random.Random(11)
    with app.app_context():
        db.drop_all()
        db.create_all()
        make = Factory()
        council = make.council(name="Boardshire County Council")
        provider = make.provider(name="Board Bench Care")
        contract = make.contract(funder=council, provider=provider)
        manager = make.user(Role.PROVIDER_MANAGER, provider, username="bench-board-manager")
        workers = [make.user(Role.CARE_WORKER, provider, display_name=f"Carer {i:03d}")
                   for i in range(BOARD_CARERS)]
        packages = [make.package(make.service_user(last_name=f"B{i:04d}"), contract=contract)
                    for i in range(BOARD_CARERS * 7)]  # a person per visit of the day
        today, now = clock.today(), clock.now()
        visits, assignments, events, alerts = [], [], [], []
        for w, worker in enumerate(workers):
            for hour in rng.sample(range(7, 21), 6 + w % 2):
                start = clock.local_to_utc(today, clock_time(hour, rng.choice([0, 15, 30])))
                visit_id, minutes = uuid.uuid4(), rng.choice([30, 45, 60])
                double = rng.random() < 0.06
                pair = [worker] + ([workers[(w + 1) % BOARD_CARERS]] if double else [])
                row = {"id": visit_id, "package_id": packages[len(visits)].id,
                       "contract_id": contract.id, "planned_start": start,
                       "planned_end": start + timedelta(minutes=minutes), "local_date": today,
                       "duration_min": minutes, "carers_required": len(pair), "flags": [],
                       "status": VisitStatus.SCHEDULED, "priority": "critical"
                       if rng.random() < 0.1 else "normal"}
                fate = rng.random()
                if start + timedelta(minutes=minutes) < now and fate > 0.05:  # done
                    late = rng.choice([0, 0, 0, 5, 25])
                    begin = start + timedelta(minutes=late)
                    row.update(status=VisitStatus.COMPLETED, actual_start=begin,
                               actual_end=begin + timedelta(minutes=minutes),
                               delivered_minutes=minutes * len(pair),
                               delivered_seconds=minutes * 60 * len(pair),
                               location_verified=rng.random() > 0.1)
                elif start < now and fate > 0.3:  # under way
                    row.update(status=VisitStatus.IN_PROGRESS, actual_start=start,
                               location_verified=True)
                for n, carer in enumerate(pair):
                    if rng.random() < 0.02 and n == 0:
                        continue  # nobody found yet
                    assignments.append({"id": uuid.uuid4(), "visit_id": visit_id,
                                        "worker_id": carer.id})
                    if double and row.get("actual_start") and n == 0:
                        for kind, at in ((EventKind.CHECK_IN, row["actual_start"]),
                                         (EventKind.CHECK_OUT, row.get("actual_end"))):
                            if at is not None:
                                events.append({"id": uuid.uuid4(), "visit_id": visit_id,
                                               "worker_id": carer.id,
                                               "recorded_by_id": carer.id, "kind": kind,
                                               "device_time": at, "server_time": at,
                                               "flags": [], "details": {}})
                if rng.random() < 0.03:
                    alerts.append({"id": uuid.uuid4(), "visit_id": visit_id,
                                   "kind": AlertKind.CONCERN, "raised_at": now,
                                   "detail": "Bench concern"})
                visits.append(row)
        db.session.execute(sa.insert(Visit), visits)
        db.session.execute(sa.insert(VisitAssignment), assignments)
        if events:
            db.session.execute(sa.insert(VisitEvent), events)
        if alerts:
            db.session.execute(sa.insert(Alert), alerts)
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
    """A client carrying the cookie of a real web session (held on the server)."""
    from backend.extensions import db
    from backend.models import User
    from backend.services.identity import web_sessions

    with app.app_context():
        session_id = str(web_sessions.start(db.session.get(User, user_id)).id)
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = session_id
    return client


def compare_read_audit(name: str, app, user_id, path: str, must_contain: str,
                       repeat: int) -> dict:
    """The same page with the read audit (its access-log row queued and written at commit)
    and without it (record_read made a no-op), in adjacent pairs whose order alternates;
    the figure is the median of the pairs' ratios, so the shared machine's drifting load
    falls on both halves of each pair alike. Wall time, and this process's CPU time
    (which the machine's other work disturbs less; on PostgreSQL it leaves out the
    server's own work and any wait for its disk, which the wall time includes)."""
    from backend.services.audit import access_log

    client = signed_in_client(app, user_id)
    real = access_log.record_read

    def without(*args, **kwargs):
        return None

    def timed(audited: bool) -> tuple[float, float]:
        access_log.record_read = real if audited else without
        try:
            cpu = time.process_time()
            wall = page_seconds(client, path, must_contain)[0]
            return wall, time.process_time() - cpu
        finally:
            access_log.record_read = real

    timed(True)
    timed(False)
    on, off = [], []
    for i in range(repeat):
        for audited in ((True, False) if i % 2 == 0 else (False, True)):
            (on if audited else off).append(timed(audited))
    figures = {}
    print(f"{name}, read audit on and off ({repeat} pairs)")
    for k, clock_name in enumerate(("wall", "cpu")):
        a = [run[k] for run in on]
        b = [run[k] for run in off]
        ratio = statistics.median(x / y for x, y in zip(a, b, strict=True) if y > 0)
        print(f"  {clock_name:4} audited median {statistics.median(a) * 1000:7.1f} ms, "
              f"unaudited {statistics.median(b) * 1000:7.1f} ms; "
              f"median of pair ratios {ratio:.3f} (target <= 1.10)")
        figures[clock_name] = ratio
    return figures


def a_visit_of_the_week(app):
    """A double-up visit of the rota world (the visit page with the most on it)."""
    import sqlalchemy as sa

    from backend.extensions import db
    from backend.models import Visit

    with app.app_context():
        return db.session.scalar(sa.select(Visit.id).where(Visit.carers_required == 2)
                                 .order_by(Visit.planned_start).limit(1))


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
    parser.add_argument("--only", choices=("rota", "overview", "read-audit", "board", "oneview"))
    parser.add_argument("--board-db", default="sqlite:////tmp/ecm_bench_browser_board.sqlite3")
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

    if args.only in (None, "read-audit"):
        app = _app(args.rota_db)
        if args.only == "read-audit":
            started = time.perf_counter()
            manager_id, visits = build_rota(app)
            print(f"rota world: {WORKERS} workers, {visits} visits in the week of {WEEK} "
                  f"({args.rota_db.split('://')[0]}, built in "
                  f"{time.perf_counter() - started:.0f} s)")
        else:
            with app.app_context():
                manager_id = _manager_id()
        compare_read_audit("rota week page", app, manager_id, f"/rota?week={WEEK}",
                           "Carer 79", args.repeat)
        # The visit page takes milliseconds: ten times the runs, for a steady median.
        compare_read_audit("visit page", app, manager_id,
                           f"/visits/{a_visit_of_the_week(app)}", "Planned", args.repeat * 10)

    if args.only in (None, "board"):
        from backend.services.monitoring.board_exceptions import day_board

        app = _app(args.board_db)
        started = time.perf_counter()
        manager_id, visits = build_board(app)
        print(f"board world: {BOARD_CARERS} carers, {visits} visits today "
              f"({args.board_db.split('://')[0]}, built in {time.perf_counter() - started:.0f} s)")
        compare("today board page", app, manager_id, lambda user: day_board(user),
                "/board", "Needs action", args.repeat)

    if args.only in (None, "oneview") and args.county_db:
        from backend.services.audit.one_view import one_view

        app = _app(args.county_db)
        user_id, first, last = ensure_commissioner(app)
        month = last.replace(day=1)
        print(f"county-year {first}..{last}: one view of {month:%B %Y} with its 12-week trend "
              f"({args.county_db.rsplit('/', 1)[-1]})")
        compare("commissioner one view page", app, user_id,
                lambda user: one_view(user, "month", month),
                f"/one-view?unit=month&date={month}", "All providers", args.repeat)

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
