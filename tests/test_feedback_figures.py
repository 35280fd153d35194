"""Satisfaction figures: Wilson intervals by hand, verdicts on the baseline, too few responses."""
from datetime import date, time, timedelta

import pytest

from backend.errors import Forbidden, Invalid
from backend.services.dates import clock
from backend.services.feedback.figures import satisfaction_report, verdict, wilson_interval
from backend.services.feedback.settings import save_settings
from tests.feedback_helpers import add_feedback


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    # Worked by hand: centre = (p + z²/2n)/(1 + z²/n), half = z/(1 + z²/n)·√(p(1-p)/n + z²/4n²)
    (6, 10, 0.3127, 0.8318),
    (0, 10, 0.0, 0.2775),   # upper bound = (z²/n)/(1 + z²/n) = 0.38415/1.38415
    (10, 10, 0.7225, 1.0),
    (81, 100, 0.7222, 0.8749),
    (1, 1, 0.2065, 1.0),
])
def test_wilson_interval_matches_hand_computed_values(successes, n, low, high):
    got_low, got_high = wilson_interval(successes, n)
    assert got_low == pytest.approx(low, abs=5e-5) and got_high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_of_no_responses_is_none():
    assert wilson_interval(0, 0) is None


def test_verdict_is_inconclusive_when_the_interval_straddles_the_baseline():
    assert verdict((0.65, 0.80), 60.1) == "above"
    assert verdict((0.40, 0.59), 60.1) == "below"
    assert verdict((0.3127, 0.8318), 60.1) == "inconclusive"


def _day(days_ago: int):
    return clock.local_to_utc(clock.today() - timedelta(days=days_ago),
                              time(12))


def test_report_ranks_providers_with_enough_responses(make):
    w = make.world()
    third = make.provider(name="Third Care")
    few = make.provider(name="Few Voices Care")
    make.contract(funder=w.council, provider=third)
    make.contract(funder=w.council, provider=few)
    when = _day(10)
    add_feedback(w.provider, 5, 81, when, reliability=4)   # 81 of 100 satisfied
    add_feedback(w.provider, 2, 19, when, reliability=2)
    add_feedback(third, 4, 20, when)                       # 20 of 50: 40%
    add_feedback(third, 1, 30, when)
    add_feedback(few, 5, 9, when)                          # 9 responses: too few
    add_feedback(w.other_provider, 5, 50, when)            # NHS-funded: not this council's
    report = satisfaction_report(w.commissioner)
    assert report.baseline_pct == 60.1 and report.min_responses == 10
    first, second = report.ranked
    assert (first.provider_name, first.rank, first.responses, first.satisfied) == (
        "Caring Hands", 1, 100, 81)
    assert (first.pct, first.low_pct, first.high_pct, first.verdict) == (81.0, 72.2, 87.5, "above")
    assert (second.provider_name, second.pct, second.verdict) == ("Third Care", 40.0, "below")
    assert [p.provider_name for p in report.too_few] == ["Few Voices Care"]
    assert report.too_few[0].rank is None and report.too_few[0].pct is None
    reliability = next(t for t in first.themes if t.question == "reliability")
    assert reliability.answered == 100 and reliability.pct_satisfied == 81.0
    assert reliability.mean == pytest.approx((81 * 4 + 19 * 2) / 100, abs=0.01)
    dignity = next(t for t in first.themes if t.question == "dignity")
    assert dignity.answered == 0 and dignity.pct_satisfied is None


def test_report_counts_only_the_period_and_compares_the_previous_one(make):
    w = make.world()
    today = clock.today()
    add_feedback(w.provider, 5, 12, _day(5))
    add_feedback(w.provider, 1, 10, _day(40))                # previous 30-day period
    add_feedback(w.provider, 1, 10, _day(400))               # long ago: in neither
    report = satisfaction_report(w.commissioner, today - timedelta(days=29), today)
    (item,) = report.ranked
    assert item.responses == 12 and item.pct == 100.0
    assert item.previous_pct == 0.0 and item.previous_responses == 10


def test_baseline_and_minimum_are_the_commissioners_settings(make):
    w = make.world()
    save_settings(w.council.id, baseline_pct=85.0, min_responses=5)
    add_feedback(w.provider, 5, 4, _day(3))
    add_feedback(w.provider, 3, 2, _day(3))
    report = satisfaction_report(w.commissioner)
    (item,) = report.ranked
    assert report.baseline_pct == 85.0 and item.responses == 6 and item.verdict == "inconclusive"
    with pytest.raises(Invalid):
        save_settings(w.council.id, baseline_pct=120)


def test_figures_are_for_commissioners_and_periods_must_make_sense(make):
    w = make.world()
    with pytest.raises(Forbidden):
        satisfaction_report(w.manager)
    with pytest.raises(Invalid):
        satisfaction_report(w.commissioner, date(2026, 5, 1), date(2026, 4, 1))
