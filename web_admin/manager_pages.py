"""Provider manager pages: today's live board and the visit record."""
import uuid
from collections import Counter
from datetime import date, timedelta

from flask import (
    Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for,
)

from backend.errors import DomainError, Invalid
from backend.models import Role
from backend.services.attendance import pins
from backend.services.dates import clock, days
from backend.services.identity import access
from backend.services.identity.names import told_apart
from backend.services.rota.assignments import assign_worker, care_workers, preview_assignment
from backend.services.monitoring.board import LABELS
from backend.services.monitoring.board_exceptions import day_board
from backend.services.attendance.corrections import (
    CorrectionReason, CorrectionResolution, correct_by_ids, correction_refusal,
)
from backend.services.rota.pay import payroll_csv
from backend.services.rota.plans import accept_moves, plan_rows, request_plan
from backend.services.rota.roll_forward import roll_forward
from backend.services.rota.suggestions import suggest_carers
from backend.services.rota.week import rota_week
from backend.services.attendance.visit_record import visit_record
from backend.services.audit.held_visits import (
    confirm_delivered, held_visits, visit_billing, withdraw_confirmation,
)
from web_admin.downloads import csv_download
from web_admin.auth import current_user, login_required
from web_admin.board_view import exception_line, live_view
from web_admin.charts import location_diagram
from web_admin.forms import ConfirmDeliveryForm, CorrectionForm, WithdrawConfirmationForm
from web_admin.outcome_pages import render_person
from web_admin.period_filter import read_period
from web_admin.choices import options

bp = Blueprint("manager", __name__)


def _day_arg(name: str) -> date:
    """A date from the query string, today when absent; a bad one is refused naming it."""
    return days.parse(request.args.get(name), name, default=clock.today())


def _board(day: date):
    """The day's board, only the chips of the chosen state when the filter asks."""
    show = request.args.get("show") or None
    if show is not None and show not in LABELS:
        abort(400, description=f"show: choose one of {', '.join(LABELS)}.")
    return day_board(current_user(), day, show=show), show


@bp.get("/board")
@login_required(Role.PROVIDER_MANAGER)
def board():
    """The day's exceptions first (counts, visits needing action by urgency), then every
    visit by carer; today's page polls /board/live.json to stay current."""
    day = _day_arg("date")
    result, show = _board(day)
    return render_template("board.html", board=result, day=day, show=show, zone=clock.zone(),
                           lines=[exception_line(e, clock.zone(), day) for e in result.exceptions],
                           is_today=day == clock.today(),
                           refresh=current_app.config["BOARD_REFRESH_SECONDS"])


@bp.get("/board/live.json")
@login_required(Role.PROVIDER_MANAGER)
def board_live():
    """The board's counts, exceptions and chip labels now, for the page's polling."""
    result, _ = _board(_day_arg("date"))
    return jsonify(live_view(result, clock.zone()))


@bp.get("/rota")
@login_required(Role.PROVIDER_MANAGER)
def rota():
    """A week or a day of visits by care worker (or one area, or one carer), problems first."""
    shown = _day_arg("date") if "date" in request.args else _day_arg("week")
    view = request.args.get("view") or "week"
    keep = {k: request.args[k] for k in ("view", "area", "carer", "problems")
            if request.args.get(k)}
    try:
        area_id = uuid.UUID(keep["area"]) if "area" in keep else None
        carer_id = uuid.UUID(keep["carer"]) if "carer" in keep else None
    except ValueError:
        abort(404)
    week = rota_week(current_user(), shown, view, area_id=area_id, worker_id=carer_id,
                     problems_only=bool(keep.get("problems")))
    step = timedelta(days=1 if view == "day" else 7)
    carer = next((r.worker for r in week.rows if r.worker and r.worker.id == carer_id), None)
    if carer_id and carer is None and not keep.get("problems"):
        abort(404)
    # Visit links built once: url_for per block was a fifth of the template's time.
    visits_url = url_for("manager.visit", visit_id=uuid.UUID(int=0)).rsplit("/", 1)[0]
    return render_template("rota.html", week=week, zone=clock.zone(), visits_url=visits_url,
                           shown=shown, view=view, keep=keep, carer=carer,
                           problems_only=bool(keep.get("problems")),
                           counts=Counter(p.title for p in week.problems).most_common(),
                           previous=shown - step, following=shown + step)


@bp.post("/rota/plans")
@login_required(Role.PROVIDER_MANAGER)
def plan_day():
    """Queue "Plan the day" for the scheduler; the plan's page shows its progress."""
    try:
        day = days.parse(request.form.get("date"), "date")
        area_id = uuid.UUID(request.form["area"]) if request.form.get("area") else None
    except (ValueError, Invalid):
        day = None
    if day is None:
        flash("Choose a day to plan (and an area, or all areas).", "error")
        return redirect(url_for("manager.rota")), 303
    try:
        plan = request_plan(current_user(), day, area_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for("manager.rota", date=day.isoformat(), view="day")), 303
    return redirect(url_for("manager.plan", plan_id=plan.id)), 303


@bp.post("/rota/roll-forward")
@login_required(Role.PROVIDER_MANAGER)
def roll_week_forward():
    """Copy last week's carers onto this week's open visits; what is left stays a problem."""
    try:
        day = days.parse(request.form.get("date"), "date")
    except Invalid:
        day = None
    if day is None:
        flash("Choose the week to roll forward.", "error")
        return redirect(url_for("manager.rota")), 303
    result = roll_forward(current_user(), day)
    left = "; ".join(f"{v.planned_start.astimezone(clock.zone()):%a %H:%M} "
                     f"{v.package.service_user.name}: {why}" for v, _, why in result.left[:10])
    more = f" (and {len(result.left) - 10} more)" if len(result.left) > 10 else ""
    flash(f"{result.copied} carer{'s' if result.copied != 1 else ''} copied from last week."
          + (f" Left: {left}{more}." if result.left else ""), "ok")
    return redirect(url_for("manager.rota", date=day.isoformat(), problems=1)), 303


@bp.get("/rota/payroll.csv")
@login_required(Role.PROVIDER_MANAGER)
def payroll():
    """The payroll CSV for a pay period: each carer's paid days and the minimum-wage check."""
    dates = {}
    for name in ("from", "to"):
        dates[name] = days.parse(request.args.get(name), name)
        if dates[name] is None:
            raise Invalid(f"Give the pay period's '{name}' date as YYYY-MM-DD.", field=name)
    return csv_download(payroll_csv(current_user(), dates["from"], dates["to"]),
                        f"payroll-{dates['from']}-{dates['to']}.csv",
                        first=dates["from"], last=dates["to"])


@bp.get("/rota/plans/<uuid:plan_id>")
@login_required(Role.PROVIDER_MANAGER)
def plan(plan_id):
    """A day plan: progress while the scheduler solves it, then the proposed moves as a diff."""
    found, rows = plan_rows(current_user(), plan_id)
    return render_template("plan.html", plan=found, rows=rows, zone=clock.zone())


@bp.post("/rota/plans/<uuid:plan_id>/accept")
@login_required(Role.PROVIDER_MANAGER)
def accept_plan(plan_id):
    """Accept the ticked moves (or all of them); a refusal saves none and says why."""
    chosen = None if request.form.get("all") else request.form.getlist("move_ids")
    try:
        result = accept_moves(current_user(), plan_id, chosen)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(" ".join([exc.message, *(m for ms in exc.fields.values() for m in ms)]), "error")
        return redirect(url_for("manager.plan", plan_id=plan_id)), 303
    found = plan_rows(current_user(), plan_id)[0]
    flash(f"{result['accepted']} move{'s' if result['accepted'] != 1 else ''} accepted"
          + (f"; {result['stale']} no longer apply (the visit changed)." if result["stale"]
             else "."), "ok")
    return redirect(url_for("manager.rota", date=found.local_date.isoformat(), view="day")), 303


def _correction_form(record) -> CorrectionForm:
    """The correction form with this visit's workers and the code lists as choices."""
    form = CorrectionForm()
    # Same-named carers are told apart by their staff reference (identity/names.py).
    workers = told_apart([a.worker for a in record.visit.assignments])
    workers.update({line.event.worker_id: line.worker for line in record.events})
    form.worker_id.choices = options([(str(i), name) for i, name in workers.items()])
    blank = [("", "Choose ...")]
    form.reason_code.choices = options(blank + [(c.value, c.value.replace("_", " "))
                                                for c in CorrectionReason])
    form.resolution_code.choices = options(blank + [(c.value, c.value.replace("_", " "))
                                                    for c in CorrectionResolution])
    return form


def _render_visit(record, form: CorrectionForm, problem: str | None = None, status: int = 200,
                  confirm_form: ConfirmDeliveryForm | None = None,
                  confirm_problem: str | None = None,
                  withdraw_form: WithdrawConfirmationForm | None = None):
    diagram = location_diagram(record.radius_m, [
        (line.event.kind.value.replace("_", " "), line.event.distance_m, line.bearing,
         line.event.verified) for line in record.events if line.event.distance_m is not None])
    # Reassigning is the provider's (access.py); correcting follows the correction rules
    # (managers until the visit locks, then the funder's commissioners).
    user = current_user()
    return render_template("visit.html", r=record, v=record.visit, diagram=diagram,
                           zone=clock.zone(), form=form, problem=problem,
                           can_change=access.can_change(user, record.visit),
                           refusal=correction_refusal(record.visit, user, clock.now()),
                           billing=visit_billing(user, record.visit),
                           confirm_form=confirm_form or ConfirmDeliveryForm(formdata=None),
                           confirm_problem=confirm_problem,
                           withdraw_form=withdraw_form or WithdrawConfirmationForm(formdata=None)
                           ), status


@bp.route("/visits/<uuid:visit_id>/reassign", methods=["GET", "POST"])
@login_required(Role.PROVIDER_MANAGER)
def reassign(visit_id):
    """Choose a worker, see the assignment checks, then save (refusals are not saved)."""
    record = visit_record(current_user(), visit_id)
    source = request.form if request.method == "POST" else request.args
    worker_id, replacing_id = source.get("worker_id"), source.get("replacing_id") or None
    check, problem, status = None, None, 200
    try:
        if worker_id and request.method == "POST":
            check = assign_worker(current_user(), visit_id, worker_id, replacing_id)
            notes = " ".join(p.message for p in check.warnings)
            flash(f"Assignment saved. {notes}".strip(), "ok")
            return redirect(url_for("manager.rota", week=record.visit.local_date.isoformat()))
        if worker_id:
            check = preview_assignment(current_user(), visit_id, worker_id, replacing_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        problem, status = exc.message, exc.status
    try:
        replacing = uuid.UUID(replacing_id) if replacing_id else None
    except ValueError:
        replacing = None  # the preview above has already said why
    suggestions = suggest_carers(current_user(), visit_id, replacing)
    workers = care_workers(current_user())
    # Same-named carers are told apart by their staff reference (identity/names.py).
    names = told_apart([*workers, *(a.worker for a in record.visit.assignments)])
    return render_template("reassign.html", v=record.visit, workers=workers, names=names,
                           worker_id=worker_id, replacing_id=replacing_id, check=check,
                           problem=problem, zone=clock.zone(), suggestions=suggestions), status


@bp.get("/visits/<uuid:visit_id>")
@login_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
def visit(visit_id):
    """Planned against actual, every event with its location, tasks, notes and progress."""
    record = visit_record(current_user(), visit_id)
    return _render_visit(record, _correction_form(record))


@bp.post("/visits/<uuid:visit_id>/corrections")
@login_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
def correct(visit_id):
    """Append a correction; on a refusal the page says why and keeps what was typed."""
    record = visit_record(current_user(), visit_id)
    form = _correction_form(record)
    if not form.validate_on_submit():
        return _render_visit(record, form, "Please fix the marked fields.", 422)
    day = record.visit.local_date

    def instant(value):
        return clock.local_to_utc(day, value) if value else None

    try:
        correct_by_ids(current_user(), record.visit.id, uuid.UUID(form.worker_id.data),
                       corrected_start=instant(form.corrected_start.data),
                       corrected_end=instant(form.corrected_end.data),
                       reason_code=form.reason_code.data,
                       resolution_code=form.resolution_code.data, note=form.note.data or None)
    except DomainError as exc:
        if exc.status == 404:
            raise
        for name, messages in exc.fields.items():
            if name in form:
                form[name].errors = list(form[name].errors) + list(messages)
        return _render_visit(record, form, exc.message, exc.status)
    flash("Correction recorded; the original events are kept.", "ok")
    return redirect(url_for("manager.visit", visit_id=record.visit.id))


@bp.get("/held-visits")
@login_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
def held_visits_page():
    """Visits held for the provider's confirmation and those confirmed (last four weeks)."""
    today = clock.today()
    form, period, ok = read_period(today - timedelta(days=27), today)
    return render_template("held_visits.html", data=held_visits(current_user(), period),
                           form=form, ok=ok), 200 if ok else 422


def _billing_word(visit_id, form, reason, act, done: str, shown_as: str):
    """A manager's word on a visit's bill (confirming it was delivered, or withdrawing
    that): the form's reason to the service; a refusal is shown on the visit's page,
    beside the reason."""
    record = visit_record(current_user(), visit_id)
    problem, status = "Please fix the marked field.", 422
    if form.validate_on_submit():
        try:
            act(current_user(), record.visit.id, reason.data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            for messages in exc.fields.values():
                reason.errors = list(reason.errors) + list(messages)
            problem, status = exc.message, exc.status
        else:
            flash(done, "ok")
            return redirect(url_for("manager.visit", visit_id=record.visit.id))
    return _render_visit(record, _correction_form(record), status=status,
                         confirm_problem=problem, **{shown_as: form})


@bp.post("/visits/<uuid:visit_id>/delivery-confirmation")
@login_required(Role.PROVIDER_MANAGER)
def confirm_delivery(visit_id):
    """Confirm that a visit held for want of verification in the home was delivered."""
    form = ConfirmDeliveryForm()
    return _billing_word(visit_id, form, form.reason, confirm_delivered,
                         "Delivery confirmed: the visit is now billed.", "confirm_form")


@bp.post("/visits/<uuid:visit_id>/delivery-confirmation/withdrawal")
@login_required(Role.PROVIDER_MANAGER)
def withdraw_delivery_confirmation(visit_id):
    """Take back a confirmation of delivery given in error: the visit is held again."""
    form = WithdrawConfirmationForm()
    return _billing_word(visit_id, form, form.withdraw_reason, withdraw_confirmation,
                         "Confirmation withdrawn: the visit is held again.", "withdraw_form")


@bp.get("/people/<uuid:person_id>")
@login_required(Role.PROVIDER_MANAGER, Role.COMMISSIONER)
def person(person_id):
    """A person's packages, goals with progress charts, reablement and pin suggestions,
    with the forms to set and review goals and run episodes for those who may."""
    return render_person(person_id)


@bp.post("/pin-suggestions/<uuid:suggestion_id>/<any(accept, reject):decision>")
@login_required(Role.PROVIDER_MANAGER)
def decide_pin(suggestion_id, decision):
    """Accept (the home pin moves) or reject a suggested home-pin correction."""
    suggestion = (pins.accept if decision == "accept" else pins.reject)(
        current_user(), suggestion_id)
    flash("Home pin moved." if decision == "accept" else "Suggestion rejected.", "ok")
    return redirect(url_for("manager.person", person_id=suggestion.service_user_id))
