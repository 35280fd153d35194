"""Commissioner pages: the overview with its drill-down, payment and outcomes, with charts
and the tables (and CSV) behind them."""
from datetime import date

from flask import Blueprint, Response, abort, render_template, request

from backend.errors import Invalid
from backend.models import Role
from backend.services.dates import clock
from backend.services.audit.drilldown import package_visits, provider_packages
from backend.services.audit.exports import actuals_csv
from backend.services.outcomes.measures import default_period, too_few
from backend.services.outcomes.overview import outcomes_csv, outcomes_overview
from backend.services.audit.overview import last_full_week, overview_csv, provider_overview
from backend.services.audit.payment_summary import payment_summary, payment_table_csv
from web_admin.auth import current_user, login_required
from backend.services.audit.one_view import UNITS, one_view
from web_admin.charts import Series, bar_chart, line_chart
from web_admin.downloads import csv_download
from web_admin.period_filter import period_args, read_period

bp = Blueprint("commissioner", __name__)
CHART_PACKAGES = 15


@bp.app_template_filter("money")
def money(pence) -> str:
    """Pounds as every page writes them: "£23,739.00" (charts use the same form)."""
    return f"£{pence / 100:,.2f}" if pence is not None else "—"


def _one_view_args():
    """The unit (week or month) and a day inside the period; a bad value is a 400 that
    names the field."""
    unit = request.args.get("unit", "week")
    if unit not in UNITS:
        abort(400, description="unit: choose week or month.")
    raw = request.args.get("date")
    try:
        return unit, date.fromisoformat(raw) if raw else None
    except ValueError:
        abort(400, description="date: enter a date as YYYY-MM-DD.")


@bp.get("/one-view")
@login_required(Role.COMMISSIONER)
def one_view_page():
    """Per provider and week or month: commissioned -> planned -> delivered -> verified ->
    billed, rated against the contract's targets, with the 12-week trend."""
    unit, on = _one_view_args()
    data = one_view(current_user(), unit, on)
    trends = {v.provider["id"]: line_chart(
        f"Delivered as a share of commissioned hours, last {len(v.trend)} weeks: "
        f"{v.provider['name']}", [(f"w/c {w[8:]}/{w[5:7]}", p if p is not None else 0)
                                   for w, p in v.trend], 0, 120, unit="%",
        target=v.targets.delivery_pct if v.targets else None)
        for v in [*data["rows"], data["total"]]}
    return render_template("commissioner/one_view.html", data=data, trends=trends,
                           units=UNITS)


def _hours_chart(title: str, names: list[str], rows: list[dict]):
    """Commissioned, delivered and verified hours side by side, one group per row."""
    return bar_chart(title, names, [
        Series(label, [float(r[key]) for r in rows]) for label, key in (
            ("Commissioned", "commissioned_hours"), ("Delivered", "delivered_hours"),
            ("Verified in the home", "verified_hours"))], unit=" h")


def _download_period(default: tuple):
    """The period a CSV is asked for; a bad one is refused (422) with what is wrong."""
    form, period, ok = read_period(*default)
    if not ok:
        raise Invalid("Choose a valid period.", fields={
            f.name: list(f.errors) for f in (form.first, form.last) if f.errors})
    return period


def _csv(lines, filename: str, period) -> Response:
    """A CSV download for a period (logged with it)."""
    return csv_download(lines, filename, first=period.first, last=period.last)


@bp.get("/overview")
@login_required(Role.COMMISSIONER)
def overview():
    """Delivered against commissioned hours and quality per provider for a chosen period."""
    form, period, ok = read_period(*last_full_week())
    data = provider_overview(current_user(), period.first, period.last)
    rows = data["rows"]
    names = [r["provider"]["name"] for r in rows]
    hours_chart = _hours_chart("Commissioned and delivered hours by provider", names, rows)
    logged = [r["quality"].get("home_logging_pct") for r in rows]
    # The line is the contracts' home-logging target (contracts.home_logging_target_pct);
    # when providers' contracts differ, each provider's own target is in the table.
    targets = {r["quality"].get("home_logging_target_pct") for r in rows} - {None}
    logging_chart = bar_chart(
        "Check-ins verified in the home by provider", names,
        [Series("Verified in the home", [float(v) if v is not None else None for v in logged])],
        unit="%", target=targets.pop() if len(targets) == 1 else None,
        target_label="Contract target", max_value=100)
    return render_template("overview.html", data=data, rows=rows, hours_chart=hours_chart,
                           logging_chart=logging_chart, form=form, ok=ok), 200 if ok else 422


@bp.get("/overview/<any(hours, quality):table>.csv")
@login_required(Role.COMMISSIONER)
def overview_download(table):
    """The CSV behind a table of the overview, for the same period."""
    period = _download_period(last_full_week())
    return _csv(overview_csv(current_user(), table, period.first, period.last),
                f"providers-{table}.csv", period)


@bp.get("/overview/providers/<uuid:provider_id>")
@login_required(Role.COMMISSIONER)
def provider_detail(provider_id):
    """One provider's packages funded by the user's organisation, for the period."""
    form, period, ok = read_period(*last_full_week())
    data = provider_packages(current_user(), provider_id, period)
    rows = data["rows"]
    # The chart shows the largest shortfalls (the table below lists every package).
    shown = rows[:CHART_PACKAGES]
    names = [r["person"].name if r["person"] else r["package"]["name"] for r in shown]
    chart = _hours_chart(
        f"Commissioned and delivered hours, the {len(shown)} packages furthest short, "
        f"{data['provider'].name}", names, shown)
    return render_template("commissioner/provider.html", data=data, rows=rows, chart=chart,
                           form=form, ok=ok, args=period_args(period)), 200 if ok else 422


@bp.get("/overview/packages/<uuid:package_id>")
@login_required(Role.COMMISSIONER)
def package_detail(package_id):
    """One funded package's visits in the period: planned against actual, with links."""
    form, period, ok = read_period(*last_full_week())
    data = package_visits(current_user(), package_id, period)
    return render_template("commissioner/package.html", data=data, form=form, ok=ok,
                           zone=clock.zone(), args=period_args(period)), 200 if ok else 422


@bp.get("/payment")
@login_required(Role.COMMISSIONER)
def payment():
    """Billable minutes and amounts per provider and per week, raw against billed."""
    form, period, ok = read_period(*last_full_week())
    data = payment_summary(current_user(), period)
    rows = data["providers"]["rows"]
    names = [r["group"]["provider"]["name"] for r in rows]
    minutes_chart = bar_chart(
        "Actual, raw and billed hours by provider", names,
        # A commissioner's minutes are their share of jointly funded visits (may be
        # fractional).
        [Series("Actual", [round(float(r["actual_minutes"]) / 60, 2) for r in rows]),
         Series("Raw (billing basis)", [round(float(r["raw_minutes"]) / 60, 2) for r in rows]),
         Series("Billed", [round(float(r["billed_minutes"]) / 60, 2) for r in rows])],
        unit=" h")
    amount_chart = bar_chart(
        "Amount billed by provider", names,
        [Series("Amount", [r["amount_pence"] / 100 for r in rows])], prefix="£", digits=2)
    return render_template("commissioner/payment.html", data=data, form=form, ok=ok,
                           minutes_chart=minutes_chart, amount_chart=amount_chart,
                           args=period_args(period)), 200 if ok else 422


@bp.get("/payment/<any(providers, weeks, funders, visits):table>.csv")
@login_required(Role.COMMISSIONER)
def payment_download(table):
    """A table of the payment page as CSV, or every visit's bill (visits.csv)."""
    period = _download_period(last_full_week())
    lines = (actuals_csv(current_user(), period) if table == "visits"
             else payment_table_csv(current_user(), period, table))
    return _csv(lines, f"payment-{table}-{period.first}.csv", period)


def _shown(measure: dict, value):
    """The value a chart draws: none when the figure counts too few people."""
    return None if too_few(measure) else value


def _counts(measure: dict, of: str = "of") -> str:
    """The counts behind a figure, or why it is held back."""
    if too_few(measure):
        return f"too few to show ({measure['denominator']})"
    return f"({measure['numerator']} {of} {measure['denominator']})"


def _share(measure: dict) -> float | None:
    return _shown(measure, round(measure["value"] * 100, 1)
                  if measure["value"] is not None else None)


def _shares(name: str, key: str, rows: list) -> Series:
    return Series(name, [_share(r[key]) for r in rows], [_counts(r[key]) for r in rows])


@bp.get("/outcomes")
@login_required(Role.COMMISSIONER)
def outcomes():
    """ASCOF 2A, 2D, 2E and the earlier 2B, goals and GAS, Barthel gain and hours reduction,
    per provider: one unit per chart, negative values drawn, counts beside every share,
    figures about fewer than five people held back as "too few"."""
    form, period, ok = read_period(*default_period())
    data = outcomes_overview(current_user(), period.first, period.last)
    rows = data["rows"]
    names = [r["provider"]["name"] for r in rows]
    ascof_chart = bar_chart(
        "ASCOF measures and goals achieved by provider (% of people, counts beside)", names,
        [_shares("2A no request for ongoing support", "ascof_2a", rows),
         _shares("2D in the community 12 weeks after discharge", "ascof_2d", rows),
         _shares("2E at home or with family", "ascof_2e", rows),
         _shares("Earlier 2B at home at 91 days", "ascof_2b_91_days", rows),
         _shares("Goals achieved", "goals_achieved", rows)], unit="%", max_value=100)
    gas = [r["gas_t_score"]["mean"] for r in rows]
    gas_chart = bar_chart(
        "Mean GAS T-score by provider (50 = goals met as expected)", names,
        [Series("Mean T-score", [_shown(m, m["value"]) for m in gas],
                [f"too few to show ({m['denominator']})" if too_few(m)
                 else f"({m['denominator']} people)" for m in gas])],
        target=50, target_label="As expected", max_value=80)
    barthel = [r["barthel_gain"] for r in rows]
    barthel_chart = bar_chart(
        "Mean Barthel gain over reablement by provider (points, 0-20 scale)", names,
        [Series("Mean Barthel gain", [_shown(m, m["value"]) for m in barthel],
                [f"too few to show ({m['denominator']})" if too_few(m)
                 else f"({m['denominator']} episodes)" for m in barthel])], unit=" points")
    reduction = [r["weekly_hours_reduction"] for r in rows]
    hours_chart = bar_chart(
        "Fall in weekly hours by provider (hours a week; below zero: hours went up)", names,
        [Series("Reablement: start to end", [_shown(m, m["value"]) for m in reduction],
                [f"too few to show ({m['denominator']})" if too_few(m)
                 else f"({m['denominator']} episodes)" for m in reduction]),
         Series("All packages: first to last day of the period",
                [r["package_hours"]["reduction_hours"] for r in rows])], unit=" h")
    return render_template("commissioner/outcomes.html", data=data, rows=rows, form=form,
                           ok=ok, charts=[ascof_chart, gas_chart, barthel_chart, hours_chart],
                           too_few=too_few, args=period_args(period)), 200 if ok else 422


@bp.get("/outcomes.csv")
@login_required(Role.COMMISSIONER)
def outcomes_download():
    """The outcomes table as CSV, with the all-providers row the page shows."""
    period = _download_period(default_period())
    return _csv(outcomes_csv(outcomes_overview(current_user(), period.first, period.last)),
                f"outcomes-{period.first}.csv", period)
