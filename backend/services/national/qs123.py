"""NICE QS123 statement 4, length of home care visits, per provider and funder.

Quality statement 4 (NICE QS123, "Home care for older people", 2016): older people have
visits of at least 30 minutes except when a short visit for specific tasks or checks
has been agreed as part of a wider package of support. Its two process measures:

a) visits to older people lasting 30 minutes or longer, of all visits to older people;
b) of the visits under 30 minutes, those with a prior agreement that a shorter visit
   is acceptable (the pattern line's "short call agreed", copied to each visit).

A visit's length here is its planned length (what the plan and the commissioner
agreed); a visit counts when it was due (not cancelled) on a local day in the period.
"Older people": 65 or over on the visit's day (whole years as DHSC counts them); the
visits to younger people and to people without a date of birth are counted apart.
A jointly funded visit counts for each of its funders by share (0.7 and 0.3 of a visit;
reference/funding.py), so each funder's row has its share and the proportions stand.
"""
import uuid
from datetime import date

import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import CarePackage, ServiceUser, User, Visit
from backend.services.audit import exports
from backend.services.audit.report_scope import check_reader, entity_labels
from backend.services.monitoring import rules
from backend.services.outcomes.ascof import aged_at_least, figure
from backend.services.outcomes.measures import default_period, package_scope
from backend.services.reference import funding

SOURCE = "https://www.nice.org.uk/guidance/qs123/chapter/quality-statement-4-length-of-home-care-visits"
SHORT_VISIT_MINUTES = 30
OLDER_PEOPLE_FROM = 65


def under_30(visit=Visit) -> sa.ColumnElement[bool]:
    """A visit planned for less than 30 minutes (NICE NG21 1.4.7 and QS123 statement 4)."""
    return visit.duration_min < SHORT_VISIT_MINUTES


def visit_length(user: User, start: date | None = None, end: date | None = None,
                 provider_id=None, funder_id=None) -> dict:
    """{period, total, rows}: QS123 statement 4's two proportions, per provider and funder
    (each row a provider and the funder of the packages), and for all together; the
    period defaults to the last twelve months."""
    check_reader(user)
    default_start, default_end = default_period()
    end = end or default_end
    start = start or min(default_start, end)
    if end < start:
        raise Invalid("The period ends before it starts.", field="to")
    person = ServiceUser
    older = sa.and_(person.date_of_birth.is_not(None),
                    aged_at_least(person.date_of_birth, Visit.local_date, OLDER_PEOPLE_FROM))
    short = under_30()
    agreed = Visit.short_call_agreed.is_(True)
    split = funding.split_for(user, by_funder=True)
    if funder_id is not None and split.viewer_id is None:  # one funder's rows only
        split = funding.Split(True, uuid.UUID(str(funder_id)))

    def count_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, split.points), else_=0)), 0)

    groups = (CarePackage.provider_id, split.funder)
    stmt = split.apply(sa.select(
        *groups, count_if(older), count_if(sa.and_(older, ~short)),
        count_if(sa.and_(older, short)), count_if(sa.and_(older, short, agreed)),
        count_if(sa.and_(person.date_of_birth.is_not(None), ~older)),
        count_if(person.date_of_birth.is_(None)),
    ).select_from(Visit).join(CarePackage, CarePackage.id == Visit.package_id)) \
        .join(person, person.id == CarePackage.service_user_id) \
        .where(package_scope(user, provider_id, funder_id), rules.Judgements().live(),
               Visit.local_date >= start, Visit.local_date <= end) \
        .group_by(*groups)
    counts = [(p, f, [funding.weighed(v) for v in rest])
              for p, f, *rest in db.session.execute(stmt)]
    providers = entity_labels("provider", {p for p, _, _ in counts})
    funders = entity_labels("funder", {f for _, f, _ in counts})
    rows = [{"provider": {"id": str(p), "name": providers.get(p, "")},
             "funder": {"id": str(f), "name": funders.get(f, "")}, **_figures(c)}
            for p, f, c in sorted(counts, key=lambda r: (providers.get(r[0], ""),
                                                         funders.get(r[1], "")))]
    total = [sum(c[i] for _, _, c in counts) for i in range(6)]
    return {"period": {"from": start, "to": end},
            "scope": {"provider_id": provider_id, "funder_id": funder_id},
            "total": _figures(total), "rows": rows,
            "definition": {"name": "NICE QS123 statement 4: length of home care visits",
                           "sources": [SOURCE]}}


def _figures(c: list) -> dict:
    visits, long_enough, short, agreed, younger, age_unknown = c
    return {"at_least_30_minutes": figure(long_enough, visits),
            "short_agreed": figure(agreed, short),
            "left_out": {"under_65": younger, "age_unknown": age_unknown}}


CSV_HEADER = ["Provider", "Funder", "Visits to older people",
              "Visits of 30 minutes or longer", "Share of 30 minutes or longer",
              "Visits under 30 minutes", "Of which agreed in the plan",
              "Share of short visits agreed", "Left out: under 65", "Left out: age unknown"]


def _csv_row(provider: str, funder: str, r: dict) -> list:
    a, b = r["at_least_30_minutes"], r["short_agreed"]
    return [provider, funder, a["denominator"], a["numerator"], a["value"], b["denominator"],
            b["numerator"], b["value"], r["left_out"]["under_65"], r["left_out"]["age_unknown"]]


def visit_length_csv(report: dict):
    """The table as CSV lines: one row per provider and funder, then all together."""
    rows = [_csv_row(r["provider"]["name"], r["funder"]["name"], r) for r in report["rows"]]
    rows.append(_csv_row("All providers", "All funders", report["total"]))
    return exports.csv_lines(CSV_HEADER, rows)
