"""Contracts between a funder and a provider: dates, rates, call-length rates, billing,
monitoring tolerances per priority, and joint funding shares."""
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from backend.errors import Invalid
from backend.extensions import db
from backend.models import (
    DEFAULT_RULES, CallRate, Contract, ContractFunder, MonitoringRule, Organisation, Priority, User,
)
from backend.services.administration import changes
from backend.services.administration.organisations import organisation_by_id
from backend.services.audit import trail
from backend.services.identity import access
from backend.services.reference import packages as reference
from backend.services.reference.validation import choice, in_range

# Tolerances a contract may set per priority: (lowest, highest) minutes.
TOLERANCES = {"late_after_min": (0, 240), "missed_after_min": (1, 24 * 60),
              "short_margin_min": (0, 240), "early_finish_min": (0, 240),
              "no_checkout_after_min": (5, 24 * 60), "escalate_after_min": (1, 24 * 60)}


def create_contract(user: User, funder_id, provider_id, name: str, starts_on: date,
                    ends_on: date | None = None, **terms) -> Contract:
    """A contract with the default tolerances for each priority unless terms say otherwise."""
    funder = organisation_by_id(funder_id, "funder_id")
    provider = organisation_by_id(provider_id, "provider_id")
    access.require_set_up(user, Contract, [funder.id], "contract")
    contract = reference.create_contract(funder, provider, name, starts_on, ends_on, **terms)
    changes.created(user, contract, "contract_created",
                    ("name", "funder_id", "provider_id", "starts_on", "ends_on", *terms))
    return contract


def update_contract(user: User, contract_id, **values) -> Contract:
    """Change a contract's name, dates or terms; each change audited."""
    contract = access.get_administrable(user, Contract, contract_id, "contract")
    checked = {}
    if "name" in values:
        if not (values["name"] or "").strip():
            raise Invalid("A contract needs a name.", field="name")
        checked["name"] = values.pop("name").strip()
    for name in ("starts_on", "ends_on"):
        if name in values:
            checked[name] = values.pop(name)
    starts, ends = checked.get("starts_on", contract.starts_on), checked.get(
        "ends_on", contract.ends_on)
    if not isinstance(starts, date):
        raise Invalid("A contract needs a start date.", field="starts_on")
    if ends is not None and ends < starts:
        raise Invalid("The contract ends before it starts.", field="ends_on")
    checked.update(reference.check_contract_terms(values, contract))
    changes.apply(user, contract, "contract_changed", checked)
    db.session.flush()
    return contract


def check_call_rates(rates: dict) -> dict:
    """Call-length rates {planned minutes: pence}, each checked."""
    checked = {}
    for minutes, pence in rates.items():
        field = f"call_rates.{minutes}"
        in_range(minutes, 5, 24 * 60, field, "call length in minutes")
        checked[minutes] = in_range(pence, 0, 1_000_000, field, "rate in pence")
    return checked


def set_call_rates(user: User, contract_id, rates: dict) -> Contract:
    """Replace the contract's call-length rates: {planned minutes: pence} (e.g. 30: 820)."""
    contract = access.get_administrable(user, Contract, contract_id, "contract")
    checked = check_call_rates(rates)
    before = {r.duration_min: r.amount_pence for r in contract.call_rates}
    if before != checked:
        contract.call_rates.clear()
        db.session.flush()
        for minutes in sorted(checked):
            contract.call_rates.append(CallRate(duration_min=minutes,
                                                amount_pence=checked[minutes]))
        trail.record_change(user, "contract_call_rates_changed", contract,
                            {"call_rates": before}, {"call_rates": checked})
    db.session.flush()
    return contract


def set_monitoring_rule(user: User, contract_id, priority, **tolerances) -> MonitoringRule:
    """The contract's tolerances for one priority of call (late, missed, short ...)."""
    contract = access.get_administrable(user, Contract, contract_id, "contract")
    priority = choice(Priority, priority, "priority")
    checked = {}
    for name, value in tolerances.items():
        if name not in TOLERANCES:
            raise Invalid(f"{name} is not a monitoring tolerance.", field=name)
        if value is None and name == "missed_after_min":
            checked[name] = None  # missed when nobody has checked in by the planned end
            continue
        checked[name] = in_range(value, *TOLERANCES[name], name, "tolerance in minutes")
    rule = next((r for r in contract.rules if r.priority == priority), None)
    if rule is None:
        rule = MonitoringRule(priority=priority, **DEFAULT_RULES[priority])
        contract.rules.append(rule)
        db.session.flush()
    changes.apply(user, rule, f"contract_rule_{priority.value}_changed", checked)
    db.session.flush()
    return rule


def _share(value, field: str) -> Decimal:
    try:
        share = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Invalid("A share is a percentage.", field=field) from None
    if not Decimal(0) < share < Decimal(100):
        raise Invalid("A share is more than 0 and less than 100 per cent.", field=field)
    return share


def check_shares(shares: dict, own_funder_id) -> dict:
    """Joint funding shares {funder id: percentage}: councils or NHS bodies, at least two,
    the contract's own funder among them, summing to exactly 100 (or none at all)."""
    checked = {}
    for funder_id, value in shares.items():
        # Any council or NHS body may co-fund: funders are public reference data.
        funder = organisation_by_id(funder_id, "funders")
        if not funder.is_funder:
            raise Invalid("Each share must go to a council or an NHS body.", field="funders")
        checked[funder.id] = _share(value, f"funders.{funder.id}")
    if checked:
        if len(checked) < 2:
            raise Invalid("Joint funding needs at least two funders.", field="funders")
        if own_funder_id not in checked:
            raise Invalid("The contract's own funder must have a share.", field="funders")
        if sum(checked.values()) != Decimal(100):
            raise Invalid("The shares must add up to 100 per cent.", field="funders")
    return checked


def set_funders(user: User, contract_id, shares: dict) -> Contract:
    """Joint funding: {funder id: percentage}, summing to 100 and including the contract's
    own funder; an empty mapping makes the contract wholly its funder's again."""
    contract = access.get_administrable(user, Contract, contract_id, "contract")
    checked = check_shares(shares, contract.funder_id)
    before = {f.funder_id: f.share_pct for f in contract.funders}
    if before != checked:
        contract.funders.clear()
        db.session.flush()
        for funder_id, share in checked.items():
            contract.funders.append(ContractFunder(funder_id=funder_id, share_pct=share))
        trail.record_change(user, "contract_funders_changed", contract,
                            {"funders": before}, {"funders": checked})
    db.session.flush()
    return contract


def contract_terms(user: User, contract_id) -> dict:
    """Everything both sides need to check a bill, read-only: the contract, its tolerances
    per priority, call-length rates and funders' shares."""
    contract = access.get_visible(user, Contract, contract_id, "contract")
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name).where(
        Organisation.id.in_([contract.funder_id, contract.provider_id,
                             *[f.funder_id for f in contract.funders]]))).all())
    return {"contract": contract, "funder": names.get(contract.funder_id),
            "provider": names.get(contract.provider_id),
            "rules": sorted(contract.rules, key=lambda r: r.priority.value),
            "call_rates": list(contract.call_rates),
            "funders": [{"funder_id": f.funder_id, "name": names.get(f.funder_id),
                         "share_pct": f.share_pct} for f in contract.funders],
            "may_change": access.may_set_up(user, Contract, [contract.funder_id])}


def list_contracts(user: User) -> list[Contract]:
    """Contracts the user may see, by name."""
    return list(db.session.scalars(access.scoped(user, Contract).order_by(Contract.name)))
