"""The overview's drill-down: one provider's packages for a period (the person's name on
each, the largest shortfall first), then one package's visits, how late each started.

Both are scoped like every report: a commissioner sees only packages their organisation
funds, so a provider they hold no contract with, or another funder's package, is NotFound.
"""
import uuid

import sqlalchemy as sa

from backend.errors import NotFound
from backend.extensions import db
from backend.models import (
    CarePackage, Organisation, OrganisationKind, ServiceUser, User, Visit, VisitStatus,
)
from backend.services.audit import hours, quality
from backend.services.audit.report_scope import check_reader, parse_grouping
from backend.services.dates import clock
from backend.services.dates.periods import Period
from backend.services.identity.access import get_visible
from backend.services.monitoring import rules
from backend.services.reference import funding

# What the package page says of each visit, in the rulebook's words.
JUDGED = (rules.LATE, rules.MISSED, rules.SHORT, rules.EARLY_FINISH)


def provider_packages(user: User, provider_id, period: Period) -> dict:
    """Per package of the provider the user may see: hours and quality for the period."""
    provider = get_visible(user, Organisation, provider_id, "provider")
    if provider.kind != OrganisationKind.PROVIDER:
        raise NotFound("No provider with that id.")
    report = hours.hours_report(user, period, parse_grouping("package"), provider.id)
    by_package = quality.package_quality(user, period, provider.id)
    people = dict(db.session.execute(
        sa.select(CarePackage.id, ServiceUser).join(
            ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .where(CarePackage.id.in_([uuid.UUID(r["group"]["package"]["id"])
                                   for r in report["rows"]]))).all())
    shares = funding.package_points(user, [uuid.UUID(r["group"]["package"]["id"])
                                          for r in report["rows"]])
    rows = [{"package": r["group"]["package"], **r,
             "person": people.get(uuid.UUID(r["group"]["package"]["id"])),
             # The reader's share of a jointly funded package (100 when wholly theirs).
             "share_pct": funding.as_pct(
                 shares.get(uuid.UUID(r["group"]["package"]["id"]), funding.WHOLE)),
             "shortfall_hours": r["commissioned_hours"] - r["delivered_hours"],
             "quality": by_package.get(uuid.UUID(r["group"]["package"]["id"]), {})}
            for r in report["rows"]]
    # The packages furthest short of what was commissioned come first.
    rows.sort(key=lambda r: (-r["shortfall_hours"], r["package"]["name"]))
    return {"provider": provider, "period": period, "rows": rows, "total": report["total"]}


def package_visits(user: User, package_id, period: Period, now=None) -> dict:
    """A package the user may see and its visits planned in the period, with totals and
    what the rulebook judges each visit (`judged`: by visit id, the JUDGED names true)."""
    check_reader(user)
    package = get_visible(user, CarePackage, package_id, "package")
    judge = rules.Judgements()
    at = rules.at_instant(now or clock.now())
    rows = db.session.execute(
        rules.with_rule(sa.select(Visit, *(judge.judged(name, at).label(name)
                                           for name in JUDGED)))
        .where(Visit.package_id == package.id, Visit.planned_start >= period.start,
               Visit.planned_start < period.end)
        .order_by(Visit.planned_start)).all()
    visits = [row[0] for row in rows]
    judged = {row[0].id: [name for name in JUDGED if row._mapping[name]] for row in rows}
    # How late each late visit started (or, not started, has been waiting): minutes after
    # the planned start, beside the rulebook's "late".
    moment = now or clock.now()
    late_by = {v.id: int(((v.actual_start or moment) - v.planned_start).total_seconds() // 60)
               for v in visits if rules.LATE in judged[v.id]}
    live = [v for v in visits if v.status != VisitStatus.CANCELLED]
    total = {
        "visits": len(live),
        "planned_minutes": sum(v.duration_min * v.carers_required for v in live),
        "delivered_minutes": sum(v.delivered_minutes or 0 for v in visits),
        "verified_minutes": sum(v.delivered_minutes or 0 for v in visits
                                if v.location_verified),
        "missed": sum(1 for found in judged.values() if rules.MISSED in found),
    }
    return {"package": package, "period": period, "visits": visits, "judged": judged,
            "late_by": late_by, "total": total}
