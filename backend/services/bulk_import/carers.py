"""Importing and exporting care workers, matched on their provider's staff reference: a new
reference is a new care worker (no password until invited), a known one is updated where
it changed (profile, skills, working windows, areas)."""
import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    Area, CarerArea, CarerAvailability, CarerSkill, Organisation, OrganisationKind, Role, User,
)
from backend.services.administration import carers as service
from backend.services.administration import changes
from backend.services.audit import trail
from backend.services.bulk_import import cells
from backend.services.bulk_import.columns import Column, Row, problems_of
from backend.services.database.ids import new_ids
from backend.services.bulk_import.report import ImportReport, Problem
from backend.services.database.dialect import bulk_insert
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.identity.accounts import NO_PASSWORD

COLUMNS = [
    Column("provider", "the provider's name or ODS code; blank: your own"),
    Column("staff_ref", "the care worker's reference in your own system; rows are matched "
           "on it", True),
    Column("username", "what they sign in with (new care workers); they choose a password "
           "from an invitation link"),
    Column("name", "their name as colleagues and people say it", True),
    Column("email", "for their invitation link and messages"),
    Column("contracted_hours_per_week", "e.g. 37.5", parse=cells.minutes_from_hours),
    Column("max_hours_per_week", "the most they may work in a week",
           parse=cells.minutes_from_hours),
    Column("max_hours_per_day", "the most they may work in a day",
           parse=cells.minutes_from_hours),
    Column("travel_mode", "driving, walking, cycling or public_transport"),
    Column("hourly_pay", "pounds an hour, e.g. 12.60", parse=cells.pence),
    Column("skills", "separated by commas: medication, double_up, moving_and_handling, "
           "peg_feeding, catheter_care, dementia, end_of_life",
           parse=lambda v: cells.listed(v, ",")),
    Column("availability", "working windows, e.g. 'Mon 07:00-13:00; Tue 16:00-21:00'",
           parse=cells.windows),
    Column("areas", "area (lot) names separated by semicolons",
           parse=lambda v: cells.listed(v, ";")),
    Column("home_lat", "latitude of their home base", parse=cells.number),
    Column("home_lon", "longitude of their home base", parse=cells.number),
]
_PROFILE = {"name": "display_name", "email": "email",
            "contracted_hours_per_week": "contracted_weekly_minutes",
            "max_hours_per_week": "max_weekly_minutes", "max_hours_per_day": "max_daily_minutes",
            "travel_mode": "travel_mode", "hourly_pay": "hourly_pay_pence",
            "home_lat": "home_lat", "home_lon": "home_lon"}
_FIELD_COLUMN = {field: column for column, field in _PROFILE.items()} | {
    "availability": "availability", "skills": "skills"}


def _providers(user: User, rows: list[Row], report: ImportReport) -> dict:
    """Each row's provider id (by name or ODS code; blank: the user's own)."""
    named = {r.values["provider"] for r in rows if r.values["provider"]}
    found = {}
    if named:
        for org in db.session.scalars(sa.select(Organisation).where(
                Organisation.kind == OrganisationKind.PROVIDER,
                sa.or_(Organisation.name.in_(named), Organisation.ods_code.in_(named)))):
            found[org.name] = found[org.ods_code] = org.id
    result = {}
    for row in rows:
        name = row.values["provider"]
        provider_id = found.get(name) if name else user.organisation_id
        if provider_id is None:
            report.problems.append(Problem(row.number, "provider", "No provider of that name "
                                           "or ODS code."))
        elif not access.may_set_up(user, User, [provider_id]):
            report.problems.append(Problem(row.number, "provider", "You may not set up that "
                                           "provider's care workers."))
        else:
            result[row.number] = provider_id
    return result


def _current(worker_ids) -> tuple[dict, dict, dict]:
    """Skills, working windows and areas of the workers already there, in three reads."""
    skills, windows, areas = {}, {}, {}
    if not worker_ids:
        return skills, windows, areas
    for worker_id, skill in db.session.execute(sa.select(
            CarerSkill.worker_id, CarerSkill.skill).where(CarerSkill.worker_id.in_(worker_ids))):
        skills.setdefault(worker_id, []).append(skill.value)
    for w in db.session.execute(sa.select(CarerAvailability).where(
            CarerAvailability.worker_id.in_(worker_ids))).scalars():
        windows.setdefault(w.worker_id, []).append((w.weekday, w.start_time, w.end_time))
    for worker_id, area_id in db.session.execute(sa.select(
            CarerArea.worker_id, CarerArea.area_id).where(CarerArea.worker_id.in_(worker_ids))):
        areas.setdefault(worker_id, []).append(area_id)
    return ({k: sorted(v) for k, v in skills.items()}, {k: sorted(v) for k, v in windows.items()},
            {k: sorted(v) for k, v in areas.items()})


def _checked(row: Row, provider_id, areas: dict, report: ImportReport):
    """The row's profile, skills, windows and areas as the care worker's checks accept them."""
    values = {field: row.values[column] for column, field in _PROFILE.items()}
    found, result = [], {}
    for name, check in (
            ("profile", lambda: service.check_profile(values, provider_id, unique=False)),
            ("skills", lambda: service.check_skills(row.values["skills"])),
            ("windows", lambda: service.check_windows(row.values["availability"]))):
        try:
            result[name] = check()
        except Invalid as exc:
            found.extend(problems_of(exc, row.number, _FIELD_COLUMN))
    missing = [a for a in row.values["areas"] if a not in areas]
    if missing:
        found.append(Problem(row.number, "areas", f"No area named {', '.join(missing)}."))
    result["areas"] = sorted(areas[a] for a in row.values["areas"] if a in areas)
    report.problems.extend(found)
    return None if found else result


def plan(user: User, rows: list[Row], report: ImportReport):
    """Check every row against the care workers already there; the writes to make."""
    providers = _providers(user, rows, report)
    refs = [r.values["staff_ref"] for r in rows if r.values["staff_ref"]]
    existing = {(w.organisation_id, w.staff_ref): w for w in db.session.scalars(
        sa.select(User).where(User.staff_ref.in_(refs)))} if refs else {}
    usernames = [r.values["username"].lower() for r in rows if r.values["username"]]
    taken = set(db.session.scalars(sa.select(User.username).where(
        User.username.in_(usernames)))) if usernames else set()
    areas = dict(db.session.execute(sa.select(Area.name, Area.id)).all())
    skills, windows, worker_areas = _current([w.id for w in existing.values()])
    seen, seen_names = {}, {}
    creates, updates = [], []
    for row in rows:
        provider_id = providers.get(row.number)
        key = (provider_id, row.values["staff_ref"])
        if provider_id is None or key[1] is None:
            continue
        if key in seen:
            report.problems.append(Problem(row.number, "staff_ref",
                                           f"The same reference is on row {seen[key]}."))
            continue
        seen[key] = row.number
        checked = _checked(row, provider_id, areas, report)
        worker = existing.get(key)
        if worker is not None and worker.role != Role.CARE_WORKER:
            report.problems.append(Problem(row.number, "staff_ref", "That reference is an "
                                           "account that is not a care worker's."))
            continue
        if worker is None:
            username = (row.values["username"] or "").lower()
            if not username:
                report.problems.append(Problem(row.number, "username", "A new care worker "
                                               "needs a username."))
            elif username in taken or username in seen_names:
                report.problems.append(Problem(row.number, "username", "That username is "
                                               "taken."))
            seen_names[username] = row.number
            if checked is not None and username and username not in taken:
                creates.append((provider_id, username, key[1], checked))
            continue
        if checked is None:
            continue
        diff = {k: v for k, v in checked["profile"].items() if getattr(worker, k) != v}
        lists = {name: checked[name] for name, now in (
            ("skills", skills.get(worker.id, [])), ("windows", windows.get(worker.id, [])),
            ("areas", worker_areas.get(worker.id, []))) if checked[name] != now}
        if diff or lists:
            updates.append((worker, diff, lists))
        else:
            report.unchanged += 1
    report.created, report.updated = len(creates), len(updates)

    def apply() -> None:
        _create(user, creates)
        for worker, diff, lists in updates:
            changes.apply(user, worker, "care_worker_changed", diff)
            if "skills" in lists:
                service.set_skills(user, worker.id, lists["skills"])
            if "windows" in lists:
                service.set_availability(user, worker.id, lists["windows"])
            if "areas" in lists:
                service.set_areas(user, worker.id, lists["areas"])
        db.session.flush()

    return apply


def _create(user: User, creates: list) -> None:
    """New care workers, their skills, windows and areas, and their audit: one executemany
    per table."""
    now = clock.now()
    users, skills, windows, areas, audit = [], [], [], [], []
    for worker_id, (provider_id, username, staff_ref, checked) in zip(
            new_ids(len(creates)), creates, strict=True):
        profile = {"email": None, "contracted_weekly_minutes": None, "max_weekly_minutes": None,
                   "max_daily_minutes": None, "travel_mode": None, "hourly_pay_pence": None,
                   "home_lat": None, "home_lon": None, **checked["profile"]}
        users.append({"id": worker_id, "created_at": now, "username": username,
                      "role": Role.CARE_WORKER.value, "organisation_id": provider_id,
                      "password_hash": NO_PASSWORD, "active": True, "failed_sign_ins": 0,
                      "staff_ref": staff_ref, **profile})
        skills += [{"worker_id": worker_id, "skill": s} for s in checked["skills"]]
        windows += [{"worker_id": worker_id, "weekday": w, "start_time": s, "end_time": e}
                    for w, s, e in checked["windows"]]
        areas += [{"worker_id": worker_id, "area_id": a} for a in checked["areas"]]
        audit.append((worker_id, {"username": username, "organisation_id": provider_id,
                                  "staff_ref": staff_ref,
                                  **checked["profile"], "skills": checked["skills"]}))
    for row, row_id in zip(skills + windows, new_ids(len(skills) + len(windows)), strict=True):
        row["id"] = row_id
    bulk_insert(User.__table__, users)
    bulk_insert(CarerSkill.__table__, skills)
    bulk_insert(CarerAvailability.__table__, windows)
    bulk_insert(CarerArea.__table__, areas)
    trail.record_created_many(user, "care_worker_created", "User", audit)


def _hours(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes / 60:g}"


def export_rows(user: User) -> list[list]:
    """Every care worker the user may see, in the template's columns."""
    workers = list(db.session.scalars(access.scoped(user, User).where(
        User.role == Role.CARE_WORKER).order_by(User.staff_ref, User.username)))
    skills, windows, worker_areas = _current([w.id for w in workers])
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)).all())
    area_names = dict(db.session.execute(sa.select(Area.id, Area.name)).all())
    return [[names.get(w.organisation_id, ""), w.staff_ref or "", w.username, w.display_name,
             w.email or "", _hours(w.contracted_weekly_minutes), _hours(w.max_weekly_minutes),
             _hours(w.max_daily_minutes), w.travel_mode or "",
             "" if w.hourly_pay_pence is None else f"{w.hourly_pay_pence / 100:.2f}",
             ", ".join(skills.get(w.id, [])), cells.window_text(windows.get(w.id, [])),
             "; ".join(sorted(area_names[a] for a in worker_areas.get(w.id, []))),
             "" if w.home_lat is None else w.home_lat, "" if w.home_lon is None else w.home_lon]
            for w in workers]
