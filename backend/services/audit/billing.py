"""The payment rule for one visit: billable minutes and amount under a contract's terms.

Money is exact: amounts are computed as fractions of a penny and rounded once per
visit, half up, to a whole penny (so 983.5p -> 984p, 983.49p -> 983p).

Call-length rates (e.g. 30 min £8.20, 45 min £10.65, 60 min £14.20) price a call
of exactly a listed length at that rate. Between two listed lengths the price is
interpolated in a straight line (40 min -> 820 + 245 x 10/15 = 983.33p), so one
more minute never costs less and never jumps a whole band. Below the shortest
length the shortest rate is paid pro rata (15 min -> 410p); above the longest,
the longest rate pro rata (90 min -> 2130p). Floor and ceiling hourly rates then
bound the amount: floor x minutes / 60 <= amount <= ceiling x minutes / 60.

Order of the rule, per carer billed (a carer who attended: a double-up with one
carer there bills one carer, whatever the basis): the basis gives the raw time in
seconds (planned minutes x 60, the carer's delivered seconds, or those capped at
planned; attendance/delivered.py defines delivered seconds); the seconds are
rounded once to the contract's unit (up, down, nearest; halves round up), never
from minutes already rounded; "complete units only" counts only the units the
carer completed, floor(seconds / unit seconds), so 14 min 44 s is no 15-minute
unit; a delivered call below the minimum billable duration is raised to the
minimum; then the price. Double-ups: each_worker bills every attending carer's
time, once bills the longest-attending carer's time only.

Visits not verified in the home (monitoring/rules.not_verified_in_home: a carer checked in
outside the fence) are billed as above when the contract pays them. When it holds them,
such a visit that would bill something bills nothing (its raw and billed time 0) and the
bill says what it would bill (held_minutes, held_pence) until a provider manager confirms
it was delivered; once confirmed it bills as above, and the rule names who confirmed it
and why. A check-in with no location, or where the person's geofence is off (rural, no
signal), is not judged: it is not held.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from backend.models import BillingBasis, Contract, DoubleUpRule, Rounding, UnverifiedVisits
from backend.services.attendance.delivered import as_text, shown_minutes


@dataclass(frozen=True)
class BillingTerms:
    """The billing columns of a contract, as plain values."""

    basis: BillingBasis = BillingBasis.ACTUAL_CAPPED
    unit_min: int = 1
    rounding: Rounding = Rounding.NEAREST
    minimum_min: int = 0
    complete_units_only: bool = False
    hourly_rate_pence: int = 1893
    call_rates: tuple[tuple[int, int], ...] = ()  # (minutes, pence), shortest first
    floor_rate_pence: int | None = None
    ceiling_rate_pence: int | None = None
    double_up: DoubleUpRule = DoubleUpRule.EACH_WORKER
    unverified: UnverifiedVisits = UnverifiedVisits.PAID

    @classmethod
    def of(cls, contract: Contract, call_rates=None) -> "BillingTerms":
        """Terms read from a contract and its call rates (given, or loaded from it)."""
        rates = contract.call_rates if call_rates is None else call_rates
        return cls(contract.billing_basis, contract.rounding_unit_min, contract.rounding,
                   contract.minimum_billable_min, contract.complete_units_only,
                   contract.hourly_rate_pence,
                   tuple(sorted((r.duration_min, r.amount_pence) for r in rates)),
                   contract.floor_rate_pence, contract.ceiling_rate_pence,
                   contract.double_up_rule, contract.unverified_visits)


@dataclass(frozen=True)
class Bill:
    """One visit's bill: raw time (in seconds, and shown in minutes) beside the billed
    carer-minutes, the amount, and the rule in words."""

    raw_seconds: int
    raw_minutes: int
    billed_minutes: int
    amount_pence: int
    rate: str
    rule: str
    held: bool = False  # not verified in the home, waiting for a manager's confirmation
    held_minutes: int = 0  # what it bills once confirmed
    held_pence: int = 0
    confirmed: bool = False  # not verified in the home, billed on a manager's confirmation


def pounds(pence) -> str:
    """£ text for a number of pence (exact to the penny)."""
    pence = Fraction(pence)
    pounds_exact = Decimal(pence.numerator) / Decimal(pence.denominator) / 100
    places = "0.01" if pence.denominator == 1 else "0.0001"
    return f"£{pounds_exact.quantize(Decimal(places), ROUND_HALF_UP)}"


def round_half_up(amount: Fraction) -> int:
    """A non-negative exact amount to whole pence, halves up."""
    return int((amount + Fraction(1, 2)) // 1)


def round_to_units(seconds: int, unit_min: int, rounding: Rounding,
                   complete_only: bool) -> int:
    """A carer's seconds as billed minutes: a whole number of units, rounded once."""
    whole, part = divmod(seconds, unit_min * 60)
    if part and not (complete_only or rounding == Rounding.DOWN) and (
            rounding == Rounding.UP or 2 * part >= unit_min * 60):
        whole += 1
    return whole * unit_min


def call_rate_price(minutes: int, rates: tuple[tuple[int, int], ...]) -> Fraction:
    """Price of a call under call-length rates (see module docstring for between lengths)."""
    if minutes <= 0:
        return Fraction(0)
    shortest, longest = rates[0], rates[-1]
    if minutes <= shortest[0]:
        return Fraction(shortest[1] * minutes, shortest[0])
    for (low_min, low_p), (high_min, high_p) in zip(rates, rates[1:], strict=False):
        if low_min <= minutes <= high_min:
            return low_p + Fraction((high_p - low_p) * (minutes - low_min), high_min - low_min)
    return Fraction(longest[1] * minutes, longest[0])


def _price(minutes: int, terms: BillingTerms) -> tuple[Fraction, str]:
    if terms.call_rates:
        amount = call_rate_price(minutes, terms.call_rates)
        exact = dict(terms.call_rates).get(minutes)
        words = (f"call rate {minutes} min {pounds(exact)}" if exact is not None
                 else f"call rates interpolated at {minutes} min = {pounds(amount)}")
    else:
        amount = Fraction(terms.hourly_rate_pence * minutes, 60)
        words = f"{minutes} min at {pounds(terms.hourly_rate_pence)}/h = {pounds(amount)}"
    if terms.floor_rate_pence is not None:
        floor = Fraction(terms.floor_rate_pence * minutes, 60)
        if amount < floor:
            amount, words = floor, words + f", raised to floor {pounds(terms.floor_rate_pence)}/h"
    if terms.ceiling_rate_pence is not None:
        ceiling = Fraction(terms.ceiling_rate_pence * minutes, 60)
        if amount > ceiling:
            amount = ceiling
            words += f", cut to ceiling {pounds(terms.ceiling_rate_pence)}/h"
    return amount, words


def _carer_seconds(terms: BillingTerms, planned_min: int, carers_required: int,
                   worker_seconds: list[int]) -> tuple[list[int], str]:
    planned = planned_min * 60
    if terms.basis == BillingBasis.PLANNED:  # the plan, for each carer who attended
        required = max(carers_required, 1)
        attended = min(len(worker_seconds), required)
        seconds, words = [planned] * attended, f"planned {planned_min} min"
        if attended < required:
            words += f" ({attended} of {required} carers attended)"
    elif terms.basis == BillingBasis.ACTUAL:
        seconds, words = list(worker_seconds), "actual"
    else:
        seconds = [min(s, planned) for s in worker_seconds]
        words = f"actual capped at planned {planned_min} min"
    if len(seconds) > 1 and terms.double_up == DoubleUpRule.ONCE:
        return [max(seconds)], words + f"; double-up billed once ({len(seconds)} carers)"
    if len(seconds) > 1:
        words += f"; double-up, each of {len(seconds)} carers billed"
    return seconds, words


def bill_visit(terms: BillingTerms, planned_min: int, carers_required: int,
               worker_seconds: list[int] | None, not_billed_because: str | None = None,
               not_verified: bool = False, confirmation: str | None = None) -> Bill:
    """The bill for one visit; worker_seconds are each attending carer's delivered seconds,
    not_verified whether it was judged not verified in the home, confirmation a manager's
    confirmation that it was delivered, in words ("who on day: why"), if any."""
    if not_billed_because or not worker_seconds:
        return Bill(0, 0, 0, 0, "", f"Not billed: {not_billed_because or 'no delivered time'}")
    seconds, basis_words = _carer_seconds(terms, planned_min, carers_required, worker_seconds)
    total, billed, parts = Fraction(0), 0, []
    for raw in seconds:
        rounded = round_to_units(raw, terms.unit_min, terms.rounding, terms.complete_units_only)
        words = as_text(raw)
        if rounded * 60 != raw:
            how = "complete units only" if terms.complete_units_only else terms.rounding.value
            words += f" -> {rounded} min ({how}, {terms.unit_min}-min units)"
        if raw > 0 and rounded < terms.minimum_min:
            rounded = terms.minimum_min
            words += f" -> {rounded} (minimum billable {terms.minimum_min} min)"
        amount, price_words = _price(rounded, terms)
        total += amount
        billed += rounded
        parts.append(f"{words}; {price_words}")
    rate = (", ".join(f"{m} min {pounds(p)}" for m, p in terms.call_rates)
            if terms.call_rates else f"{pounds(terms.hourly_rate_pence)}/h")
    amount_pence = round_half_up(total)
    rule = f"{basis_words}: " + " | ".join(parts) + f". Amount {pounds(amount_pence)}."
    raw = sum(seconds)
    if not not_verified or terms.unverified == UnverifiedVisits.PAID or not (
            billed or amount_pence):
        return Bill(raw, shown_minutes(raw), billed, amount_pence, rate, rule)
    if confirmation is None:
        return Bill(0, 0, 0, 0, rate, "Held: not verified in the home; billed when a provider "
                    f"manager confirms it was delivered, as {rule}", held=True,
                    held_minutes=billed, held_pence=amount_pence)
    return Bill(raw, shown_minutes(raw), billed, amount_pence, rate,
                f"Not verified in the home; delivered, confirmed by {confirmation}. {rule}",
                confirmed=True)
