"""Payment per visit and in totals, streamed from the database with constant memory.

The rule is billing.bill_visit, applied once per visit: per-visit rows and totals
come from the same function, so they cannot disagree. What each bill starts from
(carers' delivered seconds, or why nothing is billed) is decided in bill_inputs.py.
Totals are summed while streaming (the rule's rounding, call-rate interpolation
and floor/ceiling are not worth duplicating in SQL); memory stays flat because
rows are read in batches from a server-side cursor and never held.

A jointly funded visit's bill is split between its funders once, per visit, to whole
pence that add up to the bill (reference/funding.split_pence). A commissioner's figures
are their organisation's share; a report by funder counts each visit for each of its
funders by share; everyone else reads whole bills, with each funder's share shown.
"""
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    CallRate, CarePackage, Contract, Organisation, Role, ServiceUser, UnverifiedVisits, User,
    Visit, VisitStatus,
)
from backend.services.audit import bill_inputs
from backend.services.audit.billing import Bill, BillingTerms, bill_visit
from backend.services.dates.periods import Period
from backend.services.audit.report_scope import Grouping, entity_labels, package_criteria
from backend.services.monitoring.rules import Judgements, verified_in_home
from backend.services.reference import funding

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


@dataclass(frozen=True)
class Billed:
    """One visit's bill and who pays it: each funder's (id, name, basis points, pence),
    the lead funder first, and the viewing commissioner's share (whole for others)."""

    bill: Bill
    funders: tuple
    share_points: int
    share_pence: int

    def __getattr__(self, name):
        """A Billed reads as its Bill (billed_minutes, amount_pence, rule ...)."""
        return getattr(self.bill, name)


class _TermsCache:
    """Each contract's terms and funders' shares, read once per report (a county has a
    few dozen contracts)."""

    def __init__(self):
        self._terms: dict = {}
        self._shares: dict = {}
        self._names: dict = {}

    def __call__(self, contract_id) -> BillingTerms:
        if contract_id not in self._terms:
            contract = db.session.get(Contract, contract_id)
            rates = db.session.scalars(
                sa.select(CallRate).where(CallRate.contract_id == contract_id)).all()
            self._terms[contract_id] = BillingTerms.of(contract, rates)
        return self._terms[contract_id]

    def shares(self, contract_id, funder_id) -> tuple:
        """((funder id, name, basis points), ...) of a package under the contract
        (funding.py), the lead funder first."""
        key = (contract_id, funder_id)
        if key not in self._shares:
            self._shares[key] = tuple(
                (f, self.name(f), points) for f, points in funding.contract_shares(
                    db.session.get(Contract, contract_id), funder_id))
        return self._shares[key]

    def name(self, organisation_id) -> str:
        """A funder's name."""
        if organisation_id not in self._names:
            self._names[organisation_id] = db.session.get(Organisation, organisation_id).name
        return self._names[organisation_id]


def billed_visits(user: User, period: Period, provider_id=None, limit: int | None = None,
                  offset: int = 0) -> Iterator[tuple]:
    """(row, Bill) for every visit in the period the user may see, streamed in batches.

    Access is checked at once (errors before any row is sent); rows follow lazily.
    """
    stmt = _visits_query(user, period, provider_id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    viewer = user.organisation_id if user.role == Role.COMMISSIONER else None
    return _stream(stmt, viewer)


def held_or_confirmed(user: User, period: Period, provider_id=None,
                      limit: int | None = None) -> Iterator[tuple]:
    """(row, Billed) of the visits in the period that a contract holding unverified visits
    may hold: completed and judged not verified in the home. Each bill says whether it is held
    or was confirmed (and by whom, and why): the same rule as every other bill."""
    stmt = (_visits_query(user, period, provider_id)
            .join(Contract, Contract.id == CarePackage.contract_id)
            .where(Contract.unverified_visits == UnverifiedVisits.HELD,
                   Visit.status == VisitStatus.COMPLETED,
                   Judgements().location_unverified()))
    viewer = user.organisation_id if user.role == Role.COMMISSIONER else None
    return _stream(stmt.limit(limit) if limit is not None else stmt, viewer)


def visit_bill(visit: Visit) -> Bill:
    """One visit's bill by the same rule (its page: billed, held or confirmed)."""
    return _bill(_TermsCache()(visit.contract_id), visit.duration_min, visit.carers_required,
                 *bill_inputs.for_visits([visit])[visit.id])


@lru_cache(maxsize=8192)
def _bill(terms: BillingTerms, planned_min: int, carers: int, seconds: tuple,
          why: str | None, not_verified: bool = False, confirmation: str | None = None) -> Bill:
    """bill_visit, remembered: planned-basis bills and undelivered visits repeat a lot."""
    return bill_visit(terms, planned_min, carers, list(seconds), why, not_verified, confirmation)


def _stream(stmt, viewer_id=None) -> Iterator[tuple]:
    """(row, Billed) per visit: the bill, split between the visit's funders."""
    terms = _TermsCache()
    result = db.session.execute(stmt.execution_options(yield_per=BATCH))
    for batch in result.partitions():
        inputs = bill_inputs.for_visits(batch)
        for row in batch:
            bill = _bill(terms(row.contract_id), row.duration_min, row.carers_required,
                         *inputs[row.id])
            yield row, _billed(bill, terms.shares(row.contract_id, row.funder_id), viewer_id)


@lru_cache(maxsize=8192)
def _billed(bill: Bill, shares: tuple, viewer_id) -> Billed:
    """A bill split between its funders ((id, name, basis points) each), remembered: bills
    and contracts repeat a lot."""
    pence = funding.split_pence(bill.amount_pence, [(f, points) for f, _, points in shares])
    funders = tuple((f, name, points, pence[f]) for f, name, points in shares)
    if viewer_id is None:
        return Billed(bill, funders, funding.WHOLE, bill.amount_pence)
    mine = {f: points for f, _, points in shares}.get(viewer_id, 0)
    return Billed(bill, funders, mine, pence.get(viewer_id, 0))


def visit_line(row, billed: Billed) -> dict:
    """One per-visit payment line, as shown and exported: the whole bill, each funder's
    share of it, and the reader's share (a commissioner's; whole for others)."""
    bill = billed.bill
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
        "share_pct": funding.as_pct(billed.share_points), "share_pence": billed.share_pence,
        "funder_shares": [{"funder_id": str(f), "funder": name,
                           "share_pct": funding.as_pct(points), "amount_pence": pence}
                          for f, name, points, pence in billed.funders],
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
    commissioner = user.role == Role.COMMISSIONER
    for row, billed in billed_visits(user, period, provider_id):
        bill = billed.bill
        if commissioner:  # their organisation's share
            parts = [(user.organisation_id, billed.share_points, billed.share_pence)]
        elif grouping.entity == "funder":  # each funder's share in its own group
            parts = [(f, points, pence) for f, _, points, pence in billed.funders]
        else:
            parts = [(row.funder_id, funding.WHOLE, bill.amount_pence)]
        for funder_id, points, pence in parts:
            key = []
            if grouping.entity:
                key.append(funder_id if grouping.entity == "funder"
                           else getattr(row, keyed[grouping.entity]))
            if grouping.time:
                key.append(_bucket(row.local_date, grouping.time))
            held = bill.held_pence if points == funding.WHOLE else _held_share(billed, funder_id)
            for figures in (groups[tuple(key)], total):
                _add(figures, row, bill, points, pence, held)
    for figures in (*groups.values(), total):
        for name in WEIGHED:
            figures[name] = funding.weighed(figures[name])
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


# Figures summed as x * basis points while streaming, shown as x once summed.
WEIGHED = ("visits", "billed_visits", "actual_minutes", "raw_minutes", "billed_minutes",
           "unbilled_actual_minutes", "held_visits", "held_actual_minutes", "held_minutes",
           "confirmed_visits")


def _held_share(billed: Billed, funder_id) -> int:
    """A funder's whole pence of what a held visit bills once confirmed, split as its bill
    would be."""
    if not billed.bill.held_pence:
        return 0
    return funding.split_pence(billed.bill.held_pence, [
        (f, points) for f, _, points, _ in billed.funders]).get(funder_id, 0)


def _add(figures: dict, row, bill: Bill, points: int, pence: int, held_pence: int) -> None:
    """One visit's share (points of funding.WHOLE; pence of its bill and of what it holds)
    into a group."""
    figures["visits"] += points
    figures["billed_visits"] += points if bill.amount_pence or bill.billed_minutes else 0
    figures["actual_minutes"] += (row.delivered_minutes or 0) * points
    figures["raw_minutes"] += bill.raw_minutes * points
    figures["billed_minutes"] += bill.billed_minutes * points
    figures["amount_pence"] += pence
    if not bill.billed_minutes:  # delivered time the rule did not bill
        figures["unbilled_actual_minutes"] += (row.delivered_minutes or 0) * points
    if not verified_in_home(row.location_verified):  # paid without proof of being there
        figures["unverified_amount_pence"] += pence
    if bill.held:
        figures["held_visits"] += points
        figures["held_actual_minutes"] += (row.delivered_minutes or 0) * points
        figures["held_minutes"] += bill.held_minutes * points
        figures["held_pence"] += held_pence
    figures["confirmed_visits"] += points if bill.confirmed else 0


def _bucket(day, dimension: str) -> str:
    if dimension == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.replace(day=1).isoformat()
