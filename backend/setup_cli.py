"""`flask setup` (a fresh install's first organisation and admin) and `flask users invite /
reset`: accounts get a one-time link to set their own password."""
import click
import sqlalchemy as sa

from backend.errors import DomainError
from backend.extensions import db
from backend.unit_of_work import unit_of_work


@click.command("setup")
@click.option("--organisation", "organisation_name", required=True,
              help="The first organisation, e.g. 'Northshire County Council'.")
@click.option("--kind", type=click.Choice(["council", "nhs", "provider"]), default="council",
              show_default=True)
@click.option("--ods-code", default=None, help="Its NHS ODS code, if it has one.")
@click.option("--username", default="admin", show_default=True)
@click.option("--name", "display_name", default=None, help="The administrator's name.")
@click.option("--email", default=None)
def setup_command(organisation_name, kind, ods_code, username, display_name, email):
    """Give a fresh install its first organisation and administrator (prints a one-time link)."""
    from backend.services.administration.install import first_install

    try:
        with unit_of_work():
            organisation, user, issued = first_install(organisation_name, kind, username,
                                                       display_name, email, ods_code)
            url = issued.url
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {organisation.name} ({organisation.kind.value}) and administrator "
               f"{user.username}.")
    click.echo(f"Open this link within {_hours()} hours to choose a password (it works once):")
    click.echo(url)


def _hours() -> int:
    from flask import current_app

    return current_app.config["INVITATION_LINK_HOURS"]


def _organisation(name: str):
    from backend.models import Organisation

    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if organisation is None:
        raise click.ClickException(f"No organisation named {name!r}; `flask setup` creates "
                                   "the first one, the administration pages the rest.")
    return organisation


@click.command("invite")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--organisation", "organisation_name", required=True)
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None)
def invite_command(username, role, organisation_name, display_name, email):
    """Invite a user by a one-time link (printed)."""
    from backend.services.administration.users import invite_user

    try:
        with unit_of_work():
            organisation = _organisation(organisation_name)
            _, issued = invite_user(None, organisation.id, username, role, display_name, email)
            url = issued.url
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Invited {username}; their one-time link:")
    click.echo(url)


@click.command("reset")
@click.argument("username")
def reset_command(username):
    """Print a one-time link for a user to choose a new password."""
    from backend.models import LinkPurpose, User
    from backend.services.identity.links import issue_link

    with unit_of_work():
        user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
        if user is None:
            raise click.ClickException(f"No user named {username!r}.")
        url = issue_link(user, LinkPurpose.RESET, None).url
    click.echo(f"One-time password link for {username}:")
    click.echo(url)


def register(app, users_cli) -> None:
    """Attach `flask setup` and `flask users invite/reset`."""
    app.cli.add_command(setup_command)
    users_cli.add_command(invite_command)
    users_cli.add_command(reset_command)
