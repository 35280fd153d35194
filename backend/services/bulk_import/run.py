"""An import from start to end: read the file, check every row, and store everything or
nothing. A dry run, and a real run that found any problem, store nothing."""
from collections.abc import Callable

from backend.errors import Invalid
from backend.models import User
from backend.services.bulk_import import (
    carers, contracts, files, organisations, packages, people,
)
from backend.services.bulk_import.columns import parse_rows
from backend.services.bulk_import.report import ImportReport

# What can be imported, in the order a new organisation brings it in.
KINDS = {"organisations": organisations, "contracts": contracts, "care_workers": carers,
         "service_users": people, "packages": packages}


def kind_module(kind: str):
    """The module of an import kind; Invalid naming the kinds there are."""
    module = KINDS.get((kind or "").replace("-", "_"))
    if module is None:
        raise Invalid(f"Unknown kind {kind!r}; imports are {', '.join(KINDS)}.", field="kind")
    return module


def template_header(kind: str) -> list[str]:
    """The template's header row: each column's key and what it means."""
    return [column.header for column in kind_module(kind).COLUMNS]


def run_import(user: User, kind: str, data: bytes, filename: str, dry_run: bool,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check the file's every row; unless a dry run or a problem was found, store it all.

    Returns the report (counts and every problem as row, column, message). Flushes, never
    commits: the command or request that called it ends the unit of work.
    """
    return import_table(user, kind, files.read_table(data, filename), dry_run, progress)


def import_table(user: User, kind: str, table: files.Table, dry_run: bool = False,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """run_import() for a table already read (header keys and rows of cell text): the same
    checks and the same writes, for a caller that holds the rows rather than a file (the
    demo county sets itself up this way, as a council importing its records would)."""
    module = kind_module(kind)
    report = ImportReport(kind=kind.replace("-", "_"), dry_run=dry_run)
    rows = parse_rows(module.COLUMNS, table, report, progress)
    apply = module.plan(user, rows, report)
    # One problem per cell: a required cell left empty is not reported again by the checks.
    first = {}
    for problem in report.problems:
        first.setdefault((problem.row, problem.column), problem)
    report.problems = sorted(first.values(), key=lambda p: (p.row, p.column))
    if not dry_run and not report.problems:
        apply()
    return report


def export(user: User, kind: str, fmt: str) -> bytes:
    """Everything of a kind the user may see, in the import template (csv or xlsx)."""
    module = kind_module(kind)
    header = template_header(kind)
    rows = module.export_rows(user)
    if fmt == "xlsx":
        return files.write_xlsx(header, rows)
    if fmt == "csv":
        return files.write_csv(header, rows)
    raise Invalid("Files are csv or xlsx.", field="format")


def template(kind: str, fmt: str) -> bytes:
    """An empty template: the header row alone."""
    header = template_header(kind)
    return files.write_xlsx(header, []) if fmt == "xlsx" else files.write_csv(header, [])
