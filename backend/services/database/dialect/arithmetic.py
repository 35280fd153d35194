"""DIALECT-SPECIFIC: arithmetic on instants, dates and numbers, as SQL constructs.

Each construct compiles to SQLite's or PostgreSQL's own SQL when the statement is
compiled, so a statement built once serves both. Instants are stored as UTC (naive
ISO text on SQLite, timestamptz on PostgreSQL).
"""
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class minutes_between(FunctionElement):
    """Minutes (fractional, may be negative) from instant `start` to instant `end`:
    minutes_between(start, end)."""

    type = sa.Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "postgresql")
def _minutes_between_pg(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
            f"{compiler.process(start, **kw)})) / 60.0)")


@compiles(minutes_between, "sqlite")
def _minutes_between_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"((julianday({compiler.process(end, **kw)}) - "
            f"julianday({compiler.process(start, **kw)})) * 1440.0)")


class days_between(FunctionElement):
    """Whole days from date `first` to date `last`: days_between(first, last)."""

    type = sa.Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    first, last = list(element.clauses)
    return (f"(CAST({compiler.process(last, **kw)} AS DATE) - "
            f"CAST({compiler.process(first, **kw)} AS DATE))")


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    first, last = list(element.clauses)
    return (f"CAST(julianday({compiler.process(last, **kw)}) - "
            f"julianday({compiler.process(first, **kw)}) AS INTEGER)")


class day_before(FunctionElement):
    """The day before a date (a date on PostgreSQL, ISO text on SQLite, as dates are)."""

    type = sa.Date()
    inherit_cache = True
    name = "day_before"


@compiles(day_before, "postgresql")
def _day_before_pg(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - 1)"


@compiles(day_before, "sqlite")
def _day_before_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '-1 day')"


class month_start(FunctionElement):
    """The first day of the month of a date column (a date on PostgreSQL, ISO text on SQLite).

    PostgreSQL: date minus integer days, much cheaper than to_char or date_trunc,
    which both go through timestamptz.
    """

    type = sa.String()
    inherit_cache = True
    name = "month_start"


@compiles(month_start, "postgresql")
def _month_start_pg(element, compiler, **kw):
    (day,) = list(element.clauses)
    d = compiler.process(day, **kw)
    return f"({d} - (CAST(EXTRACT(DAY FROM {d}) AS INTEGER) - 1))"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    (day,) = list(element.clauses)
    return f"strftime('%Y-%m-01', {compiler.process(day, **kw)})"


class week_start(FunctionElement):
    """The Monday of the week of a date column (a date on PostgreSQL, ISO text on SQLite)."""

    type = sa.String()
    inherit_cache = True
    name = "week_start"


@compiles(week_start, "postgresql")
def _week_start_pg(element, compiler, **kw):
    (day,) = list(element.clauses)
    d = compiler.process(day, **kw)
    return f"({d} - (CAST(EXTRACT(ISODOW FROM {d}) AS INTEGER) - 1))"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element, compiler, **kw):
    (day,) = list(element.clauses)
    d = compiler.process(day, **kw)
    # strftime('%w'): 0 = Sunday; step back to Monday.
    return f"date({d}, '-' || ((CAST(strftime('%w', {d}) AS INTEGER) + 6) % 7) || ' days')"


class greatest(FunctionElement):
    """The larger of two values (SQLite spells it max(a, b))."""

    inherit_cache = True
    name = "greatest"


@compiles(greatest, "postgresql")
def _greatest_pg(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


class least(FunctionElement):
    """The smaller of two values (SQLite spells it min(a, b))."""

    inherit_cache = True
    name = "least"


@compiles(least, "postgresql")
def _least_pg(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


# --- Call monitoring's rulebook (backend/services/monitoring/rules.py) -------------------

class later_by_more_than(FunctionElement):
    """SQL: instant `later` is more than `minutes` minutes after instant `earlier`:
    later_by_more_than(earlier, later, minutes). NULL when an operand is NULL.

    Exact on PostgreSQL (interval arithmetic); to the millisecond on SQLite, whose date
    functions keep instants in whole milliseconds.
    """

    type = sa.Boolean()
    inherit_cache = True
    name = "later_by_more_than"


@compiles(later_by_more_than, "postgresql")
def _later_by_more_than_pg(element, compiler, **kw):
    earlier, later, minutes = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({later}) - ({earlier}) > ({minutes}) * INTERVAL '1 minute')"


@compiles(later_by_more_than, "sqlite")
def _later_by_more_than_sqlite(element, compiler, **kw):
    earlier, later, minutes = (compiler.process(c, **kw) for c in element.clauses)
    return (f"(CAST(round((julianday({later}) - julianday({earlier})) * 86400000.0) "
            f"AS INTEGER) > ({minutes}) * 60000)")
