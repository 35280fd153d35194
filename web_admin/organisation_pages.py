"""Administration pages: organisations (funders and providers) and areas (admins)."""
from flask import Blueprint, flash, redirect, url_for

from backend.errors import DomainError
from backend.models import Role
from backend.services.administration import organisations
from web_admin.admin_forms import AreaForm, OrganisationForm
from web_admin.admin_support import page, refuse
from web_admin.auth import current_user, login_required

bp = Blueprint("admin_organisations", __name__, url_prefix="/admin")
FIELDS = ("ods_code", "cqc_id", "email", "phone", "webhook_url")


def _list(form=None, area_form=None, status: int = 200):
    user = current_user()
    rows = [[{"text": o.name, "href": url_for(".edit", organisation_id=o.id)},
             o.kind.value, o.ods_code, o.cqc_id,
             o.framework_status.value if o.framework_status else ""]
            for o in organisations.list_organisations(user)]
    areas = [[a.name] for a in organisations.list_areas()]
    return page("Organisations", [
        {"heading": "Funders and providers", "rows": rows,
         "headers": ["Name", "Kind", "ODS code", "CQC location", "Framework status"]},
        {"heading": "Add an organisation", "form": form or OrganisationForm(formdata=None),
         "action": url_for(".create"), "submit": "Add organisation", "id": "organisation-form"},
        {"heading": "Areas (lots)", "rows": areas, "headers": ["Area"],
         "form": area_form or AreaForm(formdata=None), "action": url_for(".create_area"),
         "submit": "Add area", "id": "area-form"},
    ], status)


@bp.get("/organisations")
@login_required(Role.ADMIN)
def index():
    """Every organisation, and forms to add one or an area."""
    return _list()


@bp.post("/organisations")
@login_required(Role.ADMIN)
def create():
    """Add a council, NHS body or provider."""
    form = OrganisationForm()
    if not form.validate_on_submit():
        return _list(form, status=422)
    try:
        organisation = organisations.create_organisation(
            current_user(), form.name.data, form.kind.data,
            **{name: form[name].data for name in FIELDS})
    except DomainError as exc:
        refuse(form, exc)
        return _list(form, status=exc.status)
    flash(f"Added {organisation.name}.", "ok")
    return redirect(url_for(".index"))


@bp.route("/organisations/<uuid:organisation_id>", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def edit(organisation_id):
    """Change an organisation's name, codes and contact points."""
    organisation = organisations.get_organisation(current_user(), organisation_id)
    form = OrganisationForm(obj=organisation)
    form.kind.render_kw = {"disabled": True}
    status = 200
    if form.validate_on_submit():
        try:
            organisations.update_organisation(
                current_user(), organisation_id, name=form.name.data,
                **{name: form[name].data for name in FIELDS})
        except DomainError as exc:
            refuse(form, exc)
            status = exc.status
        else:
            flash(f"Saved {form.name.data}.", "ok")
            return redirect(url_for(".index"))
    elif form.is_submitted():
        status = 422
    return page(organisation.name, [{"heading": "Details", "form": form, "submit": "Save",
                                     "action": "", "id": "organisation-form"}], status)


@bp.post("/areas")
@login_required(Role.ADMIN)
def create_area():
    """Add an area (lot) of the framework."""
    form = AreaForm()
    if not form.validate_on_submit():
        return _list(area_form=form, status=422)
    try:
        organisations.create_area(current_user(), form.name.data)
    except DomainError as exc:
        refuse(form, exc)
        return _list(area_form=form, status=exc.status)
    flash(f"Added the area {form.name.data}.", "ok")
    return redirect(url_for(".index"))
