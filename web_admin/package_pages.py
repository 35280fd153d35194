"""Administration pages: packages of care, their weekly pattern, hospital-stay suspensions
and ending."""
from datetime import time

from flask import Blueprint, abort, flash, redirect, request, url_for

from backend.errors import DomainError
from backend.models import Role
from backend.services.administration import contracts, package_changes, packages, people
from backend.services.reference.packages import CallLine
from web_admin.admin_forms import (
    WEEKDAYS, ChangeFromForm, LastDayForm, PackageForm, PatternForm, SuspendForm,
)
from web_admin.admin_support import page, refuse
from web_admin.auth import current_user, login_required
from web_admin.choices import options

bp = Blueprint("admin_packages", __name__, url_prefix="/admin")
STAFF = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)
DAY = dict(WEEKDAYS)


def _split(text: str | None, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(sep) if part.strip())


def _lines(form) -> tuple[list[CallLine], list[int]]:
    """The pattern rows that were filled in, and which form row each one is."""
    lines, used = [], []
    for i, row in enumerate(form.schedule):
        r = row.form
        if not (r.weekday.data or r.start_time.data or r.duration_min.data):
            continue
        lines.append(CallLine(
            weekday=int(r.weekday.data) if r.weekday.data not in (None, "") else -1,
            start_time=r.start_time.data, duration_min=r.duration_min.data,
            carers_required=r.carers_required.data or 1, priority=r.priority.data,
            tasks=_split(r.tasks.data, ";"), required_skills=_split(r.required_skills.data, ","),
            short_call_agreed=r.short_call_agreed.data))
        used.append(i)
    return lines, used


def _rows(pattern: list[dict], blank: int) -> list[dict]:
    rows = [{**line, "weekday": str(line["weekday"]), "tasks": "; ".join(line["tasks"]),
             "required_skills": ", ".join(line["required_skills"]),
             "start_time": _time(line["start_time"])} for line in pattern]
    return rows + [{"carers_required": 1}] * blank


def _time(hhmm: str) -> time:
    hour, minute = map(int, hhmm.split(":"))
    return time(hour, minute)


def _package_form(submitted: bool = False) -> PackageForm:
    user = current_user()
    form = PackageForm() if submitted else PackageForm(
        formdata=None, data={"schedule": _rows([], 7),
                             "service_user_id": request.args.get("person", "")})
    form.service_user_id.choices = options([(str(p.id), f"{p.name} ({p.council_ref})")
                                            for p in people.list_people(user)])
    form.contract_id.choices = options([(str(c.id), c.name)
                                        for c in contracts.list_contracts(user)])
    return form


@bp.get("/packages")
@login_required(*STAFF)
def index():
    """Packages the user's organisation funds or delivers (one person's with ?person=)."""
    person = request.args.get("person")
    rows = [[{"text": p.service_user.name, "href": url_for(".show", package_id=p.id)},
             p.reference or "", p.contract.name, p.package_type.value, p.weekly_minutes,
             str(p.start_date), str(p.end_date or ""), p.status.value]
            for p in packages.list_packages(current_user(), service_user_id=person)]
    add = url_for(".new", person=person) if person else url_for(".new")
    return page("Packages of care", [
        {"heading": "Packages", "rows": rows, "headers": [
            "Person", "Reference", "Contract", "Type", "Minutes a week", "Starts", "Ends",
            "Status"]},
        {"heading": "Add a package", "rows": [[{"text": "Add a package of care", "href": add}]],
         "headers": [""]}])


@bp.route("/packages/new", methods=["GET", "POST"])
@login_required(*STAFF)
def new():
    """A package of care with its weekly pattern."""
    form = _package_form(submitted=request.method == "POST")
    status = 200
    if form.validate_on_submit():
        lines, used = _lines(form)
        try:
            package = packages.create_package(
                current_user(), form.service_user_id.data, form.contract_id.data,
                form.package_type.data, form.weekly_minutes.data, form.start_date.data,
                form.end_date.data, lines, form.reference.data)
        except DomainError as exc:
            refuse(form, exc, {"reference_code": "reference"}, rows={"schedule": used})
            status = exc.status
        else:
            flash(f"Added the package ({package.status.value}).", "ok")
            return redirect(url_for(".show", package_id=package.id))
    elif form.is_submitted():
        status = 422
    return page("New package of care", [{"heading": "Package", "form": form, "action": "",
                                         "submit": "Add package", "id": "package-form"}],
                status)


def _show(package_id, forms: dict | None = None, status: int = 200):
    package = packages.get_package(current_user(), package_id)
    forms = forms or {}
    pattern = forms.get("pattern") or PatternForm(
        formdata=None, prefix="pattern", data={"schedule": _rows(packages.pattern_of(package),
                                                                  3)})
    later = package_changes.pending(package)
    change_from = forms.get("change") or ChangeFromForm(
        formdata=None, prefix="change", data={"schedule": _rows(packages.pattern_of(package),
                                                                 3)})
    scheduled = [[str(c.effective_date),
                  f"{c.weekly_minutes} minutes a week" if c.weekly_minutes is not None
                  else "unchanged",
                  _summary(packages.lines_as_pattern(c.lines)) if c.changes_pattern
                  else "unchanged",
                  {"post": url_for(".cancel_change", package_id=package.id, change_id=c.id),
                   "text": "Cancel this change"}] for c in later]
    commissioned = f"{package.weekly_minutes} minutes a week" + "".join(
        f"; {c.weekly_minutes} from {c.effective_date}" for c in later
        if c.weekly_minutes is not None)
    lines = [("Person", package.service_user.name), ("Contract", package.contract.name),
             ("Type", package.package_type.value),
             ("Commissioned", commissioned),
             ("Dates", f"{package.start_date} to {package.end_date or 'open'}"),
             ("Status", package.status.value), ("Reference", package.reference or "-")]
    suspensions = [[str(s.start_date), str(s.end_date or "not known"), s.reason]
                   for s in package.suspensions]

    def action(part: str) -> str:
        return url_for(".change", package_id=package.id, part=part)

    return page(f"Package for {package.service_user.name}", [
        {"heading": "Package", "lines": lines},
        {"heading": "Weekly pattern (from now on)", "form": pattern,
         "action": action("pattern"), "submit": "Save pattern", "id": "pattern-form"},
        {"heading": "Changes from a later day", "rows": scheduled,
         "headers": ["From", "Commissioned", "Weekly pattern", ""],
         "form": change_from, "action": action("change"), "submit": "Schedule the change",
         "id": "change-form"},
        {"heading": "Suspensions (hospital stays)", "rows": suspensions,
         "headers": ["First day", "Last day", "Reason"],
         "form": forms.get("suspend") or SuspendForm(formdata=None, prefix="suspend"),
         "action": action("suspend"), "submit": "Suspend", "id": "suspend-form"},
        {"heading": "Back home: the last day of the latest suspension",
         "form": forms.get("back") or LastDayForm(formdata=None, prefix="back"),
         "action": action("back"), "submit": "Bring visits back", "id": "back-form"},
        {"heading": "End the package", "form": forms.get("end") or LastDayForm(
            formdata=None, prefix="end"), "action": action("end"), "submit": "End package",
         "id": "end-form"},
    ], status)


@bp.get("/packages/<uuid:package_id>")
@login_required(*STAFF)
def show(package_id):
    """A package with its pattern, suspensions and forms to change them."""
    return _show(package_id)


@bp.post("/packages/<uuid:package_id>/<part>")
@login_required(*STAFF)
def change(package_id, part: str):
    """Save the pattern, a change from a later day, a suspension, or the last day."""
    kinds = {"pattern": PatternForm, "suspend": SuspendForm, "end": LastDayForm,
             "back": LastDayForm, "change": ChangeFromForm}
    if part not in kinds:
        abort(404)
    form = kinds[part](prefix=part)
    if not form.validate_on_submit():
        return _show(package_id, {part: form}, 422)
    user, used = current_user(), None
    try:
        if part == "pattern":
            lines, used = _lines(form)
            packages.set_pattern(user, package_id, lines)
        elif part == "change":
            lines, used = _lines(form)
            package_changes.schedule_change(user, package_id, form.effective_date.data,
                                            form.weekly_minutes.data, lines)
        elif part == "suspend":
            packages.suspend_package(user, package_id, form.start_date.data, form.end_date.data,
                                     form.reason.data)
        elif part == "back":
            packages.end_latest_suspension(user, package_id, form.end_date.data)
        else:
            packages.end_package(user, package_id, form.end_date.data)
    except DomainError as exc:
        refuse(form, exc, rows={"schedule": used} if used is not None else None)
        return _show(package_id, {part: form}, exc.status)
    flash("Saved.", "ok")
    return redirect(url_for(".show", package_id=package_id))


@bp.post("/packages/<uuid:package_id>/changes/<uuid:change_id>/cancel")
@login_required(*STAFF)
def cancel_change(package_id, change_id):
    """Withdraw a change scheduled from a later day."""
    package_changes.cancel_change(current_user(), change_id, package_id)
    flash("Change cancelled.", "ok")
    return redirect(url_for(".show", package_id=package_id))


def _summary(pattern: list[dict]) -> str:
    """A pattern in a line: Mon 08:00 45 min, ... (or "no calls")."""
    return ", ".join(f"{DAY[str(line['weekday'])][:3]} {line['start_time']} "
                     f"{line['duration_min']} min" for line in pattern) or "no calls"
