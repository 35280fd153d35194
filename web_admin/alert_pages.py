"""The alerts inbox for provider managers and commissioners: filter, acknowledge, resolve."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from backend.errors import DomainError
from backend.models import AlertKind, AlertStatus, Role
from backend.services.monitoring import alerts as alert_service
from backend.services.dates import clock
from web_admin.auth import current_user, login_required, safe_next
from web_admin.forms import AcknowledgeForm, ResolveForm

bp = Blueprint("alert_inbox", __name__)
ROLES = (Role.PROVIDER_MANAGER, Role.COMMISSIONER)
UNRESOLVED = "unresolved"


def _filters() -> alert_service.AlertFilter:
    """Filters from the query string; unknown values are ignored, not errors. By default
    open and acknowledged alerts, most urgent first: an alert stays until resolved."""
    args = request.args
    status = args.get("status", UNRESOLVED)
    kind = args.get("kind", "")
    return alert_service.AlertFilter(
        status=AlertStatus(status) if status in set(AlertStatus) else None,
        kind=AlertKind(kind) if kind in set(AlertKind) else None,
        unresolved_only=status == UNRESOLVED, by_urgency=True,
        escalated_only=args.get("escalated") == "1", limit=200)


@bp.get("/alerts")
@login_required(*ROLES)
def inbox():
    """Alerts the user may see, most urgent first, each with its visit's carers."""
    filters = _filters()
    alerts = alert_service.list_alerts(current_user(), filters)
    return render_template(
        "alerts.html", alerts=alerts, filters=filters, kinds=list(AlertKind),
        carers=alert_service.carer_names(alerts), status=request.args.get("status", UNRESOLVED),
        statuses=list(AlertStatus), zone=clock.zone(), acknowledge=AcknowledgeForm(),
        resolve=ResolveForm(), can_act=current_user().role in ROLES + (Role.ADMIN,))


def _act(form, action, done: str):
    """Run one alert action from a posted form; refusals are shown, never crash the page."""
    if form.validate_on_submit():
        try:
            action()
            flash(done, "ok")
        except DomainError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
    else:
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(safe_next(request.form.get("next"), url_for("alert_inbox.inbox")))


@bp.post("/alerts/<uuid:alert_id>/acknowledge")
@login_required(*ROLES)
def acknowledge(alert_id):
    """Say someone is dealing with it."""
    form = AcknowledgeForm()
    return _act(form, lambda: alert_service.acknowledge(
        current_user(), alert_id, (form.note.data or "").strip()), "Alert acknowledged.")


@bp.post("/alerts/<uuid:alert_id>/resolve")
@login_required(*ROLES)
def resolve(alert_id):
    """Close the alert with what was done."""
    form = ResolveForm()
    return _act(form, lambda: alert_service.resolve(
        current_user(), alert_id, form.resolution.data.strip()), "Alert resolved.")


@bp.get("/alerts/<uuid:alert_id>")
@login_required(*ROLES)
def detail(alert_id):
    """One alert: what happened, the visit and its carers, who acknowledged or resolved it
    and when, and the actions (the page alert emails link to)."""
    alert = alert_service.alert_detail(current_user(), alert_id)
    return render_template("alert.html", a=alert, zone=clock.zone(),
                           acknowledge=AcknowledgeForm(), resolve=ResolveForm(),
                           can_act=current_user().role in ROLES + (Role.ADMIN,))
