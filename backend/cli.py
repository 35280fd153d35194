"""Flask commands: demo, users, scheduler."""
import click
from flask import Flask
from flask.cli import AppGroup

from backend.extensions import db
from backend.unit_of_work import unit_of_work

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--organisation", "organisation_name", required=True)
@click.password_option()
def create_user_command(username, role, organisation_name, password):
    """Create a user in an existing organisation."""
    import sqlalchemy as sa

    from backend.errors import DomainError
    from backend.models import Organisation
    from backend.services.identity.accounts import create_user

    try:
        with unit_of_work():
            org = db.session.scalar(
                sa.select(Organisation).where(Organisation.name == organisation_name))
            if org is None:
                raise click.ClickException(
                    f"No organisation named {organisation_name!r}; on a fresh install "
                    "`flask setup --organisation NAME` creates the first one.")
            create_user(username, password, role, org)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {username}.")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password_command(username, password):
    """Set a user's password (a reset by an administrator); signs them out everywhere."""
    import sqlalchemy as sa

    from backend.errors import DomainError
    from backend.models import User
    from backend.services.identity.password_change import set_password

    try:
        with unit_of_work():
            user = db.session.scalar(
                sa.select(User).where(User.username == username.strip().lower()))
            if user is None:
                raise click.ClickException(f"No user named {username!r}.")
            ended = set_password(user, password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Password set for {username}; ended {ended['web_sessions']} web sessions "
               f"and {ended['phone_tokens']} phone sign-in tokens.")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    from backend.demo.cli import demo_cli
    from backend.import_cli import export_command, import_command
    from backend.scheduler.process import scheduler_cli
    from backend.setup_cli import register as register_setup

    register_setup(app, users_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
    for group in (users_cli, demo_cli, scheduler_cli):
        app.cli.add_command(group)
