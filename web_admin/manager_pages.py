"""Provider manager pages: today's live board and the visit record."""
from datetime import date, timedelta

from flask import Blueprint, abort, render_template, request

from backend.models import Role
from backend.services import clock
from backend.services.board import today_board
from backend.services.rota_week import rota_week
from backend.services.visit_record import visit_record
from web_admin.auth import current_user, login_required
from web_admin.charts import location_diagram

bp = Blueprint("manager", __name__)


def _day_arg(name: str) -> date:
    """A date from the query string, today when absent; a bad one is a 404 page."""
    raw = request.args.get(name)
    try:
        return date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        abort(404)


@bp.get("/board")
@login_required(Role.PROVIDER_MANAGER)
def board():
    """Today's visits by worker; the page refreshes itself every 30 seconds."""
    day = _day_arg("date")
    rows = today_board(current_user(), day)
    return render_template("board.html", rows=rows, day=day, now=clock.now(),
                           zone=clock.zone(), is_today=day == clock.today())


@bp.get("/rota")
@login_required(Role.PROVIDER_MANAGER)
def rota():
    """A week of visits: workers in rows, days in columns, problems flagged."""
    week = rota_week(current_user(), _day_arg("week"))
    return render_template("rota.html", week=week, zone=clock.zone(),
                           previous=week.monday - timedelta(days=7),
                           following=week.monday + timedelta(days=7))


@bp.get("/visits/<uuid:visit_id>")
@login_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
def visit(visit_id):
    """Planned against actual, every event with its location, tasks, notes and progress."""
    record = visit_record(current_user(), visit_id)
    diagram = location_diagram(record.radius_m, [
        (line.event.kind.value.replace("_", " "), line.event.distance_m, line.bearing,
         line.event.verified) for line in record.events if line.event.distance_m is not None])
    return render_template("visit.html", r=record, v=record.visit, diagram=diagram,
                           zone=clock.zone())
