"""Payment per visit and in totals, streamed from the database with constant memory.

The rule is billing.bill_visit, applied once per visit: per-visit rows and totals
come from the same function, so they cannot disagree. What each bill starts from
(carers' delivered seconds, or why nothing is billed) is decided in bill_inputs.py.
Totals are summed while streaming (the rule's rounding, call-rate interpolation
and floor/ceiling are not worth duplicating in SQL); memory stays flat because
rows are read in batches from a server-side cursor and never held.
"""
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    CallRate, CarePackage, Contract, Organisation, ServiceUser, UnverifiedVisits, User, Visit,
    VisitStatus,
)
from backend.services.audit import bill_inputs
from backend.services.audit.billing import Bill, BillingTerms, bill_visit
from backend.services.dates.periods import Period
from backend.services.audit.report_scope import Grouping, entity_labels, package_criteria
from backend.services.monitoring.rules import Judgements, verified_in_home

BATCH = 2000
Funder = sa.orm.aliased(Organisation, name="funder")
Provider = sa.orm.aliased(Organisation, name="provider")


def _visits_query(user: User, period: Period, provider_id=None) -> sa.Select:
    return (
        sa.select(Visit.id, Visit.local_date, Visit.planned_start, Visit.duration_min,
                  Visit.carers_required, Visit.status, Visit.delivered_seconds,
                  Visit.delivered_minutes,
                  Visit.location_verified, Visit.flags, CarePackage.id.label("package_id"),
                  CarePackage.contract_id, CarePackage.provider_id, CarePackage.funder_id,
                  CarePackage.service_user_id, ServiceUser.council_ref,
                  ServiceUser.area_id, Provider.name.label("provider"),
                  Funder.name.label("funder"))
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .join(Provider, Provider.id == CarePackage.provider_id)
        .join(Funder, Funder.id == CarePackage.funder_id)
        .where(Visit.planned_start >= period.start, Visit.planned_start < period.end,
               *package_criteria(user, provider_id))
        .order_by(Visit.local_date, Visit.planned_start, Visit.id))


class _TermsCache:
    """Each contract's terms, read once per report (a county has a few dozen contracts)."""

    def __init__(self):
        self._terms: dict = {}

    def __call__(self, contract_id) -> BillingTerms:
        if contract_id not in self._terms:
            contract = db.session.get(Contract, contract_id)
            rates = db.session.scalars(
                sa.select(CallRate).where(CallRate.contract_id == contract_id)).all()
            self._terms[contract_id] = BillingTerms.of(contract, rates)
        return self._terms[contract_id]


def billed_visits(user: User, period: Period, provider_id=None, limit: int | None = None,
                  offset: int = 0) -> Iterator[tuple]:
    """(row, Bill) for every visit in the period the user may see, streamed in batches.

    Access is checked at once (errors before any row is sent); rows follow lazily.
    """
    stmt = _visits_query(user, period, provider_id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return _stream(stmt)


def held_or_confirmed(user: User, period: Period, provider_id=None,
                      limit: int | None = None) -> Iterator[tuple]:
    """(row, Bill) of the visits in the period that a contract holding unverified visits
    may hold: completed and judged not verified in the home. Each bill says whether it is held
    or was confirmed (and by whom, and why): the same rule as every other bill."""
    stmt = (_visits_query(user, period, provider_id)
            .join(Contract, Contract.id == CarePackage.contract_id)
            .where(Contract.unverified_visits == UnverifiedVisits.HELD,
                   Visit.status == VisitStatus.COMPLETED,
                   Judgements().location_unverified()))
    return _stream(stmt.limit(limit) if limit is not None else stmt)


def visit_bill(visit: Visit) -> Bill:
    """One visit's bill by the same rule (its page: billed, held or confirmed)."""
    return _bill(_TermsCache()(visit.contract_id), visit.duration_min, visit.carers_required,
                 *bill_inputs.for_visits([visit])[visit.id])


@lru_cache(maxsize=8192)
def _bill(terms: BillingTerms, planned_min: int, carers: int, seconds: tuple,
          why: str | None, not_verified: bool = False, confirmation: str | None = None) -> Bill:
    """bill_visit, remembered: planned-basis bills and undelivered visits repeat a lot."""
    return bill_visit(terms, planned_min, carers, list(seconds), why, not_verified, confirmation)


def _stream(stmt) -> Iterator[tuple]:
    terms = _TermsCache()
    result = db.session.execute(stmt.execution_options(yield_per=BATCH))
    for batch in result.partitions():
        inputs = bill_inputs.for_visits(batch)
        for row in batch:
            yield row, _bill(terms(row.contract_id), row.duration_min, row.carers_required,
                             *inputs[row.id])


def visit_line(row, bill: Bill) -> dict:
    """One per-visit payment line, as shown and exported."""
    return {
        "visit_id": str(row.id), "council_ref": row.council_ref, "provider": row.provider,
        "funder": row.funder, "date": row.local_date, "planned_start": row.planned_start,
        "status": str(row.status),
        "planned_minutes": row.duration_min * row.carers_required,
        "actual_minutes": row.delivered_minutes, "raw_seconds": bill.raw_seconds,
        "raw_minutes": bill.raw_minutes,
        "billed_minutes": bill.billed_minutes, "rate": bill.rate,
        "amount_pence": bill.amount_pence, "rule": bill.rule,
        "location_verified": row.location_verified, "flags": list(row.flags or []),
        "held": bill.held, "held_pence": bill.held_pence, "confirmed": bill.confirmed,
    }


def empty_figures() -> dict:
    """Payment figures of a group with no visits."""
    return dict(visits=0, billed_visits=0, actual_minutes=0, raw_minutes=0, billed_minutes=0,
                amount_pence=0, unbilled_actual_minutes=0, unverified_amount_pence=0,
                held_visits=0, held_actual_minutes=0, held_minutes=0, held_pence=0,
                confirmed_visits=0)


def payment_totals(user: User, period: Period, grouping: Grouping, provider_id=None) -> dict:
    """Billed visits, minutes and pence per group, with totals; zeros when empty. Also
    the delivered minutes of visits that billed nothing, the pence billed for visits
    whose location was not verified in the home (unverified money), and the visits a
    contract holds until a manager confirms them: how many, their delivered minutes, and
    the minutes and pence they bill once confirmed (held money, not in the amount)."""
    keyed = {"provider": "provider_id", "funder": "funder_id", "package": "package_id",
             "service_user": "service_user_id", "area": "area_id"}
    groups: dict = defaultdict(empty_figures)
    total = empty_figures()
    for row, bill in billed_visits(user, period, provider_id):
        key = []
        if grouping.entity:
            key.append(getattr(row, keyed[grouping.entity]))
        if grouping.time:
            key.append(_bucket(row.local_date, grouping.time))
        for figures in (groups[tuple(key)], total):
            figures["visits"] += 1
            figures["billed_visits"] += 1 if bill.amount_pence or bill.billed_minutes else 0
            figures["actual_minutes"] += row.delivered_minutes or 0
            figures["raw_minutes"] += bill.raw_minutes
            figures["billed_minutes"] += bill.billed_minutes
            figures["amount_pence"] += bill.amount_pence
            if not bill.billed_minutes:  # delivered time the rule did not bill
                figures["unbilled_actual_minutes"] += row.delivered_minutes or 0
            if not verified_in_home(row.location_verified):  # paid without proof of being there
                figures["unverified_amount_pence"] += bill.amount_pence
            if bill.held:
                figures["held_visits"] += 1
                figures["held_actual_minutes"] += row.delivered_minutes or 0
                figures["held_minutes"] += bill.held_minutes
                figures["held_pence"] += bill.held_pence
            figures["confirmed_visits"] += bill.confirmed
    labels = entity_labels(grouping.entity, {k[0] for k in groups}) if grouping.entity else {}
    rows = []
    for key in sorted(groups, key=lambda k: tuple(str(labels.get(p, p)) for p in k)):
        group, rest = {}, list(key)
        if grouping.entity:
            ident = rest.pop(0)
            group[grouping.entity] = {"id": str(ident) if ident else None,
                                      "name": labels.get(ident, "None recorded")}
        if grouping.time:
            group[grouping.time] = rest.pop(0)
        rows.append({"group": group, **groups[key]})
    return {"period": {"from": period.first, "to": period.last}, "group_by": grouping.names,
            "rows": rows, "total": total}


def _bucket(day, dimension: str) -> str:
    if dimension == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.replace(day=1).isoformat()
