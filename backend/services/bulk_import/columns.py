"""A template's columns, and reading a file's rows against them."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.errors import Invalid
from backend.services.bulk_import import cells
from backend.services.bulk_import.files import Table
from backend.services.bulk_import.report import ImportReport, Problem


@dataclass(frozen=True)
class Column:
    """One column of a template: its key, what it means, whether a value is required."""

    key: str
    meaning: str
    required: bool = False
    parse: Callable[[str], Any] = cells.text

    @property
    def header(self) -> str:
        """The header cell: the key, then its meaning in brackets."""
        return f"{self.key} ({'required: ' if self.required else ''}{self.meaning})"


@dataclass
class Row:
    """One data row: its spreadsheet row number and its parsed values by column key."""

    number: int
    values: dict


def parse_rows(columns: list[Column], table: Table, report: ImportReport,
               progress: Callable[[int], None] | None = None) -> list[Row]:
    """Every row's values parsed; a cell that cannot be read, or a required one left
    empty, is a problem of that row and column. A missing or unknown column is a problem
    of the whole file (Invalid)."""
    known = {c.key for c in columns}
    unknown = [key for key in table.keys if key and key not in known]
    if unknown:
        raise Invalid(f"Unknown column(s): {', '.join(unknown)}. The template's columns are: "
                      f"{', '.join(c.key for c in columns)}.", field="file")
    missing = [c.key for c in columns if c.required and c.key not in table.keys]
    if missing:
        raise Invalid(f"The file has no column {', '.join(missing)} (a required column). "
                      "Start from the template.", field="file")
    repeated = {key for key in table.keys if key and table.keys.count(key) > 1}
    if repeated:
        raise Invalid(f"The column {', '.join(sorted(repeated))} appears twice.", field="file")
    where = [(c, table.keys.index(c.key), {}) for c in columns if c.key in table.keys]
    absent = {c.key: c.parse("") for c in columns if c.key not in table.keys}
    rows = []
    for number, cells_ in table.rows:
        values = dict(absent)
        width = len(cells_)
        for column, index, seen in where:
            raw = cells_[index] if index < width else ""
            # A column's values repeat (dates, days, times, the contract): each distinct
            # text is read once.
            parsed = seen.get(raw, _UNSEEN)
            if parsed is _UNSEEN:
                parsed = seen[raw] = _parse(column, raw)
            if isinstance(parsed, _Refusal):
                report.problems.append(Problem(number, column.key, parsed.message))
                parsed = None
            values[column.key] = parsed
        rows.append(Row(number, values))
        if progress and len(rows) % 1000 == 0:
            progress(1000)
    if progress:
        progress(len(rows) % 1000)
    report.rows = len(rows)
    return rows


_UNSEEN = object()


@dataclass(frozen=True)
class _Refusal:
    message: str


def _parse(column: Column, raw: str):
    """A cell's value, or why it cannot be read."""
    if column.required and not raw:
        return _Refusal("This is required.")
    try:
        return column.parse(raw)
    except ValueError as exc:
        return _Refusal(str(exc))


def problems_of(error: Invalid, number: int, columns_by_field: dict) -> list[Problem]:
    """A service's refusal as problems of one row, each at the column its field came from."""
    if not error.fields:
        return [Problem(number, "", error.message)]
    return [Problem(number, _column(name, columns_by_field), message)
            for name, messages in error.fields.items() for message in messages]


def _column(field: str, columns_by_field: dict) -> str:
    """The column a service's field name came from ("availability[0].end_time" is the
    availability column)."""
    base = field.split("[", 1)[0].split(".", 1)[0]
    return columns_by_field.get(field) or columns_by_field.get(base) or base
