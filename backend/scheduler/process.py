"""`flask scheduler run` (the long-lived process) and `flask scheduler tick` (every job once)."""
import logging
import signal
from datetime import UTC, datetime, timedelta

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from flask.cli import AppGroup

from backend.extensions import db
from backend.scheduler.delivery import DELIVERY_LEASE
from backend.scheduler.jobs import JOB_NAMES, run_job
from backend.scheduler.lease import new_holder_id, release_lease
from backend.services.dates import clock
from backend.unit_of_work import unit_of_work

scheduler_cli = AppGroup("scheduler", help="Run the monitoring scheduler (one process only).")


def _release(app, holder: str) -> None:
    with app.app_context():
        with unit_of_work():
            release_lease(holder, clock.now())
            release_lease(holder, clock.now(), DELIVERY_LEASE)
        db.session.remove()


def _safe_job(app, name: str, holder: str) -> None:
    try:
        run_job(app, name, holder)
    except Exception:  # logged in run_job; the next tick tries again
        pass


@scheduler_cli.command("run")
@click.option("--detect-every", default=60, show_default=True, help="Seconds between detections.")
@click.option("--deliver-every", default=20, show_default=True, help="Seconds between deliveries.")
@click.option("--generate-every", default=3600, show_default=True,
              help="Seconds between visit generations.")
@click.option("--housekeep-every", default=3600, show_default=True,
              help="Seconds between follow-up reminders and token clean-up.")
@click.option("--plan-every", default=5, show_default=True,
              help="Seconds between looks for day plans managers asked for.")
@click.option("--lifetime", default=0, help="Stop after this many seconds (0: run until stopped).")
def run_command(detect_every, deliver_every, generate_every, housekeep_every, plan_every,
                lifetime):
    """Run the jobs until stopped; a second process waits on the lease and does nothing."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    holder = new_holder_id()
    scheduler = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True,
                                                              "max_instances": 1})
    start = datetime.now(UTC)
    for name, seconds in (("generation", generate_every), ("detection", detect_every),
                          ("delivery", deliver_every), ("housekeeping", housekeep_every),
                          ("rota_plans", plan_every)):
        scheduler.add_job(_safe_job, "interval", seconds=seconds, args=[app, name, holder],
                          id=name, next_run_time=start, misfire_grace_time=seconds)
    if lifetime:
        scheduler.add_job(lambda: scheduler.shutdown(wait=False), "date",
                          run_date=start + timedelta(seconds=lifetime), id="stop")
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    click.echo(f"Scheduler {holder} starting.")
    try:
        scheduler.start()
    finally:
        _release(app, holder)
        click.echo(f"Scheduler {holder} stopped.")


@scheduler_cli.command("tick")
@click.option("--job", "only", multiple=True, type=click.Choice(JOB_NAMES),
              help="Run only this job (repeatable); every job by default.")
def tick_command(only):
    """Run every job once now, under the lease, then exit (tests and cron)."""
    app = current_app._get_current_object()
    holder = new_holder_id()
    try:
        for name in only or JOB_NAMES:
            summary = run_job(app, name, holder)
            shown = "skipped (lease held elsewhere)" if summary is None else summary
            click.echo(f"{name}: {shown}")
    finally:
        _release(app, holder)
