"""Bills from the record: carers' delivered seconds, who attended, and corrections.

Each case goes through the visit's events, the cached state and the payment stream,
as the payment page and the CSVs read it; amounts are computed by hand.
"""
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.models import BillingBasis, Rounding
from backend.services.attendance.corrections import CorrectionResolution, correct_visit
from backend.services.audit.exports import actuals_csv
from backend.services.audit.hours import hours_report
from backend.services.audit.payment import billed_visits, visit_line
from backend.services.audit.report_scope import parse_grouping
from backend.services.dates import periods
from tests.audit_support import attend

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = periods.resolve("custom", first=date(2026, 3, 2), last=date(2026, 3, 8))


@pytest.fixture
def w(make):
    return make.world()


def lines(user) -> list[dict]:
    return [visit_line(row, bill) for row, bill in billed_visits(user, WEEK)]


def test_complete_units_only_pays_no_unfinished_unit(make, w):
    """UKHCA £32.14/h, complete 15-minute units: 14:44 was billed as a 15-minute unit."""
    contract = w.contract
    contract.billing_basis, contract.hourly_rate_pence = BillingBasis.ACTUAL, 3214
    contract.rounding_unit_min, contract.rounding = 15, Rounding.DOWN
    contract.complete_units_only = True
    short = make.visit(w.package, start=T0, minutes=30)
    attend(short, w.worker, T0, 14, seconds=44)
    one_unit = make.visit(w.package, start=T0 + timedelta(days=1), minutes=30)
    attend(one_unit, w.worker, T0 + timedelta(days=1), 29, seconds=59)
    make.commit()

    first, second = lines(w.commissioner)
    assert (first["raw_seconds"], first["raw_minutes"], first["billed_minutes"],
            first["amount_pence"]) == (884, 15, 0, 0)
    assert "14 min 44 s -> 0 min (complete units only, 15-min units)" in first["rule"]
    assert (second["raw_seconds"], second["billed_minutes"], second["amount_pence"]) == (
        1799, 15, 804)  # 3214 x 15/60 = 803.5 -> 804
    text = "".join(actuals_csv(w.commissioner, WEEK)).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Raw time"], r["Raw minutes"], r["Billed minutes"], r["Amount (£)"])
            for r in rows] == [("14 min 44 s", "15", "0", "0.00"),
                               ("29 min 59 s", "30", "15", "8.04")]


def test_planned_basis_double_up_pays_the_carers_who_attended(make, w):
    """Planned basis at £18.93/h: a 30-minute double-up with one carer there pays 30 minutes
    (946.5p -> 947p), not 60; with both there, 60 (1893p)."""
    w.contract.billing_basis, w.contract.hourly_rate_pence = BillingBasis.PLANNED, 1893
    alone = make.visit(w.package, start=T0, minutes=30, carers_required=2,
                       workers=[w.worker, w.other_worker])
    attend(alone, w.worker, T0, 25)
    both = make.visit(w.package, start=T0 + timedelta(days=1), minutes=30, carers_required=2,
                      workers=[w.worker, w.other_worker])
    attend(both, w.worker, T0 + timedelta(days=1), 25)
    attend(both, w.other_worker, T0 + timedelta(days=1), 31)
    make.commit()
    first, second = lines(w.commissioner)
    assert (first["billed_minutes"], first["amount_pence"]) == (30, 947)
    assert "1 of 2 carers attended" in first["rule"]
    assert (second["billed_minutes"], second["amount_pence"]) == (60, 1893)


def _correct(visit, worker, by, start, end, resolution):
    return correct_visit(visit, worker, by, start, end, "carer_error", resolution,
                         now=T0 + timedelta(days=7))


def test_a_visit_corrected_not_delivered_or_to_nothing_bills_nothing(make, w):
    """Planned basis pays the plan for a delivered visit; a manager's correction saying
    the carer did not deliver it, or that they delivered 0 minutes, leaves nothing to
    pay, and the hours report counts nothing delivered."""
    w.contract.billing_basis, w.contract.hourly_rate_pence = BillingBasis.PLANNED, 1893
    paid = make.visit(w.package, start=T0, minutes=30)
    attend(paid, w.worker, T0, 30)
    not_delivered = make.visit(w.package, start=T0 + timedelta(days=1), minutes=30)
    attend(not_delivered, w.worker, T0 + timedelta(days=1), 30)
    _correct(not_delivered, w.worker, w.manager, None, T0 + timedelta(days=1, minutes=30),
             CorrectionResolution.NOT_DELIVERED)
    nothing = make.visit(w.package, start=T0 + timedelta(days=2), minutes=30)
    attend(nothing, w.worker, T0 + timedelta(days=2), 30)
    _correct(nothing, w.worker, w.manager, None, T0 + timedelta(days=2),
             CorrectionResolution.CONFIRMED_BY_ROTA)
    make.commit()

    first, second, third = lines(w.commissioner)
    assert (first["billed_minutes"], first["amount_pence"]) == (30, 947)
    for line in (second, third):
        assert (line["actual_minutes"], line["raw_minutes"], line["billed_minutes"],
                line["amount_pence"]) == (0, 0, 0, 0)
    assert second["rule"] == f"Not billed: not delivered (correction by {w.manager.display_name})"
    assert third["rule"] == (
        f"Not billed: no delivered time (corrected to 0 min by {w.manager.display_name})")
    hours = hours_report(w.commissioner, WEEK, parse_grouping("provider"))["total"]
    assert hours["delivered_minutes"] == 30


def test_a_double_up_with_one_carer_not_delivered_bills_the_other(make, w):
    w.contract.billing_basis, w.contract.hourly_rate_pence = BillingBasis.PLANNED, 1893
    visit = make.visit(w.package, start=T0, minutes=30, carers_required=2,
                       workers=[w.worker, w.other_worker])
    attend(visit, w.worker, T0, 30)
    attend(visit, w.other_worker, T0, 30)
    _correct(visit, w.other_worker, w.manager, T0, None, CorrectionResolution.NOT_DELIVERED)
    make.commit()
    (line,) = lines(w.commissioner)
    assert (line["actual_minutes"], line["billed_minutes"], line["amount_pence"]) == (30, 30, 947)
