"""The commissioner's outcomes page: every outcome measure for all their providers and each.

The measures themselves are outcome_measures'; this adds, per provider, the change in
commissioned weekly hours of the packages active on the period's first and last days
(a package's hours as they stand; packages ending or starting move the figure), and the
CSV of the page's tables.
"""
from datetime import date

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CarePackage, User
from backend.services.audit import exports
from backend.services.outcomes.measures import outcome_measures, package_scope
from backend.services.audit.report_scope import check_reader, entity_labels


def _active_on(day: date):
    return sa.and_(CarePackage.start_date <= day,
                   sa.or_(CarePackage.end_date.is_(None), CarePackage.end_date >= day))


def package_hours_change(scope, first: date, last: date) -> dict:
    """Weekly hours of packages active on the first and on the last day, and the reduction."""
    start, end = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((_active_on(first), CarePackage.weekly_minutes),
                                             else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((_active_on(last), CarePackage.weekly_minutes),
                                             else_=0)), 0),
    ).where(scope)).one()
    return {"start_hours": round(start / 60, 2), "end_hours": round(end / 60, 2),
            "reduction_hours": round((start - end) / 60, 2)}


def _provider_ids(user: User) -> list:
    stmt = sa.select(CarePackage.provider_id).where(package_scope(user)).distinct()
    return list(db.session.scalars(stmt))


def outcomes_overview(user: User, first: date, last: date) -> dict:
    """{period, total, rows}: the measures for everything the user sees, then per provider."""
    check_reader(user)
    total = {**outcome_measures(user, first, last),
             "package_hours": package_hours_change(package_scope(user), first, last)}
    ids = _provider_ids(user)
    labels = entity_labels("provider", ids)
    rows = []
    for provider_id in sorted(ids, key=lambda p: labels.get(p, "")):
        rows.append({"provider": {"id": str(provider_id), "name": labels.get(provider_id, "")},
                     **outcome_measures(user, first, last, provider_id=provider_id),
                     "package_hours": package_hours_change(
                         package_scope(user, provider_id), first, last)})
    return {"period": {"from": first, "to": last}, "total": total, "rows": rows}


OUTCOME_COLUMNS = (
    ("ASCOF 2A no request for ongoing support", "ascof_2a"),
    ("ASCOF 2D in the community 12 weeks after discharge", "ascof_2d"),
    ("ASCOF 2D part 2 discharges followed by reablement", "ascof_2d_part_2"),
    ("ASCOF 2E long-term support at home or with family", "ascof_2e"),
    ("Earlier ASCOF 2B at home at 91 days", "ascof_2b_91_days"),
    ("Goals achieved", "goals_achieved"), ("Barthel gain", "barthel_gain"),
    ("Weekly hours reduction in reablement", "weekly_hours_reduction"),
)


def _measure(row: dict, key: str) -> dict:
    return row["ascof_2d"]["part_2"] if key == "ascof_2d_part_2" else row[key]


def _figure_cells(measure: dict) -> list:
    return [measure["numerator"], measure["denominator"], measure["value"]]


def outcomes_row(name: str, row: dict) -> list:
    """One provider's (or all providers') cells, in the order of outcomes_header()."""
    gas = row["gas_t_score"]["mean"]
    hours = row["package_hours"]
    return [name, *(c for _, key in OUTCOME_COLUMNS for c in _figure_cells(_measure(row, key))),
            gas["denominator"], gas["value"], hours["start_hours"], hours["end_hours"],
            hours["reduction_hours"]]


def outcomes_header() -> list[str]:
    """Column titles of the outcomes table (numerator, denominator, value per measure)."""
    header = ["Provider"]
    for title, key in OUTCOME_COLUMNS:
        value = ("mean hours a week" if key == "weekly_hours_reduction"
                 else "mean points" if key == "barthel_gain" else "share")
        numerator = ("minutes a week" if key == "weekly_hours_reduction"
                     else "points" if key == "barthel_gain" else "numerator")
        header += [f"{title}: {numerator}",
                   f"{title}: {'episodes' if value.startswith('mean') else 'denominator'}",
                   f"{title}: {value}"]
    return header + ["GAS: people", "GAS: mean T-score", "Package hours a week at start",
                     "Package hours a week at end", "Package hours a week reduction"]


def outcomes_csv(report: dict):
    """The outcomes table: one row per provider, then all providers together."""
    rows = [outcomes_row(r["provider"]["name"], r) for r in report["rows"]]
    rows.append(outcomes_row("All providers", report["total"]))
    return exports.csv_lines(outcomes_header(), rows)
