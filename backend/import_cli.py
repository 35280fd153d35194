"""`flask import KIND FILE [--dry-run]` and `flask export KIND FILE`: the bulk import and
export of care workers, service users and packages (CSV or XLSX)."""
from pathlib import Path

import click
import sqlalchemy as sa

from backend.errors import DomainError
from backend.extensions import db
from backend.unit_of_work import unit_of_work

KINDS = ("organisations", "contracts", "care_workers", "service_users", "packages")


def _user(username: str):
    from backend.models import User

    user = db.session.scalar(sa.select(User).where(User.username == username.lower(),
                                                   User.active.is_(True)))
    if user is None:
        raise click.ClickException(f"No active user named {username!r} (--as): the import "
                                   "is done as that user, with their access.")
    return user


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and store nothing.")
@click.option("--as", "username", default="admin", show_default=True,
              help="The user the import is done as (their organisation and access).")
def import_command(kind, file, dry_run, username):
    """Import care workers, service users or packages from a CSV or XLSX template."""
    from backend.services.bulk_import.run import run_import

    data = file.read_bytes()
    try:
        with unit_of_work() as work, click.progressbar(length=max(1, data.count(b"\n")),
                                                       label="Reading rows") as bar:
            report = run_import(_user(username), kind, data, file.name, dry_run, bar.update)
            if not report.stored:
                work.discard()
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    for problem in report.problems:
        click.echo(f"row {problem.row}, {problem.column or 'row'}: {problem.message}")
    verb = "would be" if not report.stored else "were"
    click.echo(f"{report.rows} rows: {report.created} {verb} created, {report.updated} "
               f"{verb} updated, {report.unchanged} unchanged; {len(report.problems)} "
               "problem(s).")
    if report.problems:
        raise click.ClickException("Nothing was stored: correct the rows above and import "
                                   "the file again.")
    click.echo("Dry run: nothing was stored." if dry_run else "Stored.")


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "username", default="admin", show_default=True)
def export_command(kind, file, username):
    """Export everything of a kind the user may see, in the import template (.csv/.xlsx)."""
    from backend.services.bulk_import.run import export

    fmt = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"
    with unit_of_work() as work:
        data = export(_user(username), kind, fmt)
        work.discard()
    file.write_bytes(data)
    click.echo(f"Wrote {file}.")
