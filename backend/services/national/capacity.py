"""Capacity Tracker figures per provider and month, from the records rather than typed by hand.

Every registered home care provider updates the Capacity Tracker monthly: the people it
cares for, its workforce and absences. This gives, per provider the reader may see and
for one month: people with a package active on the month's last day and people visited
in the month; care workers employed (active accounts created by the month's end) and
those who checked in to a visit in the month; and, from leave records (models/carers.py
CarerLeave), the care workers absent at some time in the month and the days absent, by
kind of leave. People are counted within the packages the reader may see (a
commissioner: those their organisation funds); the workforce is the provider's whole.
"""
from datetime import date, timedelta

import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    CarePackage, CarerLeave, EventKind, LeaveKind, Organisation, OrganisationKind, Role, User,
    Visit, VisitEvent,
)
from backend.services.audit import exports
from backend.services.audit.report_scope import check_reader
from backend.services.database.dialect import days_between, greatest, least
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.outcomes.ascof import as_date

LEAVE_KINDS = [LeaveKind.SICKNESS, LeaveKind.ANNUAL, LeaveKind.TRAINING, LeaveKind.OTHER]


def month_of(text: str | None) -> tuple[date, date]:
    """A month given as YYYY-MM (default: last month): its first and last days."""
    if not text:
        first = clock.today().replace(day=1)
        first = (first - timedelta(days=1)).replace(day=1)
    else:
        try:
            year, month = (int(part) for part in text.split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise Invalid("Give the month as YYYY-MM, e.g. 2026-11.", field="month") from None
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _grouped(stmt) -> dict:
    return {row[0]: row[1:] for row in db.session.execute(stmt)}


def capacity_figures(user: User, month: str | None = None, provider_id=None) -> dict:
    """{month, rows}: one row of figures per provider, in name order."""
    check_reader(user)
    first, last = month_of(month)
    start_at, _ = clock.local_day_bounds(first)
    _, end_at = clock.local_day_bounds(last)
    providers = sa.select(Organisation.id, Organisation.name, Organisation.cqc_id).where(
        access.visible(user, Organisation), Organisation.kind == OrganisationKind.PROVIDER)
    if provider_id is not None:
        providers = providers.where(
            Organisation.id == access.get_visible(user, Organisation, provider_id, "provider").id)
    listed = db.session.execute(providers.order_by(Organisation.name)).all()
    ids = [p.id for p in listed]
    p = CarePackage
    packages = sa.and_(access.visible(user, CarePackage), p.provider_id.in_(ids))
    receiving = _grouped(sa.select(p.provider_id, sa.func.count(sa.distinct(p.service_user_id)))
                         .where(packages, p.start_date <= last,
                                sa.or_(p.end_date.is_(None), p.end_date >= last))
                         .group_by(p.provider_id))
    visited = _grouped(sa.select(p.provider_id, sa.func.count(sa.distinct(p.service_user_id)))
                       .join(Visit, Visit.package_id == p.id)
                       .where(packages, Visit.local_date >= first, Visit.local_date <= last,
                              Visit.actual_start.is_not(None))
                       .group_by(p.provider_id))
    carers = sa.and_(User.role == Role.CARE_WORKER, User.organisation_id.in_(ids))
    employed = _grouped(sa.select(User.organisation_id, sa.func.count())
                        .where(carers, User.active.is_(True), User.created_at < end_at)
                        .group_by(User.organisation_id))
    visiting = _grouped(sa.select(User.organisation_id, sa.func.count(sa.distinct(User.id)))
                        .join(VisitEvent, VisitEvent.worker_id == User.id)
                        .where(carers, VisitEvent.kind == EventKind.CHECK_IN,
                               VisitEvent.device_time >= start_at,
                               VisitEvent.device_time < end_at)
                        .group_by(User.organisation_id))
    leave = CarerLeave
    days = days_between(greatest(leave.start_date, as_date(first)),
                        least(leave.end_date, as_date(last))) + 1
    absences: dict = {}
    for org, kind, workers, total in db.session.execute(
            sa.select(User.organisation_id, leave.kind, sa.func.count(sa.distinct(User.id)),
                      sa.func.sum(days))
            .join(leave, leave.worker_id == User.id)
            .where(carers, leave.start_date <= last, leave.end_date >= first)
            .group_by(User.organisation_id, leave.kind)):
        absences[(org, LeaveKind(kind))] = (workers, int(total or 0))
    rows = [{
        "provider": {"id": str(row.id), "name": row.name, "cqc_id": row.cqc_id},
        "people_receiving_care": receiving.get(row.id, (0,))[0],
        "people_visited": visited.get(row.id, (0,))[0],
        "care_workers_employed": employed.get(row.id, (0,))[0],
        "care_workers_visiting": visiting.get(row.id, (0,))[0],
        "absent_care_workers": {k.value: absences.get((row.id, k), (0, 0))[0]
                                for k in LEAVE_KINDS},
        "days_absent": {k.value: absences.get((row.id, k), (0, 0))[1] for k in LEAVE_KINDS},
    } for row in listed]
    return {"month": first.strftime("%Y-%m"), "from": first, "to": last, "rows": rows}


CSV_HEADER = [
    "Provider", "CQC location ID", "Month", "People receiving care (month end)",
    "People visited in the month", "Care workers employed", "Care workers who visited",
    *[f"Care workers absent: {k.value} leave" for k in LEAVE_KINDS],
    *[f"Days absent: {k.value} leave" for k in LEAVE_KINDS]]


def capacity_csv(report: dict):
    """One row per provider, in the order the figures are asked for."""
    return exports.csv_lines(CSV_HEADER, ([
        r["provider"]["name"], r["provider"]["cqc_id"], report["month"],
        r["people_receiving_care"], r["people_visited"], r["care_workers_employed"],
        r["care_workers_visiting"], *[r["absent_care_workers"][k.value] for k in LEAVE_KINDS],
        *[r["days_absent"][k.value] for k in LEAVE_KINDS]] for r in report["rows"]))
