"""Administration pages: a provider's care workers, with hours, pay, skills, working
windows and leave. New care workers get their password from an invitation link."""
from flask import Blueprint, flash, redirect, url_for

from backend.errors import DomainError
from backend.models import Role
from backend.services.administration import carers, organisations, users
from web_admin.admin_forms import CareWorkerForm, LeaveForm
from web_admin.admin_support import money, page, pence, pounds, refuse
from web_admin.auth import current_user, login_required
from web_admin.choices import options

bp = Blueprint("admin_carers", __name__, url_prefix="/admin")
PROFILE = ("email", "staff_ref", "contracted_weekly_minutes", "max_weekly_minutes",
           "max_daily_minutes", "travel_mode")


def _windows(form) -> tuple[list[tuple], list[int]]:
    windows, used = [], []
    for i, row in enumerate(form.availability):
        r = row.form
        if r.weekday.data in (None, "") and not r.start_time.data and not r.end_time.data:
            continue
        windows.append((int(r.weekday.data) if r.weekday.data else -1, r.start_time.data,
                        r.end_time.data))
        used.append(i)
    return windows, used


def _profile(form) -> dict:
    values = {name: form[name].data for name in PROFILE}
    values["hourly_pay_pence"] = pence(form.hourly_pay.data)
    return values


def _form(submitted: bool = False, **kwargs) -> CareWorkerForm:
    """The care worker form; an admin chooses the provider, a manager has their own."""
    user = current_user()
    form = CareWorkerForm(**kwargs) if submitted else CareWorkerForm(formdata=None, **kwargs)
    providers = organisations.register_of("provider") if user.role == Role.ADMIN \
        else [user.organisation]
    form.provider_id.choices = options([(str(p.id), p.name) for p in providers])
    return form


def _index(form=None, status: int = 200, link=None):
    rows = [[{"text": w.display_name, "href": url_for(".edit", worker_id=w.id)},
             w.staff_ref or "", w.contracted_weekly_minutes or "", money(w.hourly_pay_pence),
             "active" if w.active else "deactivated"]
            for w in carers.list_care_workers(current_user())]
    return page("Care workers", [
        {"heading": "Care workers", "rows": rows,
         "headers": ["Name", "Staff ref", "Contracted min/week", "Pay", "Status"]},
        {"heading": "Add a care worker (they get a one-time link to choose a password)",
         "form": form or _form(), "action": url_for(".create"),
         "submit": "Add care worker", "id": "care-worker-form"},
    ], status, link=link)


@bp.get("/care-workers")
@login_required(Role.PROVIDER_MANAGER)
def index():
    """The provider's care workers and the form to add one."""
    return _index()


@bp.post("/care-workers")
@login_required(Role.PROVIDER_MANAGER)
def create():
    """Add a care worker and show their invitation link once."""
    form = _form(submitted=True)
    if not form.validate_on_submit():
        return _index(form, 422)
    windows, used = _windows(form)
    user = current_user()
    try:
        worker = carers.create_care_worker(
            user, form.provider_id.data, form.username.data, form.display_name.data,
            skills=form.skills.data, availability=windows, **_profile(form))
        issued = users.send_reset_link(user, worker.id)
    except DomainError as exc:
        refuse(form, exc, {"hourly_pay_pence": "hourly_pay", "organisation": "username"},
               rows={"availability": used})
        return _index(form, exc.status)
    return _index(link={"username": worker.username, "emailed_to": issued.emailed_to,
                        "url": None if issued.emailed_to else issued.url,
                        "expires": issued.link.expires_at.strftime("%d %b %Y %H:%M UTC")})


def _edit(worker_id, form=None, leave_form=None, status: int = 200):
    profile = carers.care_worker_profile(current_user(), worker_id)
    worker = profile["worker"]
    if form is None:
        windows = [{"weekday": str(w.weekday), "start_time": w.start_time,
                    "end_time": w.end_time} for w in profile["availability"]]
        form = _form(obj=worker, data={
            "skills": profile["skills"], "hourly_pay": pounds(worker.hourly_pay_pence),
            "availability": windows + [{}] * max(2, 3 - len(windows))})
    form.username.render_kw = {"readonly": True}
    form.provider_id.choices = options([(str(worker.organisation_id), worker.organisation.name)])
    leave = [[str(row.start_date), str(row.end_date), row.kind.value, row.reason]
             for row in profile["leave"]]
    return page(worker.display_name, [
        {"heading": "Profile", "form": form, "action": url_for(".edit", worker_id=worker.id),
         "submit": "Save", "id": "care-worker-form"},
        {"heading": "Leave", "rows": leave, "headers": ["First day", "Last day", "Kind", "Reason"],
         "form": leave_form or LeaveForm(formdata=None, prefix="leave"),
         "action": url_for(".add_leave", worker_id=worker.id), "submit": "Add leave",
         "id": "leave-form"},
    ], status)


@bp.route("/care-workers/<uuid:worker_id>", methods=["GET", "POST"])
@login_required(Role.PROVIDER_MANAGER)
def edit(worker_id):
    """A care worker's profile: hours, pay, travel, skills and working windows."""
    worker = carers.get_care_worker(current_user(), worker_id)  # 404 before reading a form
    form = CareWorkerForm()
    form.provider_id.choices = options([(str(worker.organisation_id), worker.organisation.name)])
    if not form.is_submitted():
        return _edit(worker_id)
    if not form.validate_on_submit():
        return _edit(worker_id, form, status=422)
    windows, used = _windows(form)
    user = current_user()
    try:
        carers.update_care_worker(user, worker_id, display_name=form.display_name.data,
                                  **_profile(form))
        carers.set_skills(user, worker_id, form.skills.data)
        carers.set_availability(user, worker_id, windows)
    except DomainError as exc:
        refuse(form, exc, {"hourly_pay_pence": "hourly_pay"}, rows={"availability": used})
        return _edit(worker_id, form, status=exc.status)
    flash("Saved.", "ok")
    return redirect(url_for(".edit", worker_id=worker_id))


@bp.post("/care-workers/<uuid:worker_id>/leave")
@login_required(Role.PROVIDER_MANAGER)
def add_leave(worker_id):
    """Record days away."""
    form = LeaveForm(prefix="leave")
    if not form.validate_on_submit():
        return _edit(worker_id, leave_form=form, status=422)
    try:
        carers.add_leave(current_user(), worker_id, form.start_date.data, form.end_date.data,
                         form.kind.data, form.reason.data)
    except DomainError as exc:
        refuse(form, exc)
        return _edit(worker_id, leave_form=form, status=exc.status)
    flash("Leave added.", "ok")
    return redirect(url_for(".edit", worker_id=worker_id))
