"""CSV exports: UTF-8 with a byte-order mark (spreadsheets then read accents and £
correctly), headers in words, ISO dates, one row per group; money in pounds with
two decimals. The per-visit actuals stream row by row with constant memory.
"""
import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import chain

from backend.models import User
from backend.services.attendance.delivered import as_text
from backend.services.audit.payment import billed_visits, visit_line
from backend.services.dates.periods import Period

BOM = "\ufeff"
GROUP_HEADERS = {"provider": "Provider", "funder": "Funder", "package": "Package",
                 "service_user": "Council client reference", "area": "Area",
                 "week": "Week starting", "month": "Month starting"}


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV
# injection"): a correction note "=HYPERLINK(...)" would become a link in the
# commissioner's spreadsheet. Such text is kept, behind a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def inert(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula; numbers stay numbers."""
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def cell(value) -> str:
    """One value as spreadsheet text (every cell of every export goes through here)."""
    return inert(_text(value))


def pounds(pence: int) -> str:
    """Pence as pounds text with two decimals, exactly."""
    return str((Decimal(pence) / 100).quantize(Decimal("0.01")))


def csv_lines(header: list[str], rows: Iterable[list], bom: bool = True,
              plain: bool = False) -> Iterator[str]:
    """The CSV text, a line at a time, starting with the byte-order mark (unless the file
    goes to a machine that wants plain UTF-8, bom=False). `plain`: the values are text,
    dates, numbers or None already written as they should be (str(), None as empty), so
    they go to the writer as they are, text still never a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(title) for title in header])
    yield (BOM if bom else "") + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([inert(v) if isinstance(v, str) else v for v in row] if plain
                        else [cell(v) for v in row])
        yield buffer.getvalue()


def _group_cells(group_by: list[str], group: dict) -> list:
    return [group[d]["name"] if isinstance(group[d], dict) else group[d] for d in group_by]


def hours_csv(report: dict, total_label: str | None = None) -> Iterator[str]:
    """The hours report, one row per group, then the report's total when a label is given.

    Each row's hours are rounded on their own, so the rows can add up to a penny or so
    less or more than the total; the total line is the figure the page shows.
    """
    names = ("commissioned", "planned", "delivered", "verified", "unverified", "missed",
             "no_access", "cancelled", "variance")
    header = [GROUP_HEADERS[d] for d in report["group_by"]] + ["Visits"] + [
        f"{n.replace('_', ' ').capitalize()} hours" for n in names] + [
        "Variance %", "Cancelled minutes by reason"]

    def line(cells: list, r: dict) -> list:
        return [*cells, r["visits"], *(r[f"{n}_hours"] for n in names), r["variance_pct"],
                r["cancelled_by_reason"]]

    rows = (line(_group_cells(report["group_by"], r["group"]), r) for r in report["rows"])
    if total_label:
        blank = [""] * (len(report["group_by"]) - 1)
        rows = chain(rows, [line([total_label, *blank], report["total"])])
    return csv_lines(header, rows)


def payment_csv(report: dict) -> Iterator[str]:
    """Payment totals, one row per group."""
    header = [GROUP_HEADERS[d] for d in report["group_by"]] + [
        "Visits", "Billed visits", "Actual minutes", "Raw minutes", "Billed minutes",
        "Amount (£)", "Held visits", "Held amount (£)", "Confirmed visits"]
    rows = ([*_group_cells(report["group_by"], r["group"]), r["visits"], r["billed_visits"],
             r["actual_minutes"], r["raw_minutes"], r["billed_minutes"],
             pounds(r["amount_pence"]), r["held_visits"], pounds(r["held_pence"]),
             r["confirmed_visits"]] for r in report["rows"])
    return csv_lines(header, rows)


QUALITY_COLUMNS = (
    ("Visits due", "visits_due"), ("Punctuality %", "punctuality_pct"),
    ("Missed %", "missed_pct"), ("Short %", "short_pct"), ("Under 30 minutes %", "under_30_pct"),
    ("Logged in the home %", "home_logging_pct"),
    ("Home logging target %", "home_logging_target_pct"),
    ("Home logging target met", "home_logging_met"),
    ("Mean distinct carers per person per month", "continuity_mean_carers"),
    ("Consecutive visit pairs", "travel_pairs"),
    ("Pairs with too little travel time", "travel_short_pairs"),
    ("Too little travel time %", "travel_short_pct"),
    ("Travel minutes needed between visits", "travel_needed_min"),
    ("Travel minutes the rota allows for", "travel_allowed_min"),
    ("Travel time allowed for %", "travel_allowed_pct"),
    ("Alerts acknowledged", "alerts_acknowledged"),
    ("Median minutes to acknowledge", "alert_response_median_min"),
    ("Mean minutes to acknowledge", "alert_response_mean_min"),
)


def quality_csv(report: dict) -> Iterator[str]:
    """Quality indicators, one row per provider."""
    header = ["Provider"] + [title for title, _ in QUALITY_COLUMNS]
    rows = ([r["provider"]["name"], *(r[key] for _, key in QUALITY_COLUMNS)]
            for r in report["rows"])
    return csv_lines(header, rows)


def corrections_csv(report: dict) -> Iterator[str]:
    """Every correction, one row each."""
    header = ["Provider", "Visit ID", "Visit date", "Council client reference", "Worker",
              "Corrected by", "Corrected by role", "Corrected at", "Reason", "Resolution",
              "Corrected start", "Corrected end", "Minutes before", "Minutes after",
              "Minutes changed", "Note"]
    rows = ([r["provider"]["name"], r["visit_id"], r["visit_date"], r["council_ref"],
             r["worker"], r["corrected_by"], r["corrected_by_role"], r["corrected_at"],
             r["reason_code"], r["resolution_code"], r["corrected_start"], r["corrected_end"],
             r["minutes_before"], r["minutes_after"], r["minutes_changed"], r["note"]]
            for r in report["rows"])
    return csv_lines(header, rows)


ACTUALS_HEADER = ["Visit ID", "Council client reference", "Provider", "Funder", "Date",
                  "Planned start", "Status", "Planned minutes", "Actual minutes", "Raw time",
                  "Raw minutes", "Billed minutes", "Rate", "Amount (£)", "Location verified",
                  "Flags", "Billing rule", "Share (%)", "Share amount (£)", "Funder shares",
                  "Held amount (£)"]


def funder_shares_text(line: dict) -> str:
    """Who pays a visit's bill: each funder's share and pounds ("Council 70.00% 3.50")."""
    return "; ".join(f"{s['funder']} {s['share_pct']}% {pounds(s['amount_pence'])}"
                     for s in line["funder_shares"])


def actuals_csv(user: User, period: Period, provider_id=None) -> Iterator[str]:
    """Per-visit actuals a council finance system can import, streamed."""
    bills = billed_visits(user, period, provider_id)  # access checked here, before streaming

    def rows():
        for row, bill in bills:
            line = visit_line(row, bill)
            yield [line["visit_id"], line["council_ref"], line["provider"], line["funder"],
                   line["date"], line["planned_start"], line["status"], line["planned_minutes"],
                   line["actual_minutes"], as_text(line["raw_seconds"]), line["raw_minutes"],
                   line["billed_minutes"],
                   line["rate"], pounds(line["amount_pence"]), line["location_verified"],
                   line["flags"], line["rule"], line["share_pct"],
                   pounds(line["share_pence"]), funder_shares_text(line),
                   pounds(line["held_pence"]) if line["held"] else ""]

    return csv_lines(ACTUALS_HEADER, rows())
