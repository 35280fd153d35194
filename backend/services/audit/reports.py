"""Report use cases behind the API: resolve the query, run the report, or its CSV."""
from collections.abc import Iterator

from backend.models import User
from backend.services.audit import (
    corrections_report, exports, held_visits as held, hours, payment, quality, report_scope,
    visit_times,
)
from backend.services.dates import clock, periods


def period_of(query: dict) -> periods.Period:
    """The period a query asks for: from/to (custom), or a kind and a date (default: this month)."""
    first, last = query.get("from_"), query.get("to")
    kind = query.get("period") or ("custom" if first or last else "month")
    on = query.get("date") or (clock.today() if kind != "custom" else None)
    return periods.resolve(kind, on, first, last)


def _prepare(user: User, query: dict, default_group: str | None = "provider"):
    report_scope.check_reader(user)
    grouping = report_scope.parse_grouping(query.get("group"), default_group) \
        if default_group else None
    return period_of(query), grouping, query.get("provider_id")


def hours_report(user: User, query: dict) -> dict:
    """Delivered vs commissioned hours."""
    period, grouping, provider_id = _prepare(user, query)
    return hours.hours_report(user, period, grouping, provider_id)


def payment_report(user: User, query: dict) -> dict:
    """Payment totals per group."""
    period, grouping, provider_id = _prepare(user, query)
    return payment.payment_totals(user, period, grouping, provider_id)


def payment_visits(user: User, query: dict) -> dict:
    """One page of per-visit bills."""
    period, _, provider_id = _prepare(user, query, None)
    page, per_page = query.get("page", 1), query.get("per_page", 100)
    lines = [payment.visit_line(row, bill) for row, bill in payment.billed_visits(
        user, period, provider_id, limit=per_page, offset=(page - 1) * per_page)]
    return {"period": {"from": period.first, "to": period.last}, "page": page,
            "per_page": per_page, "visits": lines}


def held_visits(user: User, query: dict) -> dict:
    """Visits held for a provider manager's confirmation, and those confirmed (every one)."""
    period, _, provider_id = _prepare(user, query, None)
    return held.held_visits(user, period, provider_id, limit=None)


def quality_report(user: User, query: dict) -> dict:
    """Quality indicators per provider."""
    period, _, provider_id = _prepare(user, query, None)
    return quality.quality_report(user, period, provider_id)


def corrections(user: User, query: dict) -> dict:
    """Every correction in the period."""
    period, _, provider_id = _prepare(user, query, None)
    return corrections_report.corrections_report(user, period, provider_id)


CSV_WRITERS = {
    hours_report: exports.hours_csv, payment_report: exports.payment_csv,
    quality_report: exports.quality_csv, corrections: exports.corrections_csv,
}


def as_csv(report, user: User, query: dict) -> Iterator[str]:
    """A report's CSV lines."""
    return CSV_WRITERS[report](report(user, query))


def actuals_csv(user: User, query: dict) -> Iterator[str]:
    """The per-visit actuals CSV, streamed."""
    period, _, provider_id = _prepare(user, query, None)
    return exports.actuals_csv(user, period, provider_id)


def visit_times_page(user: User, query: dict) -> dict:
    """One page of visits with each carer's check-in and check-out times and the bill."""
    period, _, provider_id = _prepare(user, query, None)
    page, per_page = query.get("page", 1), query.get("per_page", 100)
    visits = list(visit_times.visit_times(user, period, provider_id, limit=per_page,
                                          offset=(page - 1) * per_page))
    return {"period": {"from": period.first, "to": period.last}, "page": page,
            "per_page": per_page, "visits": visits}


def visit_times_csv(user: User, query: dict) -> Iterator[str]:
    """Per visit and carer: times, method, distance, verified, flags, corrections, bill."""
    period, _, provider_id = _prepare(user, query, None)
    return visit_times.visit_times_csv(user, period, provider_id)


def evv_csv(user: User, query: dict) -> Iterator[str]:
    """The US EVV six elements per visit and attending carer, in one file."""
    period, _, provider_id = _prepare(user, query, None)
    return visit_times.evv_csv(user, period, provider_id)
