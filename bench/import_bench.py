"""Benchmark: the bulk import of a council's people, packages and a provider's care workers.

    python bench/import_bench.py [--db sqlite|postgresql|both] [--people 3000] [--carers 400]

Issue 17's targets: 3,000 service users, 3,000 packages (about 20,000 pattern lines) and
400 care workers imported in under 60 s on each database, at least 0.3x a bare
executemany of the same rows in the same run; a dry run of the same files under 30 s;
re-importing the unchanged files under 30 s, changing nothing.

Builds a throwaway database (a temporary SQLite file, or a new PostgreSQL database on
127.0.0.1:5432 dropped afterwards), one council, one provider, a contract and the
provider's manager; writes the three CSV files from the templates; then times, through
the real service (`run_import`, one unit of work each, committed as `flask import` does):
the dry runs, the real imports, and the re-imports. The baseline, in the same run: a bare
executemany of the rows the import stored (read back from its tables) into empty scratch
copies of those tables.
"""
import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import (  # noqa: E402
    AuditEntry, CarePackage, CarerAvailability, CarerSkill, Organisation, OrganisationKind,
    Role, ScheduleLine, ServiceUser, User,
)
from backend.services.bulk_import.run import run_import  # noqa: E402
from backend.services.identity.accounts import create_user  # noqa: E402
from backend.services.reference.packages import create_contract  # noqa: E402
from backend.unit_of_work import unit_of_work  # noqa: E402
from tests.import_helpers import carer_row, csv_file, package_rows, person_row  # noqa: E402

KINDS = ("service_users", "packages", "care_workers")
STORED = (ServiceUser, CarePackage, ScheduleLine, User, CarerSkill, CarerAvailability)


def files(people: int, carers: int) -> dict:
    """The three import files; a package has 6 or 7 calls a week (about 20,000 for 3,000)."""
    packages = [row for n in range(1, people + 1)
                for row in package_rows(n, "Bench contract", calls=7 if n % 3 else 6)]
    return {"service_users": csv_file("service_users", [person_row(n)
                                                        for n in range(1, people + 1)]),
            "packages": csv_file("packages", packages),
            "care_workers": csv_file("care_workers", [carer_row(n) for n in range(carers)])}


def seed() -> uuid.UUID:
    """The council, the provider, their contract and the manager who imports (not timed)."""
    with unit_of_work():
        council = Organisation(name="Bench Council", kind=OrganisationKind.COUNCIL)
        provider = Organisation(name="Bench Care", kind=OrganisationKind.PROVIDER)
        db.session.add_all([council, provider])
        db.session.flush()
        create_contract(council, provider, "Bench contract", date(2026, 1, 1))
        manager = create_user("bench.manager", "bench-password", Role.PROVIDER_MANAGER, provider)
        manager_id = manager.id
    db.session.remove()
    return manager_id


def timed_import(manager_id, kind: str, data: bytes, dry_run: bool):
    """Seconds for one import as one unit of work; and its report."""
    started = time.perf_counter()
    with unit_of_work() as work:
        report = run_import(db.session.get(User, manager_id), kind, data, f"{kind}.csv",
                            dry_run)
        if not report.stored:
            work.discard()
    db.session.remove()
    if report.problems:
        raise SystemExit(f"{kind}: {report.problems[:5]}")
    return time.perf_counter() - started, report


def baseline() -> tuple[float, int]:
    """Seconds for a bare executemany of the stored rows into empty scratch tables."""
    metadata, tables = sa.MetaData(), []
    for model in STORED:
        source = model.__table__
        rows = [dict(row._mapping) for row in db.session.execute(sa.select(source))]
        scratch = sa.Table(f"bench_scratch_{source.name}", metadata,
                           *(sa.Column(c.name, c.type, primary_key=c.primary_key)
                             for c in source.columns))
        tables.append((scratch, rows))
    db.session.remove()
    metadata.create_all(db.engine)
    try:
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for scratch, rows in tables:
                if rows:
                    conn.execute(scratch.insert(), rows)
        return time.perf_counter() - started, sum(len(rows) for _, rows in tables)
    finally:
        metadata.drop_all(db.engine)


def run(url: str, people: int, carers: int) -> dict:
    """Every figure for one database."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench" * 8, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        manager_id = seed()
        data = files(people, carers)
        dry = real = 0.0
        reports = []
        for kind in KINDS:  # a package's person must be stored before its dry run
            seconds, _ = timed_import(manager_id, kind, data[kind], dry_run=True)
            dry += seconds
            seconds, report = timed_import(manager_id, kind, data[kind], dry_run=False)
            real += seconds
            reports.append(report)
        audit_after_import = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        again, repeat = 0.0, []
        for kind in KINDS:
            seconds, report = timed_import(manager_id, kind, data[kind], dry_run=False)
            again += seconds
            repeat.append(report)
        audit_after_repeat = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        bare, rows = baseline()
        db.session.remove()
        db.engine.dispose()
    return {"dry": dry, "real": real, "again": again, "bare": bare, "rows": rows,
            "created": {r.kind: r.created for r in reports},
            "repeat_changed": sum(r.created + r.updated for r in repeat),
            "audit_added_by_repeat": audit_after_repeat - audit_after_import}


def databases(choice: str):
    """(name, url, cleanup) for each database asked for."""
    if choice in ("sqlite", "both"):
        folder = tempfile.mkdtemp(prefix="ecm-bench-import-")
        yield "SQLite", f"sqlite:///{folder}/bench.sqlite3", lambda: None
    if choice in ("postgresql", "both"):
        name = f"ecm_bench_import_{uuid.uuid4().hex[:8]}"
        server = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
        admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

        def drop():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()

        yield "PostgreSQL", f"{server}/{name}", drop


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--carers", type=int, default=400)
    args = parser.parse_args()
    for name, url, cleanup in databases(args.db):
        try:
            f = run(url, args.people, args.carers)
        finally:
            cleanup()
        print(f"{name}: created {f['created']}; {f['rows']} rows stored")
        print(f"  import {f['real']:.1f} s (target < 60), dry run {f['dry']:.1f} s (< 30), "
              f"re-import {f['again']:.1f} s (< 30), changed {f['repeat_changed']}, "
              f"audit entries added {f['audit_added_by_repeat']}")
        print(f"  bare executemany of the same rows {f['bare']:.2f} s: import at "
              f"{f['bare'] / f['real']:.2f}x (target >= 0.3x)")


if __name__ == "__main__":
    main()
