"""Administrators' pages of the access log: who looked at a person's record, and who
downloaded which export."""
from flask import Blueprint, render_template

from backend.models import Role
from backend.services.audit import access_log
from backend.services.dates import clock
from web_admin.auth import current_user, login_required

bp = Blueprint("access_log", __name__)


@bp.get("/people/<uuid:person_id>/readers")
@login_required(Role.ADMIN)
def readers(person_id):
    """Who looked at this person's record (their page, visits, goals, rota), newest first."""
    person, readings = access_log.readers_of(current_user(), person_id)
    return render_template("access_log.html", person=person, readings=readings,
                           zone=clock.zone())


@bp.get("/access-log/downloads")
@login_required(Role.ADMIN)
def downloads():
    """Who downloaded which export, newest first."""
    return render_template("access_log.html", person=None,
                           readings=access_log.downloads(current_user()), zone=clock.zone())
