"""Administration pages: user accounts, invited by one-time link, deactivated, reset."""
from flask import Blueprint, flash, redirect, url_for

from backend.errors import DomainError
from backend.models import Role
from backend.services.administration import organisations, users
from backend.services.dates import clock
from web_admin.admin_forms import InviteForm
from web_admin.admin_support import page, refuse
from web_admin.auth import current_user, login_required
from web_admin.choices import options

bp = Blueprint("admin_users", __name__, url_prefix="/admin")
STAFF = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)


def _form(submitted: bool = False) -> InviteForm:
    user = current_user()
    form = InviteForm() if submitted else InviteForm(formdata=None)
    form.role.choices = options([(r.value, r.value.replace("_", " "))
                                 for r in users.roles_given_by(user)])
    orgs = organisations.list_organisations(user) if user.role == Role.ADMIN \
        else [user.organisation]
    form.organisation_id.choices = options([(str(o.id), o.name) for o in orgs])
    return form


def _when(instant) -> str:
    return instant.astimezone(clock.zone()).strftime("%d %b %Y %H:%M") if instant else "never"


def _render(form=None, status: int = 200, link=None):
    me = current_user()
    rows = []
    for user in users.list_users(me):
        actions = [] if user.id == me.id else [
            {"post": url_for(".set_active", user_id=user.id, active=int(not user.active)),
             "text": "Deactivate" if user.active else "Reactivate"},
            {"post": url_for(".reset_link", user_id=user.id), "text": "Send password link"}]
        rows.append([user.display_name, user.username, user.role.value.replace("_", " "),
                     user.organisation.name, "active" if user.active else "deactivated",
                     _when(user.last_sign_in_at), *(actions or ["", ""])])
    return page("Users", [
        {"heading": "Accounts", "rows": rows,
         "headers": ["Name", "Username", "Role", "Organisation", "Status", "Last sign-in",
                     "", ""]},
        {"heading": "Invite someone", "form": form or _form(), "action": url_for(".invite"),
         "submit": "Invite", "id": "invite-form"},
    ], status, link=link)


def _shown(user, issued) -> dict:
    """What the page says of a link just issued: where it was emailed, or the link itself
    (once) when the account has no email address."""
    return {"username": user.username, "emailed_to": issued.emailed_to,
            "url": None if issued.emailed_to else issued.url,
            "expires": _when(issued.link.expires_at)}


@bp.get("/users")
@login_required(*STAFF)
def index():
    """Accounts the user may manage, and the invitation form."""
    return _render()


@bp.post("/users")
@login_required(*STAFF)
def invite():
    """Invite someone: their one-time link is shown once on the page that answers."""
    form = _form(submitted=True)
    if not form.validate_on_submit():
        return _render(form, 422)
    try:
        user, issued = users.invite_user(current_user(), form.organisation_id.data,
                                         form.username.data, form.role.data,
                                         form.display_name.data, form.email.data)
    except DomainError as exc:
        refuse(form, exc, {"organisation": "organisation_id"})
        return _render(form, exc.status)
    return _render(link=_shown(user, issued))


@bp.post("/users/<uuid:user_id>/active/<int:active>")
@login_required(*STAFF)
def set_active(user_id, active: int):
    """Deactivate or reactivate an account."""
    user = users.set_active(current_user(), user_id, bool(active))
    flash(f"{user.display_name} {'reactivated' if active else 'deactivated'}.", "ok")
    return redirect(url_for(".index"))


@bp.post("/users/<uuid:user_id>/password-link")
@login_required(*STAFF)
def reset_link(user_id):
    """A one-time link for the user to choose a (new) password, shown once."""
    issued = users.send_reset_link(current_user(), user_id)
    return _render(link=_shown(users.get_account(current_user(), user_id), issued))
