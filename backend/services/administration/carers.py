"""Care workers: set up by their provider's managers with contracted hours, working
windows, leave, skills, areas, travel mode and pay. A new care worker gets no password;
they set their own from an invitation link (identity/links.py)."""
from datetime import date, time

import sqlalchemy as sa

from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.models import (
    CarerArea, CarerAvailability, CarerLeave, CarerSkill, LeaveKind, Role, Skill,
    TravelMode, User,
)
from backend.services.administration import changes
from backend.services.administration.organisations import areas_by_id, organisation_by_id
from backend.services.audit import trail
from backend.services.identity import access
from backend.services.identity.accounts import create_account
from backend.services.reference.validation import choice, coordinates, in_range

WEEK_MIN = 7 * 24 * 60
PROFILE_FIELDS = ("display_name", "email", "staff_ref", "contracted_weekly_minutes",
                  "max_weekly_minutes", "max_daily_minutes", "travel_mode", "hourly_pay_pence",
                  "home_lat", "home_lon")


def _staff_ref(value, organisation_id, own_id=None, unique: bool = True) -> str | None:
    ref = (value or "").strip() or None
    if ref and len(ref) > 40:
        raise Invalid("A staff reference has at most 40 characters.", field="staff_ref")
    if not unique:
        return ref
    query = sa.select(User.id).where(User.organisation_id == organisation_id,
                                     User.staff_ref == ref)
    if own_id is not None:
        query = query.where(User.id != own_id)
    if ref and db.session.scalar(query):
        raise Conflict("Another care worker of the provider has that staff reference.",
                       fields={"staff_ref": ["Already in use."]})
    return ref


def check_profile(values: dict, organisation_id, current: User | None = None,
                  unique: bool = True) -> dict:
    """A care worker's profile fields checked, the one at fault named (unique=False: the
    import checks staff references for the whole file at once)."""
    checked = {}
    if "home_lat" in values or "home_lon" in values:
        lat = values.get("home_lat", current and current.home_lat)
        lon = values.get("home_lon", current and current.home_lon)
        checked["home_lat"], checked["home_lon"] = (None, None) if lat is None and lon is None \
            else coordinates(lat, lon, "home_lat", "home_lon")
    for name, value in values.items():
        if name in ("contracted_weekly_minutes", "max_weekly_minutes"):
            checked[name] = None if value is None else in_range(value, 0, WEEK_MIN, name,
                                                                 "minutes a week")
        elif name == "max_daily_minutes":
            checked[name] = None if value is None else in_range(value, 0, 24 * 60, name,
                                                                 "minutes a day")
        elif name == "hourly_pay_pence":
            checked[name] = None if value is None else in_range(value, 0, 100_000, name,
                                                                 "hourly pay in pence")
        elif name == "travel_mode":
            checked[name] = None if value in (None, "") else choice(TravelMode, value, name).value
        elif name == "staff_ref":
            checked[name] = _staff_ref(value, organisation_id, current and current.id, unique)
        elif name == "display_name":
            if not (value or "").strip() or len(value) > 200:
                raise Invalid("A name is 1 to 200 characters.", field=name)
            checked[name] = value.strip()
        elif name == "email":
            email = (value or "").strip() or None
            if email and ("@" not in email or len(email) > 200):
                raise Invalid("That is not an email address.", field=name)
            checked[name] = email
        elif name not in ("home_lat", "home_lon"):
            raise Invalid(f"{name} is not a field of a care worker.", field=name)
    weekly = checked.get("contracted_weekly_minutes", current and current.contracted_weekly_minutes)
    most = checked.get("max_weekly_minutes", current and current.max_weekly_minutes)
    if weekly is not None and most is not None and weekly > most:
        raise Invalid("The contracted time is more than the most a week.",
                      field="contracted_weekly_minutes")
    return checked


def create_care_worker(user: User, provider_id, username: str, display_name: str,
                       skills=(), availability=(), area_ids=(), **profile) -> User:
    """A new care worker of a provider, with no password until they accept an invitation."""
    provider = organisation_by_id(provider_id, "provider_id")
    access.require_set_up(user, User, [provider.id], "care worker")
    checked = check_profile({"display_name": display_name, **profile}, provider.id)
    worker = create_account(username, Role.CARE_WORKER, provider, checked.pop("display_name"),
                            checked.pop("email", None))
    for name, value in checked.items():
        setattr(worker, name, value)
    db.session.flush()
    if worker.staff_ref is None:  # a handle for the export and re-import to match on
        worker.staff_ref = f"CW-{worker.id.hex[:8].upper()}"
    changes.created(user, worker, "care_worker_created",
                    ("username", "display_name", "organisation_id", *checked))
    set_skills(user, worker.id, skills)
    set_availability(user, worker.id, availability)
    set_areas(user, worker.id, area_ids)
    return worker


def get_care_worker(user: User, worker_id) -> User:
    """A care worker the user may administer; NotFound for anyone else."""
    worker = access.get_administrable(user, User, worker_id, "care worker")
    if worker.role != Role.CARE_WORKER:
        raise NotFound("No care worker with that id.")
    return worker


def update_care_worker(user: User, worker_id, **values) -> User:
    """Change a care worker's profile: hours, pay, travel mode, home base, reference."""
    worker = get_care_worker(user, worker_id)
    changes.apply(user, worker, "care_worker_changed",
                  check_profile(values, worker.organisation_id, worker))
    db.session.flush()
    return worker


def set_skills(user: User, worker_id, skills) -> list[str]:
    """Replace what the care worker is trained for."""
    worker = get_care_worker(user, worker_id)
    wanted = check_skills(skills)
    rows = db.session.scalars(sa.select(CarerSkill).where(CarerSkill.worker_id == worker.id))
    have = {row.skill.value: row for row in rows}
    if sorted(have) != wanted:
        for skill, row in have.items():
            if skill not in wanted:
                db.session.delete(row)
        for skill in wanted:
            if skill not in have:
                db.session.add(CarerSkill(worker_id=worker.id, skill=Skill(skill)))
        trail.record_change(user, "care_worker_skills_changed", worker,
                            {"skills": sorted(have)}, {"skills": wanted})
        db.session.flush()
    return wanted


def _window(window, i: int) -> tuple[int, time, time]:
    weekday, start, end = window
    field = f"availability[{i}]"
    in_range(weekday, 0, 6, f"{field}.weekday", "weekday (0 = Monday)")
    if not isinstance(start, time) or not isinstance(end, time):
        raise Invalid("A working window has a start and an end time.", field=field)
    if end <= start:
        raise Invalid("A working window ends after it starts.", field=f"{field}.end_time")
    return weekday, start, end


def check_windows(windows) -> list[tuple]:
    """Weekly working windows [(weekday, start, end)], sorted; no two overlap."""
    wanted = sorted(_window(w, i) for i, w in enumerate(windows))
    for (day_a, _, end_a), (day_b, start_b, _) in zip(wanted, wanted[1:], strict=False):
        if day_a == day_b and start_b < end_a:
            raise Invalid("Two working windows overlap on the same day.", field="availability")
    return wanted


def check_skills(skills) -> list[str]:
    """Skills by their values, sorted and without repeats."""
    return sorted({choice(Skill, s, "skills").value for s in skills})


def set_availability(user: User, worker_id, windows) -> list[tuple]:
    """Replace the weekly working windows [(weekday, start, end)]; no two overlap."""
    worker = get_care_worker(user, worker_id)
    wanted = check_windows(windows)
    rows = list(db.session.scalars(sa.select(CarerAvailability).where(
        CarerAvailability.worker_id == worker.id)))
    have = sorted((r.weekday, r.start_time, r.end_time) for r in rows)
    if have != wanted:
        for row in rows:
            db.session.delete(row)
        for weekday, start, end in wanted:
            db.session.add(CarerAvailability(worker_id=worker.id, weekday=weekday,
                                             start_time=start, end_time=end))
        trail.record_change(user, "care_worker_availability_changed", worker,
                            {"availability": have}, {"availability": wanted})
        db.session.flush()
    return wanted


def set_areas(user: User, worker_id, area_ids) -> list:
    """Replace the areas (lots) the care worker works in."""
    worker = get_care_worker(user, worker_id)
    wanted = areas_by_id(area_ids)
    rows = list(db.session.scalars(sa.select(CarerArea).where(CarerArea.worker_id == worker.id)))
    have = sorted(str(r.area_id) for r in rows)
    if have != sorted(str(a.id) for a in wanted):
        for row in rows:
            db.session.delete(row)
        db.session.flush()
        for area in wanted:
            db.session.add(CarerArea(worker_id=worker.id, area_id=area.id))
        trail.record_change(user, "care_worker_areas_changed", worker, {"areas": have},
                            {"areas": sorted(str(a.id) for a in wanted)})
        db.session.flush()
    return wanted


def add_leave(user: User, worker_id, start_date: date, end_date: date, kind="annual",
              reason: str = "") -> CarerLeave:
    """Days the care worker is away (inclusive); overlapping leave is refused."""
    worker = get_care_worker(user, worker_id)
    if not isinstance(start_date, date) or not isinstance(end_date, date):
        raise Invalid("Leave has a first and a last day.", field="start_date")
    if end_date < start_date:
        raise Invalid("The leave ends before it starts.", field="end_date")
    kind = choice(LeaveKind, kind, "kind")
    if db.session.scalar(sa.select(CarerLeave.id).where(
            CarerLeave.worker_id == worker.id, CarerLeave.start_date <= end_date,
            CarerLeave.end_date >= start_date)):
        raise Conflict("This overlaps leave already recorded.",
                       fields={"start_date": ["Overlaps other leave."]})
    leave = CarerLeave(worker_id=worker.id, start_date=start_date, end_date=end_date,
                       kind=kind, reason=(reason or "").strip()[:200])
    db.session.add(leave)
    db.session.flush()
    changes.created(user, leave, "care_worker_leave_added",
                    ("worker_id", "start_date", "end_date", "kind", "reason"))
    return leave


def cancel_leave(user: User, leave_id) -> None:
    """Remove leave that will not be taken (the audit log keeps what it was)."""
    leave = db.session.get(CarerLeave, leave_id)
    get_care_worker(user, leave.worker_id if leave else None)
    trail.record_change(user, "care_worker_leave_cancelled", leave,
                        {"start_date": leave.start_date, "end_date": leave.end_date,
                         "kind": leave.kind}, {})
    db.session.delete(leave)
    db.session.flush()


def care_worker_profile(user: User, worker_id) -> dict:
    """A care worker with their skills, windows, leave and areas."""
    worker = get_care_worker(user, worker_id)

    def by_worker(model):
        return sa.select(model).where(model.worker_id == worker.id)

    return {"worker": worker,
            "skills": sorted(s.skill.value for s in db.session.scalars(by_worker(CarerSkill))),
            "availability": list(db.session.scalars(by_worker(CarerAvailability).order_by(
                CarerAvailability.weekday, CarerAvailability.start_time))),
            "leave": list(db.session.scalars(by_worker(CarerLeave).order_by(
                CarerLeave.start_date))),
            "areas": list(db.session.scalars(by_worker(CarerArea)))}


def list_care_workers(user: User, provider_id=None) -> list[User]:
    """Care workers the user may see (a manager: their provider's), by name."""
    query = access.scoped(user, User).where(User.role == Role.CARE_WORKER).order_by(
        User.display_name)
    if provider_id is not None:
        query = query.where(User.organisation_id == provider_id)
    return list(db.session.scalars(query))
