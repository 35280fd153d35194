"""GAS T-score against worked examples computed by hand, in Python and in SQL."""
from datetime import UTC, date, datetime

import pytest

from backend.models import GoalMeasure, GoalStatus
from backend.services.outcomes.gas import current_attainments, t_score
from backend.services.outcomes.goal_progress import record_progress
from backend.services.outcomes.measures import outcome_measures
from tests.outcome_helpers import goal

# Worked by hand, rho = 0.3:
# equal weights (1,1,1), x = (+1,+1,0): sum wx = 2, sum w^2 = 3, sum w = 3
#   T = 50 + 10*2 / sqrt(0.7*3 + 0.3*9) = 50 + 20/sqrt(4.8) = 50 + 20/2.19089 = 59.1287
# unequal weights: imp 3 x diff 2 = 6 at x = +1; imp 1 x diff 1 = 1 at x = -2:
#   sum wx = 6 - 2 = 4, sum w^2 = 37, sum w = 7
#   T = 50 + 40 / sqrt(0.7*37 + 0.3*49) = 50 + 40/sqrt(40.6) = 50 + 40/6.37181
#     = 50 + 6.27765 = 56.2776
# one goal, weight 1, much better than expected (+2): T = 50 + 20/sqrt(0.7 + 0.3) = 70
EQUAL = [(1, 1), (1, 1), (0, 1)]
UNEQUAL = [(1, 6), (-2, 1)]


def test_equal_weights():
    assert t_score(EQUAL) == pytest.approx(59.1287, abs=1e-4)


def test_unequal_weights():
    assert t_score(UNEQUAL) == pytest.approx(56.2776, abs=1e-4)


def test_all_goals_met_as_expected_is_fifty():
    assert t_score([(0, 6), (0, 1), (0, 9)]) == 50


def test_single_goal_much_better_than_expected():
    assert t_score([(2, 1)]) == pytest.approx(70)


def test_zero_weight_goals_do_not_count():
    assert t_score([(2, 0)]) is None
    assert t_score([(1, 1), (-2, 0)]) == pytest.approx(60)


def _progress(g, user, score, hour):
    return record_progress(g, user, score, recorded_at=datetime(2026, 3, 2, hour, tzinfo=UTC))


def test_sql_t_scores_match_the_worked_examples(make):
    """The measures service computes the same T-scores in SQL, banded and averaged."""
    w = make.world()
    equal = make.service_user()
    unequal = make.service_user()
    met = make.service_user()
    for person in (equal, unequal, met):
        make.package(person, contract=w.contract)
    for x, _ in EQUAL:
        _progress(goal(equal), w.manager, x, 10)
    _progress(goal(unequal, importance=3, difficulty=2), w.manager, 1, 10)
    _progress(goal(unequal), w.manager, -2, 10)
    goal(unequal, measure=GoalMeasure.SCALE_10, baseline=2, target=8)  # not GAS: ignored
    goal(unequal, status=GoalStatus.DISCONTINUED, status_reason="moved away")  # ignored
    _progress(goal(met, importance=2, difficulty=3), w.manager, 0, 10)
    _progress(goal(met), w.manager, 0, 10)
    gas = outcome_measures(w.commissioner, date(2026, 1, 1), date(2026, 3, 31))["gas_t_score"]
    assert gas["mean"]["denominator"] == 3
    assert gas["mean"]["value"] == pytest.approx((59.1287 + 56.2776 + 50) / 3, abs=1e-2)
    bands = {b["band"]: b["numerator"] for b in gas["bands"]}
    assert bands == {"under 30": 0, "30 to under 40": 0, "40 to under 50": 0,
                     "50 to under 60": 3, "60 to under 70": 0, "70 and over": 0}


def test_goal_without_progress_counts_at_baseline(make):
    w = make.world()
    goal(w.person, baseline=-2)  # T = 50 + 10*(-2)/1 = 30
    gas = outcome_measures(w.manager, date(2026, 1, 1), date(2026, 12, 31))["gas_t_score"]
    assert gas["mean"]["value"] == pytest.approx(30)
    assert [b["numerator"] for b in gas["bands"]] == [0, 1, 0, 0, 0, 0]


def test_late_synced_entry_does_not_displace_a_later_visit(make):
    """Progress recorded offline and synced late sits at its own visit's time."""
    w = make.world()
    g = goal(w.person)
    morning = make.visit(w.package, start=datetime(2026, 3, 2, 8, tzinfo=UTC),
                         workers=[w.worker])
    lunch = make.visit(w.package, start=datetime(2026, 3, 2, 12, tzinfo=UTC),
                       workers=[w.worker])
    later = record_progress(g, w.worker, 0, visit=lunch,
                            recorded_at=datetime(2026, 3, 2, 12, 30, tzinfo=UTC))
    synced_late = record_progress(g, w.worker, -2, visit=morning,
                                  recorded_at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    assert synced_late.visit_id == morning.id and synced_late.goal_id == g.id
    assert later.visit_id == lunch.id
    assert current_attainments([g.id]) == {g.id: 0}


def test_a_goal_exactly_one_better_bands_as_sixty(make):
    """Floating point must not push T = 60 into the band below."""
    w = make.world()
    for importance, difficulty in ((1, 1), (3, 1), (3, 2)):
        person = make.service_user()
        make.package(person, contract=w.contract)
        one_goal = goal(person, importance=importance, difficulty=difficulty)
        _progress(one_goal, w.manager, 1, 10)  # T = 50 + 10*w / sqrt(w^2) = 60
    gas = outcome_measures(w.commissioner, date(2026, 1, 1), date(2026, 3, 31))["gas_t_score"]
    assert [b["numerator"] for b in gas["bands"]] == [0, 0, 0, 0, 3, 0]
