"""`flask demo build` and `flask demo logins`."""
import sys
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from backend.errors import DomainError
from backend.extensions import db
from backend.unit_of_work import unit_of_work

demo_cli = AppGroup("demo", help="Build the demo county and show its sign-ins.")


@demo_cli.command("build")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same county.")
@click.option("--scale", default=1.0, show_default=True,
              help="1: ~500 people, ~200 care workers, 6 providers; 6: ~3,000 people.")
@click.option("--past-days", default=14, show_default=True, help="Days of visits before today.")
@click.option("--future-days", type=int, default=None,
              help="Days of visits after today [default: the scheduler's horizon, 13].")
@click.option("--reset", is_flag=True, help="Empty the database and build afresh.")
def build_command(seed, scale, past_days, future_days, reset):
    """Build the demo county, or reuse the one already in the database."""
    from backend.demo import build_demo, demo_exists, empty_database

    if scale <= 0 or past_days < 0 or (future_days is not None and future_days < 0):
        raise click.BadParameter("scale must be positive and days not negative.")
    if reset and current_app.config.get("ECM_ENV") == "production":
        raise click.ClickException("--reset empties the database; refused in production.")
    if not reset:
        try:
            exists = demo_exists()
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        if exists:
            click.echo("Reusing the existing demo county in this database "
                       "(flask demo build --reset builds it afresh).")
            return
    started = time.monotonic()
    # One unit of work for the whole county, emptying included: a failed build leaves
    # the database as it was.
    with unit_of_work():
        if reset:
            empty_database()
        county = build_demo(seed=seed, scale=scale, past_days=past_days,
                            future_days=future_days, progress=sys.stderr.isatty() or scale > 1)
    counts = county.counts
    click.echo(f"Built the demo county (seed {seed}, scale {scale:g}) in "
               f"{time.monotonic() - started:.1f} s: {counts.get('organisations', 0)} "
               f"organisations, {counts.get('users', 0)} users, "
               f"{counts.get('service_users', 0)} people, {counts.get('care_packages', 0)} "
               f"packages, {counts.get('visits', 0):,} visits, "
               f"{counts.get('visit_events', 0):,} events.")
    if county.planted:
        click.echo("Left on tomorrow's rota for the manager to find: "
                   + ", ".join(county.planted) + ".")


@demo_cli.command("logins")
def logins_command():
    """Print the demo sign-ins, one per role, and the shared password."""
    from backend.demo import DEMO_PASSWORD, LOGINS
    from backend.models import User

    users = {u.username: u for u in db.session.scalars(
        sa.select(User).where(User.username.in_(list(LOGINS))))}
    if len(users) < len(LOGINS):
        raise click.ClickException("No demo county here yet; run `flask demo build` first.")
    click.echo(f"  Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for username in LOGINS:
        user = users[username]
        click.echo(f"    {username:<13} {user.role.value.replace('_', ' '):<17} "
                   f"{user.organisation.name}")
