"""Feeding the bulk import the demo's records, as a council or provider importing a file
would: one row of cell text per record under the template's columns."""
from backend.errors import Invalid
from backend.models import User
from backend.services.bulk_import.files import Table
from backend.services.bulk_import.report import ImportReport
from backend.services.bulk_import.run import import_table, kind_module


def import_rows(user: User, kind: str, rows: list[dict]) -> ImportReport:
    """Import rows ({column key: cell text}) of a kind as `user`; every row must be stored.

    The demo's records are meant to be valid: a refusal is a bug in the demo, named with
    its first problems.
    """
    keys = [column.key for column in kind_module(kind).COLUMNS]
    table = Table(keys, [(number, [row.get(key, "") for key in keys])
                         for number, row in enumerate(rows, start=2)])
    report = import_table(user, kind, table)
    if report.problems:
        raise Invalid(f"The demo's {kind} import was refused: " + "; ".join(
            f"row {p.row} {p.column}: {p.message}" for p in report.problems[:5]), field=kind)
    return report
