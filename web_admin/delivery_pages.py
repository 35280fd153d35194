"""The admin's view of failing email and webhook deliveries, with a requeue button."""
from flask import Blueprint, flash, redirect, render_template, url_for

from backend.errors import DomainError
from backend.models import Role
from backend.services.dates import clock
from backend.services.monitoring import outbox
from web_admin.auth import current_user, login_required
from web_admin.forms import RequeueForm

bp = Blueprint("deliveries", __name__)


@bp.get("/deliveries")
@login_required(Role.ADMIN)
def failing():
    """Deliveries retrying after a failure, given up, or interrupted mid-send."""
    return render_template("deliveries.html", rows=outbox.failing_notifications(current_user()),
                           zone=clock.zone(), form=RequeueForm())


@bp.post("/deliveries/<uuid:notification_id>/requeue")
@login_required(Role.ADMIN)
def requeue(notification_id):
    """Send one failing delivery again at the next delivery run."""
    if RequeueForm().validate_on_submit():
        try:
            outbox.requeue(current_user(), notification_id)
            flash("Requeued: it will be sent at the next delivery run.", "ok")
        except DomainError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
    return redirect(url_for("deliveries.failing"))
