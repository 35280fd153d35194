#!/usr/bin/env python3
"""Benchmark (issue 18): "Plan the day" on the demo's first provider for one day.

    .venv/bin/python bench/optimiser.py [--database PATH] [--seconds 40] [--unassign 0.2]

Builds the demo county at scale 1 into a SQLite file (kept and reused: --database,
default bench/.optimiser.sqlite), reads the first provider's day after tomorrow (about
150 carers and 500 visits; tomorrow holds the planted problems) exactly as the
scheduler's job does (plans.read_day), measures the demo's hand-made rota, takes 20%
of its seats away at random (seeded), and solves with the real optimiser. Reports the
wall time of read + model + solve, travel against the hand-made rota, continuity
(mean distinct carers per person this week), seats left unstaffed and rule violations
(the rota's own problem rules on every carer's proposed day).

Targets: under 60 s on this 2-core machine, 0 hard violations, travel at most 0.8x the
hand-made rota, continuity no worse.
"""
import argparse
import os
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.app import create_app  # noqa: E402
from backend.demo import build_demo  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import Organisation, User  # noqa: E402
from backend.services.rota import optimiser, plans  # noqa: E402
from backend.services.dates import clock  # noqa: E402
from backend.unit_of_work import unit_of_work  # noqa: E402

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # a Monday morning: the day planned is Wednesday


def main() -> int:
    """Build (or reuse) the demo, plan the day, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=str(ROOT / "bench" / ".optimiser.sqlite"))
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--unassign", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=18)
    options = parser.parse_args()
    os.environ.setdefault("ECM_ENV", "testing")
    fresh = not Path(options.database).exists()
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{options.database}", "RATELIMIT_ENABLED": False})
    with app.app_context():
        if fresh:
            started = time.monotonic()
            db.create_all()
            with unit_of_work():
                build_demo(seed=2026, scale=1.0, past_days=14, future_days=6, now=NOW)
            print(f"demo built in {time.monotonic() - started:.0f} s")
        manager = db.session.scalar(db.select(User).where(User.username == "manager"))
        provider = db.session.get(Organisation, manager.organisation_id)
        day = NOW.astimezone(clock.zone()).date() + timedelta(days=2)
        started = time.monotonic()
        plan_day = plans.read_day(manager, day)
        read_s = time.monotonic() - started
        instance = plan_day.instance
        hand = {s.key: s.current_worker for s in instance.seats}
        rng = random.Random(options.seed)
        staffed = [s for s in instance.seats if s.current_worker and not s.locked_worker]
        taken = {s.key for s in rng.sample(staffed, round(options.unassign * len(staffed)))}
        instance.seats = [replace(s, current_worker=None) if s.key in taken else s
                          for s in instance.seats]
        start = {s.key: s.current_worker for s in instance.seats}
        before, at_start = plans.figures(plan_day, hand), plans.figures(plan_day, start)
        solution = optimiser.solve(instance, options.seconds)
        total_s = read_s + solution.seconds
        after = plans.figures(plan_day, solution.assignment)
        print(f"{provider.name}, {day}: {len(plan_day.workers)} carers, "
              f"{len(plan_day.visits)} visits, {len(instance.seats)} seats; "
              f"{len(taken)} seats taken away ({options.unassign:.0%})")
        for label, figures in (("hand-made rota", before), ("at the start", at_start),
                               ("planned", after)):
            print(f"  {label:15} travel {figures['travel_min']:5} min between visits, "
                  f"{figures['home_min']:5} min from and to home · unstaffed "
                  f"{figures['unassigned']:3} · strangers {figures['strangers']:3} · "
                  f"violations {figures['violations']:2} · continuity "
                  f"{figures['continuity']:.3f}")
        # Total travel: between visits and from and to home (a plan scattering the visits
        # over every carer would cut the first and pay for it in the second).
        ratio = (after["travel_min"] + after["home_min"]) / max(
            1, before["travel_min"] + before["home_min"])
        print(f"  time {total_s:.1f} s (read {read_s:.1f} s, model and solve "
              f"{solution.seconds:.1f} s); total travel {ratio:.2f}x the hand-made rota "
              f"(between visits {after['travel_min'] / max(1, before['travel_min']):.2f}x); "
              f"continuity {after['continuity']:.3f} vs {before['continuity']:.3f}")
        met = (total_s < 60 and after["violations"] == 0 and ratio <= 0.8
               and after["continuity"] <= before["continuity"])
        print("targets met" if met else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
