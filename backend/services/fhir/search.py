"""Reading FHIR resources: by id, by search (`patient`, `date`), for a person or a provider.

Every read goes through the access rules (identity/access.py): a commissioner sees the
people and visits of the packages their organisation funds, a provider manager their own
provider's; an id the user may not see answers 404, a search simply does not find it.
Each resource type is one query (plus one for the carers of visits), so a person's year
of visits is a handful of statements.
"""
import uuid
from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from backend.errors import BadRequest, NotFound
from backend.extensions import db
from backend.models import (
    CarePackage, EventKind, Goal, GoalProgress, Organisation, ReablementEpisode, ScheduleLine,
    ServiceUser, User, Visit, VisitAssignment, VisitEvent,
)
from backend.services.dates import clock
from backend.services.fhir import resources
from backend.services.identity import access

TYPES = ("Patient", "Appointment", "Encounter", "EpisodeOfCare", "CarePlan", "Goal",
         "Observation")
PREFIXES = ("eq", "ge", "gt", "le", "lt")
Provider = sa.orm.aliased(Organisation, name="provider")


def parse_dates(values) -> list[tuple[str, date]]:
    """FHIR date search values: an optional prefix (eq, ge, gt, le, lt) and YYYY-MM-DD."""
    found = []
    for value in values or ():
        prefix = value[:2] if value[:2] in PREFIXES else "eq"
        text = value[2:] if value[:2] in PREFIXES else value
        try:
            found.append((prefix, date.fromisoformat(text[:10]) if len(text) >= 10 else
                          date.fromisoformat(text)))
        except ValueError:
            raise BadRequest("A date is searched as [eq|ge|gt|le|lt]YYYY-MM-DD.",
                             fields={"date": [f"Not a date: {value!r}."]}) from None
    return found


def parse_patient(value: str | None):
    """`patient=Patient/<id>` or `patient=<id>` as a UUID; None when not given."""
    if not value:
        return None
    text = value.removeprefix("Patient/")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise BadRequest("A patient is searched by its id: patient=Patient/<id>.",
                         fields={"patient": [f"Not a patient id: {value!r}."]}) from None


def _on_day(column, prefix: str, day: date):
    return {"eq": column == day, "ge": column >= day, "gt": column > day,
            "le": column <= day, "lt": column < day}[prefix]


def _on_instant(column, prefix: str, day: date):
    start, end = clock.local_day_bounds(day)
    return {"eq": sa.and_(column >= start, column < end), "ge": column >= start,
            "gt": column >= end, "le": column < end, "lt": column < start}[prefix]


def _in_period(start, end, prefix: str, day: date):
    """A period matches a date when they overlap (FHIR's rule for Period)."""
    open_or = sa.or_(end.is_(None), end >= day) if prefix in ("eq", "ge") else \
        sa.or_(end.is_(None), end > day)
    return {"eq": sa.and_(start <= day, open_or), "ge": open_or, "gt": open_or,
            "le": start <= day, "lt": start < day}[prefix]


class Scope:
    """What a read is narrowed to: ids, a person, a provider, dates."""

    def __init__(self, ids=None, patient=None, provider=None, dates=()):
        self.ids, self.patient, self.provider, self.dates = ids, patient, provider, dates

    def where(self, id_column, person_column, provider_column, date_clause) -> list:
        """The WHERE clauses; `provider_column` is a provider id column, or None for a
        record that belongs to a person (then: people with a package of the provider)."""
        clauses = []
        if self.ids is not None:
            clauses.append(id_column.in_(self.ids))
        if self.patient is not None:
            clauses.append(person_column == self.patient)
        if self.provider is not None:
            clauses.append(provider_column == self.provider if provider_column is not None
                           else person_column.in_(sa.select(CarePackage.service_user_id).where(
                               CarePackage.provider_id == self.provider)))
        clauses += [date_clause(prefix, day) for prefix, day in self.dates]
        return clauses


def _patients(user: User, scope: Scope) -> list[dict]:
    p = ServiceUser
    stmt = sa.select(p.id, p.council_ref, p.nhs_number, p.first_name, p.last_name,
                     p.date_of_birth, p.date_of_death).where(
        access.visible(user, p), *Scope(scope.ids, scope.patient, scope.provider).where(
            p.id, p.id, None, None))
    return [resources.patient(r) for r in db.session.execute(stmt.order_by(p.council_ref))]


def _visit_rows(user: User, scope: Scope, delivered_only: bool) -> list:
    v = Visit
    stmt = (sa.select(v.id, v.status, v.planned_start, v.planned_end, v.duration_min,
                      v.cancel_reason, v.actual_start, v.actual_end, v.delivered_minutes,
                      CarePackage.service_user_id, CarePackage.package_type,
                      Provider.name.label("provider"), Provider.ods_code.label("provider_ods"))
            .join(CarePackage, CarePackage.id == v.package_id)
            .join(Provider, Provider.id == CarePackage.provider_id)
            .where(access.visible(user, Visit), *scope.where(
                v.id, CarePackage.service_user_id, CarePackage.provider_id,
                lambda prefix, day: _on_day(v.local_date, prefix, day))))
    if delivered_only:
        stmt = stmt.where(v.actual_start.is_not(None))
    return db.session.execute(stmt.order_by(v.planned_start, v.id)).all()


def _visits(user: User, scope: Scope, delivered: bool) -> list[dict]:
    rows = _visit_rows(user, scope, delivered)
    carers = _carers([r.id for r in rows], delivered)
    build = resources.encounter if delivered else resources.appointment
    return [build(r, carers.get(r.id, [])) for r in rows]


def _appointments_and_encounters(user: User, scope: Scope) -> list[dict]:
    """Both from one read of the visits (a person's year is a thousand or more)."""
    rows = _visit_rows(user, scope, False)
    ids = [r.id for r in rows]
    rota, attended = _carers(ids, False), _carers([r.id for r in rows if r.actual_start], True)
    return [*(resources.appointment(r, rota.get(r.id, [])) for r in rows),
            *(resources.encounter(r, attended.get(r.id, [])) for r in rows if r.actual_start)]


def _carers(visit_ids: list, delivered: bool) -> dict:
    """{visit id: carer names}: those who checked in, or those on the rota."""
    found: dict = defaultdict(list)
    for start in range(0, len(visit_ids), 1000):
        chunk = visit_ids[start:start + 1000]
        if delivered:
            stmt = (sa.select(VisitEvent.visit_id, User.display_name)
                    .join(User, User.id == VisitEvent.worker_id)
                    .where(VisitEvent.visit_id.in_(chunk),
                           VisitEvent.kind == EventKind.CHECK_IN)
                    .order_by(VisitEvent.device_time))
        else:
            stmt = (sa.select(VisitAssignment.visit_id, User.display_name)
                    .join(User, User.id == VisitAssignment.worker_id)
                    .where(VisitAssignment.visit_id.in_(chunk)).order_by(User.display_name))
        for visit_id, name in db.session.execute(stmt):
            found[visit_id].append(name)
    return found


def _episode_rows(user: User, scope: Scope):
    e = ReablementEpisode
    return db.session.execute(
        sa.select(e.id, e.service_user_id, e.start_date, e.actual_end, e.barthel_start_total,
                  e.barthel_end_total, Provider.name.label("provider"),
                  Provider.ods_code.label("provider_ods"))
        .join(CarePackage, CarePackage.id == e.package_id)
        .join(Provider, Provider.id == CarePackage.provider_id)
        .where(access.visible(user, ReablementEpisode), *scope.where(
            e.id, e.service_user_id, CarePackage.provider_id,
            lambda prefix, day: _in_period(e.start_date, e.actual_end, prefix, day)))
        .order_by(e.start_date, e.id)).all()


def _episodes(user: User, scope: Scope) -> list[dict]:
    return [resources.episode_of_care(r) for r in _episode_rows(user, scope)]


def _care_plans(user: User, scope: Scope) -> list[dict]:
    p = CarePackage
    rows = db.session.execute(
        sa.select(p.id, p.service_user_id, p.package_type, p.status, p.start_date, p.end_date,
                  Provider.name.label("provider"), Provider.ods_code.label("provider_ods"))
        .join(Provider, Provider.id == p.provider_id)
        .where(access.visible(user, CarePackage), *scope.where(
            p.id, p.service_user_id, p.provider_id,
            lambda prefix, day: _in_period(p.start_date, p.end_date, prefix, day)))
        .order_by(p.start_date, p.id)).all()
    ids = [r.id for r in rows]
    lines, goals = defaultdict(list), defaultdict(list)
    if ids:
        for line in db.session.scalars(sa.select(ScheduleLine).where(
                ScheduleLine.package_id.in_(ids)).order_by(ScheduleLine.weekday,
                                                           ScheduleLine.start_time)):
            lines[line.package_id].append(line)
        for goal_id, package_id in db.session.execute(sa.select(Goal.id, Goal.package_id).where(
                Goal.package_id.in_(ids)).order_by(Goal.created_at, Goal.id)):
            goals[package_id].append(goal_id)
    return [resources.care_plan(r, lines[r.id], goals[r.id]) for r in rows]


def _goals(user: User, scope: Scope) -> list[dict]:
    g = Goal
    rows = db.session.execute(
        sa.select(g.id, g.service_user_id, g.status, g.domain, g.description, g.created_at,
                  g.closed_at, g.measure, g.target)
        .where(access.visible(user, Goal), *scope.where(
            g.id, g.service_user_id, None,
            lambda prefix, day: _on_instant(g.created_at, prefix, day)))
        .order_by(g.created_at, g.id)).all()
    return [resources.goal(r) for r in rows]


def _observations(user: User, scope: Scope) -> list[dict]:
    found = []
    barthel_ids = None
    if scope.ids is not None:  # Barthel observations are named barthel-start-<episode id>
        barthel_ids = [i for i in scope.ids if isinstance(i, tuple)]
    episode_scope = Scope([e for _, e in barthel_ids] if barthel_ids is not None else None,
                          scope.patient, scope.provider)
    for r in _episode_rows(user, episode_scope):
        for which, day, total in (("start", r.start_date, r.barthel_start_total),
                                  ("end", r.actual_end, r.barthel_end_total)):
            wanted = barthel_ids is None or (which, r.id) in barthel_ids
            if total is not None and day is not None and wanted and all(
                    _matches(day, prefix, d) for prefix, d in scope.dates):
                found.append(resources.barthel_observation(r, which))
    progress_ids = [i for i in scope.ids if not isinstance(i, tuple)] \
        if scope.ids is not None else None
    p = GoalProgress
    progress_scope = Scope(progress_ids, scope.patient, scope.provider, scope.dates)
    rows = db.session.execute(
        sa.select(p.id, p.goal_id, p.score, p.recorded_at, p.supersedes_id, Goal.measure,
                  Goal.service_user_id)
        .join(Goal, Goal.id == p.goal_id)
        .where(*_progress_clauses(user, progress_scope))
        .order_by(p.recorded_at, p.id)).all()
    return found + [resources.goal_observation(r) for r in rows]


def _progress_clauses(user: User, scope: Scope) -> list:
    p = GoalProgress
    correction = sa.orm.aliased(GoalProgress)
    return [access.visible(user, Goal),
            ~sa.exists().where(correction.supersedes_id == p.id),  # the current score only
            *scope.where(p.id, Goal.service_user_id, None,
                         lambda prefix, day: _on_instant(p.recorded_at, prefix, day))]


def _matches(day: date, prefix: str, wanted: date) -> bool:
    return {"eq": day == wanted, "ge": day >= wanted, "gt": day > wanted,
            "le": day <= wanted, "lt": day < wanted}[prefix]


FINDERS = {
    "Patient": _patients, "Appointment": lambda u, s: _visits(u, s, False),
    "Encounter": lambda u, s: _visits(u, s, True), "EpisodeOfCare": _episodes,
    "CarePlan": _care_plans, "Goal": _goals, "Observation": _observations,
}


def _resource_id(kind: str, text: str):
    """A resource id as stored: a UUID, or ("start"|"end", episode UUID) for Barthel."""
    try:
        if kind == "Observation" and text.startswith("barthel-"):
            which, _, rest = text.removeprefix("barthel-").partition("-")
            if which not in ("start", "end"):
                raise ValueError(text)
            return which, uuid.UUID(rest)
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"No {kind} with that id.") from None


def read(user: User, kind: str, resource_id: str) -> dict:
    """One resource by id, or NotFound (unknown type, unknown id or not the user's)."""
    if kind not in FINDERS:
        raise NotFound(f"This server has no {kind} resources.")
    found = FINDERS[kind](user, Scope(ids=[_resource_id(kind, resource_id)]))
    if not found:
        raise NotFound(f"No {kind} with that id.")
    return found[0]


def search(user: User, kind: str, patient=None, dates=()) -> list[dict]:
    """The resources of a type the user may see, for a person and dates when given. A
    search other than Patient names the person: a county's visits are millions, and a
    provider's period has its own Bundle."""
    if kind not in FINDERS:
        raise NotFound(f"This server has no {kind} resources.")
    if kind != "Patient" and patient is None:
        raise BadRequest(f"Search {kind} by patient: ?patient=Patient/<id>.",
                         fields={"patient": ["Required."]})
    return FINDERS[kind](user, Scope(patient=patient, dates=dates))


def _everything(user: User, scope: Scope, patients: Scope) -> list[dict]:
    found = _patients(user, patients) + _appointments_and_encounters(user, scope)
    for kind in TYPES[3:]:
        found += FINDERS[kind](user, scope)
    return found


def for_person(user: User, person_id, dates=()) -> list[dict]:
    """The person's Patient and every resource about them (NotFound if not the user's)."""
    access.get_visible(user, ServiceUser, person_id, "patient")
    return _everything(user, Scope(patient=person_id, dates=dates), Scope(patient=person_id))


def for_provider(user: User, provider_id, dates=()) -> list[dict]:
    """Every resource about the provider's people the user may see, in the dates."""
    provider = access.get_visible(user, Organisation, provider_id, "provider")
    return _everything(user, Scope(provider=provider.id, dates=dates),
                       Scope(provider=provider.id))
