"""National measures pages: NICE QS123 statement 4 (length of visits), with CSV; the
visit-level actuals with times and the US EVV file, linked from the payment page."""
from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for

from backend.errors import Invalid
from backend.models import Role
from backend.services.dates import clock
from backend.services.national import capacity, cld
from backend.services.audit.overview import last_full_week
from backend.services.audit.visit_times import evv_csv, visit_times_csv
from backend.services.national.qs123 import visit_length, visit_length_csv
from backend.services.outcomes.measures import default_period
from web_admin.downloads import csv_download
from web_admin.auth import current_user, login_required
from web_admin.period_filter import period_args, read_period

bp = Blueprint("national_pages", __name__)


@bp.context_processor
def returns_tabs() -> dict:
    """The returns' tabs offer the CLD return only to those whose organisation sends it."""
    user = current_user()  # None on an error page shown before signing in
    return {"sends_cld": user is not None and cld.sends_cld(user)}


@bp.get("/national/visit-length")
@login_required(Role.COMMISSIONER, Role.PROVIDER_MANAGER)
def visit_length_page():
    """Visits of at least 30 minutes and short visits agreed, per provider and funder."""
    form, period, ok = read_period(*default_period())
    data = visit_length(current_user(), period.first, period.last)
    return render_template("national/visit_length.html", data=data, form=form, ok=ok,
                           args=period_args(period)), 200 if ok else 422


def _period(default: tuple):
    form, period, ok = read_period(*default)
    if not ok:
        abort(422, description="Choose a valid period: " + "; ".join(
            e for f in (form.first, form.last) for e in f.errors))
    return period


@bp.get("/national/visit-length.csv")
@login_required(Role.COMMISSIONER, Role.PROVIDER_MANAGER)
def visit_length_download():
    """The same table as CSV."""
    period = _period(default_period())
    return csv_download(visit_length_csv(visit_length(current_user(), period.first,
                                                      period.last)),
                        f"visit-length-{period.first}.csv", first=period.first, last=period.last)


@bp.get("/payment/visit-times.csv")
@login_required(Role.COMMISSIONER)
def visit_times_download():
    """Per visit and carer: check-in and check-out times, how and where, and the bill."""
    period = _period(last_full_week())
    return csv_download(visit_times_csv(current_user(), period),
                        f"visit-times-{period.first}.csv", first=period.first, last=period.last)


@bp.get("/payment/evv.csv")
@login_required(Role.COMMISSIONER)
def evv_download():
    """The US EVV six elements per visit and attending carer."""
    period = _period(last_full_week())
    return csv_download(evv_csv(current_user(), period), f"evv-{period.first}.csv",
                        first=period.first, last=period.last)


def _quarter_asked() -> tuple[str, date | None, str | None]:
    """(what was typed, the quarter's first day, what is wrong); default: the last quarter."""
    typed = request.args.get("quarter", "").strip()
    if not typed:
        today = clock.today()
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        last_quarter = date(first.year - (first.month == 1), (first.month - 4) % 12 + 1, 1)
        return last_quarter.isoformat(), last_quarter, None
    try:
        start = date.fromisoformat(typed)
        cld.quarter(start)
    except ValueError:
        return typed, None, "Enter the quarter's first day as YYYY-MM-DD, e.g. 2026-04-01."
    except Invalid as exc:
        return typed, None, exc.message
    return typed, start, None


@bp.get("/national/cld")
@login_required(Role.COMMISSIONER)
def cld_page():
    """The council's Client Level Data return for a quarter: what would be rejected, and the
    file to download."""
    user = current_user()
    if "council_id" not in request.args and not cld.sends_cld(user):
        # The menu's "Returns", followed by an ICB's commissioner: their returns.
        return redirect(url_for(".visit_length_page"))
    council_id = request.args.get("council_id") or user.organisation_id
    typed, start, error = _quarter_asked()
    report = cld.validation_report(user, council_id, start) if start else None
    return render_template("national/cld.html", report=report, typed=typed, error=error,
                           council_id=council_id), 200 if start else 422


@bp.get("/national/cld.csv")
@login_required(Role.COMMISSIONER)
def cld_download():
    """The return's CSV."""
    user = current_user()
    typed, start, error = _quarter_asked()
    if start is None:
        abort(422, description=error)
    council_id = request.args.get("council_id") or user.organisation_id
    return csv_download(cld.cld_csv(user, council_id, start), f"cld-{start}.csv",
                        council_id=council_id, quarter=start)


@bp.get("/national/capacity")
@login_required(Role.COMMISSIONER, Role.PROVIDER_MANAGER)
def capacity_page():
    """Capacity Tracker figures per provider for a month, with the CSV."""
    typed = request.args.get("month", "")
    try:
        report, error = capacity.capacity_figures(current_user(), typed or None), None
    except Invalid as exc:
        report, error = capacity.capacity_figures(current_user()), exc.message
    return render_template("national/capacity.html", report=report, typed=typed, error=error,
                           kinds=capacity.LEAVE_KINDS), 422 if error else 200


@bp.get("/national/capacity.csv")
@login_required(Role.COMMISSIONER, Role.PROVIDER_MANAGER)
def capacity_download():
    """The figures as CSV."""
    report = capacity.capacity_figures(current_user(), request.args.get("month") or None)
    return csv_download(capacity.capacity_csv(report), f"capacity-{report['month']}.csv",
                        month=report["month"])
