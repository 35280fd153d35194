"""Administration pages: service users recorded and changed by commissioners and providers."""
from flask import Blueprint, flash, redirect, url_for

from backend.errors import DomainError
from backend.models import Role
from backend.services.administration import people
from web_admin.admin_forms import PersonForm
from web_admin.admin_support import page, refuse
from web_admin.auth import current_user, login_required

bp = Blueprint("admin_people", __name__, url_prefix="/admin")
STAFF = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)


def _values(form: PersonForm) -> dict:
    values = {field.short_name: field.data for field in form
              if field.type not in ("CSRFTokenField",)}
    values["accommodation_status"] = values["accommodation_status"] or None  # not recorded
    return values


def _index(form=None, status: int = 200):
    rows = [[{"text": p.name, "href": url_for("manager.person", person_id=p.id)}, p.council_ref,
             p.postcode, {"text": "Change details", "href": url_for(".edit", person_id=p.id)},
             {"text": "Packages", "href": url_for("admin_packages.index", person=p.id)}]
            for p in people.list_people(current_user())]
    return page("People", [
        {"heading": "People receiving care", "rows": rows,
         "headers": ["Name", "Reference", "Postcode", "", ""]},
        {"heading": "Add a person", "form": form or PersonForm(formdata=None),
         "action": url_for(".create"), "submit": "Add person", "id": "person-form"},
    ], status)


@bp.get("/people")
@login_required(*STAFF)
def index():
    """People the user's organisation recorded, funds or cares for."""
    return _index()


@bp.post("/people")
@login_required(*STAFF)
def create():
    """Record a person."""
    form = PersonForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        person = people.create_person(current_user(), **_values(form))
    except DomainError as exc:
        refuse(form, exc)
        return _index(form, exc.status)
    flash(f"Added {person.name}.", "ok")
    return redirect(url_for(".index"))


@bp.route("/people/<uuid:person_id>", methods=["GET", "POST"])
@login_required(*STAFF)
def edit(person_id):
    """Change a person's details."""
    person = people.get_person(current_user(), person_id)
    form = PersonForm(obj=person)
    status = 200
    if form.validate_on_submit():
        try:
            people.update_person(current_user(), person_id, **_values(form))
        except DomainError as exc:
            refuse(form, exc)
            status = exc.status
        else:
            flash(f"Saved {person.name}.", "ok")
            return redirect(url_for(".index"))
    elif form.is_submitted():
        status = 422
    return page(person.name, [{"heading": "Details", "form": form, "action": "",
                               "submit": "Save", "id": "person-form"}], status)
