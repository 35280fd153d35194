"""The commissioner's providers page: framework status, its history, and changing it."""
from flask import Blueprint, flash, redirect, render_template, url_for

from backend.errors import DomainError
from backend.models import FrameworkStatus, Organisation, Role
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.reference.framework import change_framework_status, framework_providers
from web_admin.auth import current_user, login_required
from web_admin.forms import FrameworkStatusForm
from web_admin.choices import options

bp = Blueprint("framework", __name__)


def _form(provider_id, submitted: bool = False) -> FrameworkStatusForm:
    """The change form of one provider (prefixed, so each row's fields have their own ids)."""
    kwargs = {} if submitted else {"formdata": None}
    form = FrameworkStatusForm(prefix=f"p{provider_id.hex}", **kwargs)
    form.status.choices = options([("", "Choose ...")] +
                                  [(s.value, s.value) for s in FrameworkStatus])
    return form


def _render(failed=None, status: int = 200):
    """The page; `failed` is (provider id, form) of a change that was refused."""
    rows = framework_providers(current_user())
    forms = {r["provider"].id: _form(r["provider"].id) for r in rows if r["may_change"]}
    if failed:
        forms[failed[0]] = failed[1]
    return render_template("commissioner/providers.html", rows=rows, forms=forms,
                           zone=clock.zone()), status


@bp.get("/providers")
@login_required(Role.COMMISSIONER)
def providers():
    """Providers on the framework with their status and its history."""
    return _render()


@bp.post("/providers/<uuid:provider_id>/status")
@login_required(Role.COMMISSIONER)
def change_status(provider_id):
    """Change a provider's framework status; a refusal keeps what was typed, by the field."""
    access.get_changeable(current_user(), Organisation, provider_id, "provider")
    form = _form(provider_id, submitted=True)
    if not form.validate_on_submit():
        return _render((provider_id, form), 422)
    try:
        change = change_framework_status(current_user(), provider_id, form.status.data,
                                         form.reason.data)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        for name, messages in exc.fields.items():
            if name in form:
                form[name].errors = list(form[name].errors) + list(messages)
        return _render((provider_id, form), exc.status)
    flash(f"{change.status.value.capitalize()}: status changed.", "ok")
    return redirect(url_for("framework.providers") + f"#provider-{provider_id}")
