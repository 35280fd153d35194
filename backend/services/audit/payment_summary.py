"""The commissioner's payment page: billed totals per provider and per week for a period.

Both tables come from payment.payment_totals (the billing rule applied once per visit),
and the CSV downloads are produced from the same reports, so their totals agree.
"""
from backend.models import User
from backend.services.audit import exports
from backend.services.audit.held_visits import held_visits
from backend.services.audit.payment import payment_totals
from backend.services.dates.periods import Period
from backend.services.audit.report_scope import parse_grouping

TABLES = {"providers": "provider", "weeks": "week"}


def payment_summary(user: User, period: Period) -> dict:
    """{period, providers, weeks, held}: payment totals grouped by provider and by week, and
    the visits held for a manager's confirmation or confirmed (held_visits)."""
    return {"period": period,
            **{name: payment_totals(user, period, parse_grouping(group))
               for name, group in TABLES.items()},
            "held": held_visits(user, period)}


def payment_table_csv(user: User, period: Period, table: str):
    """The CSV lines of one of the page's tables ('providers' or 'weeks')."""
    return exports.payment_csv(payment_totals(user, period, parse_grouping(TABLES[table])))
