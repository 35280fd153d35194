"""Benchmark: the payment stream with the demo's held contracts, against the same stream
with every contract paying its unverified visits, in the same run.

Usage (a demo county built with `flask demo build`, SQLite or PostgreSQL):
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python bench/held_visits.py [--repeat 9]

The council commissioner's payment totals for the demo's last 14 days are taken both
ways, interleaved, each the median CPU time of --repeat runs; the contracts' term is
switched inside a transaction that is rolled back, so the database is left as it was.
It prints the held and paid figures a commissioner sees (visits judged not verified in
the home, what they bill) and the ratio held / paid.
"""
import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import (  # noqa: E402
    Contract, Organisation, OrganisationKind, Role, UnverifiedVisits, User,
)
from backend.services.audit.billing import pounds  # noqa: E402
from backend.services.audit.payment import payment_totals  # noqa: E402
from backend.services.audit.report_scope import parse_grouping  # noqa: E402
from backend.services.dates import clock, periods  # noqa: E402


def _cpu(run, repeat: int) -> tuple[float, dict]:
    times, result = [], None
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        times.append(time.process_time() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        council = db.session.scalar(sa.select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL))
        commissioner = db.session.scalar(sa.select(User).where(
            User.role == Role.COMMISSIONER, User.organisation_id == council.id))
        today = clock.today()
        period = periods.resolve("custom", first=today - timedelta(days=14),
                                 last=today - timedelta(days=1))
        held_ids = list(db.session.scalars(sa.select(Contract.id).where(
            Contract.unverified_visits == UnverifiedVisits.HELD)))

        def totals():
            return payment_totals(commissioner, period, parse_grouping("provider"))["total"]

        def paying():
            db.session.execute(sa.update(Contract).where(Contract.id.in_(held_ids))
                               .values(unverified_visits=UnverifiedVisits.PAID))
            try:
                return _cpu(totals, 1)
            finally:
                db.session.rollback()

        totals()  # statements compiled, caches warm
        held_cpu, paid_cpu = [], []
        for _ in range(args.repeat):
            seconds, held = _cpu(totals, 1)
            held_cpu.append(seconds)
            seconds, paid = paying()
            paid_cpu.append(seconds)
        held_s, paid_s = statistics.median(held_cpu), statistics.median(paid_cpu)
        print(f"period {period.first} to {period.last}; {held.get('visits')} council visits; "
              f"{len(held_ids)} contracts hold unverified visits")
        print(f"held terms: billed {pounds(held['amount_pence'])}, held "
              f"{held['held_visits']} visits {pounds(held['held_pence'])} "
              f"({held['held_minutes']} min), paid without proof of being in the home "
              f"{pounds(held['unverified_amount_pence'])}")
        print(f"every contract paying: billed {pounds(paid['amount_pence'])}, paid without "
              f"proof of being in the home {pounds(paid['unverified_amount_pence'])}")
        print(f"CPU median of {args.repeat}: held {held_s:.3f} s, paying {paid_s:.3f} s, "
              f"ratio {held_s / paid_s:.2f}x")


if __name__ == "__main__":
    main()
