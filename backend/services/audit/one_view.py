"""The commissioner's one view: per provider, for a week or a month, what was bought and
what it became: commissioned -> planned -> delivered -> verified in the home -> billed
(hours and pounds), rated red/amber/green against the contract's targets, with the
last twelve weeks' trend and a line explaining every difference between delivered and
billed hours.

Every figure comes from the existing engines, never a second rule: hours from
hours.hours_report, money from payment.payment_totals (billing.bill_visit once per
visit), home logging and the share of travel time the rota allows for from
quality.quality_report, targets from targets.py.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    BillingBasis, CarePackage, Contract, DoubleUpRule, EventKind, UnverifiedVisits, User, Visit,
    VisitEvent,
)
from backend.services.audit import hours, payment, quality
from backend.services.audit.report_scope import package_criteria, parse_grouping
from backend.services.audit.targets import Targets, provider_targets, rag
from backend.services.dates import clock, periods

UNITS = ("week", "month")
TREND_WEEKS = 12
_BASIS_WORDS = {BillingBasis.PLANNED: "paid on planned time",
                BillingBasis.ACTUAL: "paid on actual time",
                BillingBasis.ACTUAL_CAPPED: "actual time capped at planned"}


@dataclass
class Stage:
    """One step from commissioned to billed."""

    name: str
    hours: Decimal
    pence: int | None = None  # billed only
    unverified_pence: int | None = None
    held_pence: int | None = None  # held for a manager's confirmation, not in pence
    held_visits: int = 0


@dataclass
class ProviderView:
    """One provider (or all of them) in the one view."""

    provider: dict
    stages: list[Stage]
    delivered_pct: Decimal | None
    verified_pct: Decimal | None  # check-ins verified in the home, as quality counts them
    targets: Targets | None
    rating: dict  # {"delivery": rag, "home logging": rag}
    explanation: list[tuple[str, Decimal]]  # (what, hours), from delivered to billed
    terms: list[str] = field(default_factory=list)  # the contracts' billing terms in words
    corrected_visits: int = 0
    trend: list[tuple[str, Decimal | None]] = field(default_factory=list)
    # Travel between each carer's consecutive visits on the rota (quality.quality_report):
    # minutes needed, minutes the gaps allow for, and that as a share.
    travel: dict = field(default_factory=dict)

    @property
    def shortfall_hours(self) -> Decimal:
        return self.stages[0].hours - self.stages[2].hours


def one_view_period(unit: str, on: date | None) -> periods.Period:
    """The week (Monday to Sunday) or calendar month holding `on` (default: the last full
    week, or last month)."""
    today = clock.today()
    if on is None:
        on = (today - timedelta(days=today.weekday() + 7) if unit == "week"
              else today.replace(day=1) - timedelta(days=1))
    return periods.resolve(unit, on=on)


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _explain(pay: dict) -> list[tuple[str, Decimal]]:
    """Delivered to billed, step by step (hours): delivered time the rule billed nothing
    for, the contract's basis and double-up rule (planned, capped, billed once), and the
    rounding to units and minimum billable times. The steps add up exactly."""
    delivered = pay["actual_minutes"]
    billed_visits = delivered - pay["unbilled_actual_minutes"]
    held = pay["held_actual_minutes"]
    return [("Delivered", hours.hours(delivered)),
            ("Held: checked in outside the fence, waiting for a manager's confirmation",
             -hours.hours(held)),
            ("Delivered but not billed", -hours.hours(pay["unbilled_actual_minutes"] - held)),
            ("Billing basis and double-ups", hours.hours(pay["raw_minutes"] - billed_visits)),
            ("Rounding and minimum billable times",
             hours.hours(pay["billed_minutes"] - pay["raw_minutes"])),
            ("Billed", hours.hours(pay["billed_minutes"]))]


def _terms(user: User) -> dict:
    """{provider id: the billing terms of its contracts, in words}."""
    rows = db.session.execute(
        sa.select(CarePackage.provider_id, Contract.billing_basis, Contract.double_up_rule,
                  Contract.rounding_unit_min, Contract.rounding, Contract.minimum_billable_min,
                  Contract.unverified_visits)
        .join(Contract, Contract.id == CarePackage.contract_id)
        .where(*package_criteria(user, None)).distinct())
    found: dict = {}
    for provider, basis, double_up, unit, rounding, minimum, unverified in rows:
        words = _BASIS_WORDS[basis]
        if unit > 1:
            words += f", rounded {rounding.value} to {unit} min"
        if minimum:
            words += f", at least {minimum} min"
        if double_up == DoubleUpRule.ONCE:
            words += ", double-ups billed once"
        if unverified == UnverifiedVisits.HELD:
            words += ", visits not verified in the home held until a manager confirms them"
        found.setdefault(str(provider), set()).add(words)
    return {p: sorted(w) for p, w in found.items()}


def _corrected(user: User, period: periods.Period) -> dict:
    """{provider id: visits in the period a manager or commissioner corrected}."""
    stmt = (sa.select(CarePackage.provider_id, sa.func.count(sa.distinct(Visit.id)))
            .join(Visit, Visit.package_id == CarePackage.id)
            .join(VisitEvent, VisitEvent.visit_id == Visit.id)
            .where(VisitEvent.kind == EventKind.CORRECTION, Visit.planned_start >= period.start,
                   Visit.planned_start < period.end, *package_criteria(user, None))
            .group_by(CarePackage.provider_id))
    return {str(p): n for p, n in db.session.execute(stmt)}


def _trend(user: User, period: periods.Period) -> dict:
    """{provider id or None (all): [(week, delivered % of commissioned)]}, 12 weeks to the
    period's last week."""
    last_monday = period.last - timedelta(days=period.last.weekday())
    span = periods.resolve("custom", first=last_monday - timedelta(weeks=TREND_WEEKS - 1),
                           last=last_monday + timedelta(days=6))
    report = hours.hours_report(user, span, parse_grouping("provider,week"))
    found: dict = {}
    totals: dict = {}
    for row in report["rows"]:
        week = row["group"]["week"]
        found.setdefault(row["group"]["provider"]["id"], {})[week] = row
        total = totals.setdefault(week, [Decimal(0), 0])
        total[0] += row["commissioned_minutes"]
        total[1] += row["delivered_minutes"]
    weeks = [(span.first + timedelta(weeks=i)).isoformat() for i in range(TREND_WEEKS)]
    out = {provider: [(w, _pct(by_week[w]["delivered_minutes"],
                               by_week[w]["commissioned_minutes"]) if w in by_week else None)
                      for w in weeks] for provider, by_week in found.items()}
    out[None] = [(w, _pct(totals[w][1], totals[w][0]) if w in totals else None) for w in weeks]
    return out


def _travel(quality_row: dict) -> dict:
    """The travel figures of a provider's quality row (zero when it had no pairs)."""
    return {"needed_min": quality_row.get("travel_needed_min", 0),
            "allowed_min": quality_row.get("travel_allowed_min", 0),
            "allowed_pct": quality_row.get("travel_allowed_pct"),
            "pairs": quality_row.get("travel_pairs", 0),
            "short_pairs": quality_row.get("travel_short_pairs", 0)}


def _view(name: dict, hrs: dict, pay: dict, logged, targets: Targets | None) -> ProviderView:
    stages = [Stage("Commissioned", hrs["commissioned_hours"]),
              Stage("Planned", hrs["planned_hours"]),
              Stage("Delivered", hrs["delivered_hours"]),
              Stage("Verified in the home", hrs["verified_hours"]),
              Stage("Billed", hours.hours(pay["billed_minutes"]), pay["amount_pence"],
                    pay["unverified_amount_pence"], pay["held_pence"], pay["held_visits"])]
    delivered_pct = _pct(hrs["delivered_minutes"], hrs["commissioned_minutes"])
    rating = {}
    if targets is not None:
        rating = {"delivery": rag(delivered_pct, targets.delivery_pct, targets.amber_margin_pct),
                  "home logging": rag(logged, targets.home_logging_pct,
                                      targets.amber_margin_pct)}
    return ProviderView(name, stages, delivered_pct, logged, targets, rating, _explain(pay))


def one_view(user: User, unit: str = "week", on: date | None = None) -> dict:
    """Per provider the user may see, and for all of them: the five stages, ratings, the
    delivered-to-billed explanation and the 12-week trend; providers by shortfall."""
    period = one_view_period(unit, on)
    grouping = parse_grouping("provider")
    by_hours = hours.hours_report(user, period, grouping)
    by_pay = payment.payment_totals(user, period, grouping)
    paid = {r["group"]["provider"]["id"]: r for r in by_pay["rows"]}
    by_quality = quality.quality_report(user, period)
    logged = {r["provider"]["id"]: r.get("home_logging_pct") for r in by_quality["rows"]}
    travel = {r["provider"]["id"]: _travel(r) for r in by_quality["rows"]}
    targets = {str(p): t for p, t in provider_targets(user).items()}
    terms, corrected, trend = _terms(user), _corrected(user, period), _trend(user, period)
    rows = []
    for row in by_hours["rows"]:
        provider = row["group"]["provider"]
        view = _view(provider, row, paid.get(provider["id"], payment.empty_figures()),
                     logged.get(provider["id"]), targets.get(provider["id"]))
        view.terms = terms.get(provider["id"], [])
        view.corrected_visits = corrected.get(provider["id"], 0)
        view.trend = trend.get(provider["id"], [])
        view.travel = travel.get(provider["id"], _travel({}))
        rows.append(view)
    rows.sort(key=lambda v: (-v.shortfall_hours, v.provider["name"]))
    everyone = _view({"id": None, "name": "All providers"}, by_hours["total"], by_pay["total"],
                     by_quality["total"].get("home_logging_pct"), None)
    everyone.corrected_visits = sum(corrected.values())
    everyone.trend = trend[None]
    everyone.travel = _travel(by_quality["total"])
    return {"unit": unit, "period": period, "rows": rows, "total": everyone}
