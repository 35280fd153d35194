"""The commissioner's overview: hours and quality per provider for one period, side by side."""
from datetime import date, timedelta

from backend.models import User
from backend.services.audit import exports, hours, quality
from backend.services.dates import clock, periods
from backend.services.audit.report_scope import parse_grouping

TOTAL_LABEL = "All providers"  # the total line, named as on the page


def last_full_week() -> tuple[date, date]:
    """Monday to Sunday of the last complete week (a period every figure has closed on)."""
    monday = clock.today() - timedelta(days=clock.today().weekday() + 7)
    return monday, monday + timedelta(days=6)


def provider_overview(user: User, first: date | None = None, last: date | None = None) -> dict:
    """Per provider the user may see: commissioned, delivered and verified hours, and quality."""
    if first is None or last is None:
        first, last = last_full_week()
    period = periods.resolve("custom", first=first, last=last)
    by_hours = hours.hours_report(user, period, parse_grouping("provider"))
    by_quality = {row["provider"]["id"]: row
                  for row in quality.quality_report(user, period)["rows"]}
    rows = [{"provider": row["group"]["provider"], **row,
             "quality": by_quality.get(row["group"]["provider"]["id"], {})}
            for row in by_hours["rows"]]
    return {"period": period, "rows": rows, "total": by_hours["total"]}


def overview_csv(user: User, table: str, first: date | None, last: date | None):
    """The CSV lines behind one of the overview's tables (hours or quality)."""
    if first is None or last is None:
        first, last = last_full_week()
    period = periods.resolve("custom", first=first, last=last)
    if table == "hours":
        return exports.hours_csv(hours.hours_report(user, period, parse_grouping("provider")),
                                 total_label=TOTAL_LABEL)
    return exports.quality_csv(quality.quality_report(user, period))
