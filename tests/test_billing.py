"""The per-visit payment rule, each case computed by hand (amounts in pence)."""
import pytest

from backend.models import BillingBasis, DoubleUpRule, Rounding, UnverifiedVisits
from backend.services.audit.billing import BillingTerms, bill_visit, call_rate_price, round_to_units

SEED_RATES = ((30, 820), (45, 1065), (60, 1420))  # Cheshire East 2017
FLOOR, CEILING = 1417, 1622  # Cambridgeshire 2017, per hour


def mins(*minutes) -> list[int]:
    """Each carer's delivered time, given in whole minutes, as the seconds bills start from."""
    return [m * 60 for m in minutes]


def terms(**kw) -> BillingTerms:
    kw.setdefault("basis", BillingBasis.ACTUAL)
    kw.setdefault("unit_min", 1)
    kw.setdefault("rounding", Rounding.NEAREST)
    return BillingTerms(**kw)


def test_hourly_rate_rounds_half_up_to_the_penny():
    bill = bill_visit(terms(hourly_rate_pence=1893), 30, 1, mins(28))
    assert (bill.raw_minutes, bill.billed_minutes, bill.amount_pence) == (28, 28, 883)  # 883.4
    bill = bill_visit(terms(hourly_rate_pence=1893), 30, 1, mins(30))
    assert bill.amount_pence == 947  # 946.5 rounds up
    assert "£18.93/h" in bill.rule and "£9.47" in bill.rule


@pytest.mark.parametrize("minutes, pence", [
    (30, 820), (45, 1065), (60, 1420),
    (40, 983),   # 820 + 245 x 10/15 = 983.33
    (50, 1183),  # 1065 + 355 x 5/15 = 1183.33
    (15, 410),   # below the shortest: 820 x 15/30
    (90, 2130),  # above the longest: 1420 x 90/60
])
def test_call_length_rates_without_floor_or_ceiling(minutes, pence):
    bill = bill_visit(terms(call_rates=SEED_RATES), 120, 1, mins(minutes))
    assert bill.amount_pence == pence


def test_call_rate_interpolation_is_exact():
    assert call_rate_price(40, SEED_RATES) * 3 == 820 * 3 + 245 * 2


@pytest.mark.parametrize("minutes, pence, why", [
    (30, 811, "ceiling"),   # 820 > 1622 x 30/60 = 811
    (45, 1065, None),       # between 1062.75 and 1216.5
    (60, 1420, None),       # between 1417 and 1622
    (15, 406, "ceiling"),   # 410 > 1622 x 15/60 = 405.5 -> 406 (half up)
])
def test_call_rates_bounded_by_floor_and_ceiling(minutes, pence, why):
    bill = bill_visit(terms(call_rates=SEED_RATES, floor_rate_pence=FLOOR,
                            ceiling_rate_pence=CEILING), 120, 1, mins(minutes))
    assert bill.amount_pence == pence
    assert (why in bill.rule) if why else ("ceiling" not in bill.rule and "floor" not in bill.rule)


def test_hourly_floor_and_ceiling():
    low = bill_visit(terms(hourly_rate_pence=1200, floor_rate_pence=FLOOR), 60, 1, mins(60))
    assert low.amount_pence == 1417 and "floor £14.17/h" in low.rule
    high = bill_visit(terms(hourly_rate_pence=1893, ceiling_rate_pence=CEILING), 60, 1, mins(60))
    assert high.amount_pence == 1622 and "ceiling £16.22/h" in high.rule


@pytest.mark.parametrize("rounding, unit, minutes, billed", [
    (Rounding.UP, 15, 47, 60), (Rounding.DOWN, 15, 47, 45), (Rounding.NEAREST, 15, 47, 45),
    (Rounding.NEAREST, 15, 53, 60), (Rounding.NEAREST, 10, 45, 50),  # a half rounds up
    (Rounding.UP, 5, 45, 45), (Rounding.DOWN, 60, 59, 0), (Rounding.NEAREST, 30, 44, 30),
])
def test_rounding(rounding, unit, minutes, billed):
    assert round_to_units(minutes * 60, unit, rounding, False) == billed


def test_rounded_minutes_are_shown_beside_raw_and_priced():
    bill = bill_visit(terms(unit_min=15, rounding=Rounding.UP, hourly_rate_pence=1800),
                      60, 1, mins(47))
    assert (bill.raw_minutes, bill.billed_minutes, bill.amount_pence) == (47, 60, 1800)
    assert "47 min -> 60 min (up, 15-min units)" in bill.rule


def test_minimum_billable_duration_raises_short_calls():
    bill = bill_visit(terms(minimum_min=30, hourly_rate_pence=1893), 30, 1, mins(10))
    assert (bill.raw_minutes, bill.billed_minutes, bill.amount_pence) == (10, 30, 947)
    assert "minimum billable 30 min" in bill.rule


def test_complete_units_only_pays_whole_units_whatever_the_direction():
    bill = bill_visit(terms(unit_min=15, rounding=Rounding.UP, complete_units_only=True,
                            hourly_rate_pence=1800), 60, 1, mins(44))
    assert (bill.billed_minutes, bill.amount_pence) == (30, 900)
    assert "complete units only" in bill.rule


def test_basis_actual_capped_at_planned():
    capped = terms(basis=BillingBasis.ACTUAL_CAPPED, hourly_rate_pence=1800)
    bill = bill_visit(capped, 45, 1, mins(47))
    assert (bill.raw_minutes, bill.billed_minutes, bill.amount_pence) == (45, 45, 1350)
    short = bill_visit(capped, 45, 1, mins(20))
    assert short.amount_pence == 600


def test_basis_planned_pays_the_plan_for_each_carer_required():
    bill = bill_visit(terms(basis=BillingBasis.PLANNED, hourly_rate_pence=1893), 30, 2,
                      mins(20, 25))
    assert (bill.raw_minutes, bill.billed_minutes, bill.amount_pence) == (60, 60, 1893)


def test_double_up_each_worker_and_once():
    each = bill_visit(terms(hourly_rate_pence=1893, double_up=DoubleUpRule.EACH_WORKER),
                      30, 2, mins(30, 28))
    assert (each.billed_minutes, each.amount_pence) == (58, 1830)  # 946.5 + 883.4 = 1829.9
    assert "each of 2 carers" in each.rule
    once = bill_visit(terms(hourly_rate_pence=1893, double_up=DoubleUpRule.ONCE), 30, 2,
                      mins(30, 28))
    assert (once.billed_minutes, once.amount_pence) == (30, 947)
    assert "billed once" in once.rule


def test_double_up_rounds_each_carer_separately():
    bill = bill_visit(terms(unit_min=15, rounding=Rounding.UP, hourly_rate_pence=1800),
                      30, 2, mins(31, 29))
    assert (bill.billed_minutes, bill.amount_pence) == (75, 2250)  # 45 + 30 minutes


def test_undelivered_visits_bill_nothing_and_say_why():
    bill = bill_visit(terms(), 30, 1, [], "visit missed")
    assert (bill.billed_minutes, bill.amount_pence) == (0, 0)
    assert bill.rule == "Not billed: visit missed"


def test_complete_units_only_counts_the_units_a_carer_finished_in_seconds():
    """UKHCA £32.14/h in complete 15-minute units: 14:44 is no unit, 29:59 is one, 30:00 two."""
    ukhca = terms(unit_min=15, rounding=Rounding.DOWN, complete_units_only=True,
                  hourly_rate_pence=3214)
    short = bill_visit(ukhca, 30, 1, [14 * 60 + 44])
    assert (short.raw_seconds, short.raw_minutes, short.billed_minutes, short.amount_pence) == (
        884, 15, 0, 0)
    assert "14 min 44 s -> 0 min (complete units only, 15-min units)" in short.rule
    one = bill_visit(ukhca, 30, 1, [29 * 60 + 59])
    assert (one.billed_minutes, one.amount_pence) == (15, 804)  # 3214 x 15/60 = 803.5
    two = bill_visit(ukhca, 30, 1, [30 * 60])
    assert (two.billed_minutes, two.amount_pence) == (30, 1607)
    assert "30 min; 30 min at £32.14/h" in two.rule  # a whole number of units: no rounding


@pytest.mark.parametrize("rounding, unit, seconds, billed", [
    (Rounding.NEAREST, 1, 28 * 60 + 30, 29), (Rounding.NEAREST, 1, 28 * 60 + 29, 28),
    (Rounding.NEAREST, 15, 22 * 60 + 30, 30), (Rounding.NEAREST, 15, 22 * 60 + 29, 15),
    (Rounding.UP, 15, 30 * 60 + 1, 45), (Rounding.UP, 15, 30 * 60, 30),
    (Rounding.DOWN, 5, 34 * 60 + 59, 30),
])
def test_seconds_are_rounded_to_the_unit_once(rounding, unit, seconds, billed):
    assert round_to_units(seconds, unit, rounding, False) == billed


def test_raw_time_is_kept_to_the_second_beside_the_billed_minutes():
    bill = bill_visit(terms(hourly_rate_pence=1800), 30, 2, [28 * 60 + 30, 10 * 60 + 15])
    assert (bill.raw_seconds, bill.raw_minutes, bill.billed_minutes) == (2325, 39, 29 + 10)
    assert "28 min 30 s -> 29 min (nearest, 1-min units)" in bill.rule
    assert "10 min 15 s -> 10 min (nearest, 1-min units)" in bill.rule
    assert bill.amount_pence == 1170  # 39 min at £18/h


def test_basis_planned_pays_only_the_carers_who_attended():
    """A double-up where one carer came: the plan is paid once, not for the absent carer."""
    bill = bill_visit(terms(basis=BillingBasis.PLANNED, hourly_rate_pence=1893), 30, 2, mins(25))
    assert (bill.raw_minutes, bill.billed_minutes, bill.amount_pence) == (30, 30, 947)
    assert "1 of 2 carers attended" in bill.rule


def test_a_held_visit_bills_nothing_until_confirmed_then_as_usual():
    """Held terms, a 30-minute call, 20 minutes delivered at £18.93/h: 631p, held until a
    provider manager confirms it; verified in the home, or under paying terms, 631p."""
    held = terms(hourly_rate_pence=1893, unverified=UnverifiedVisits.HELD)
    waiting = bill_visit(held, 30, 1, mins(20), not_verified=True)
    assert (waiting.amount_pence, waiting.billed_minutes, waiting.raw_minutes) == (0, 0, 0)
    assert (waiting.held, waiting.held_minutes, waiting.held_pence) == (True, 20, 631)
    assert waiting.rule.startswith("Held: not verified in the home") and "£6.31" in waiting.rule
    confirmed = bill_visit(held, 30, 1, mins(20), not_verified=True,
                           confirmation="Jo Manager on 2026-03-04: no signal; confirmed by phone")
    assert (confirmed.amount_pence, confirmed.billed_minutes, confirmed.held) == (631, 20, False)
    assert confirmed.confirmed and "Jo Manager on 2026-03-04: no signal" in confirmed.rule
    in_home = bill_visit(held, 30, 1, mins(20), not_verified=False)
    assert (in_home.amount_pence, in_home.held, in_home.confirmed) == (631, False, False)
    paying = bill_visit(terms(hourly_rate_pence=1893), 30, 1, mins(20), not_verified=True)
    assert (paying.amount_pence, paying.held) == (631, False)
    # Nothing to hold: a visit not delivered, or one its rounding bills nothing for.
    assert not bill_visit(held, 30, 1, [], "visit missed", not_verified=True).held
    complete = terms(unit_min=15, rounding=Rounding.DOWN, complete_units_only=True,
                     unverified=UnverifiedVisits.HELD)
    assert not bill_visit(complete, 30, 1, mins(14), not_verified=True).held
