"""The earlier ASCOF 2B, 2A for people already supported, and the other measures on a
hand-built cohort, and who may see them."""
from datetime import UTC, date, datetime

import pytest

from backend.extensions import db
from backend.models import EpisodeOutcome as O
from backend.models import FollowUpResult as R
from backend.models import GoalStatus
from backend.services.outcomes.measures import outcome_measures
from tests.outcome_helpers import episode, goal

PERIOD = dict(start=date(2026, 1, 1), end=date(2026, 3, 31))
BEFORE = date(2025, 11, 15)


@pytest.fixture
def cohort(make):
    w = make.world()

    def p_():  # a person of their own: one open episode per person
        return make.package(make.service_user(), contract=w.contract)

    p = w.package
    # ASCOF 2B: hospital discharges in the period (still open: no reablement end yet).
    for age, result in [(70, R.AT_HOME), (80, R.AT_HOME), (65, R.DIED), (90, R.IN_HOSPITAL),
                        (75, R.CARE_HOME), (68, R.NOT_CONTACTABLE)]:
        episode(p_(), start=date(2026, 2, 1), age=age, followup_result=result)
    episode(p_(), start=date(2026, 2, 1), age=64, followup_result=R.AT_HOME)  # under 65
    episode(p_(), start=date(2026, 2, 1), age=None, followup_result=R.AT_HOME)  # age unknown
    episode(p_(), start=date(2026, 3, 31), age=72)  # follow-up not yet recorded
    episode(p_(), start=date(2026, 1, 1), age=80, from_hospital=False,
            followup_result=R.AT_HOME)  # not from hospital
    episode(p_(), start=date(2025, 12, 31), age=80, followup_result=R.AT_HOME)  # before period
    episode(w.other_package, start=date(2026, 2, 1), followup_result=R.AT_HOME)  # NHS-funded
    # ASCOF 2D, Barthel and hours: episodes ended in the period (started before it).
    for outcome, barthel, minutes in [
            (O.NO_FURTHER_SUPPORT, (8, 16), (840, 0)), (O.NO_FURTHER_SUPPORT, (10, 12), (600, 300)),
            (O.LOW_LEVEL_SUPPORT, None, None), (O.OTHER_SHORT_TERM, None, None),
            (O.LONG_TERM_SUPPORT, None, None), (O.LONG_TERM_SUPPORT, None, None),
            (O.RESIDENTIAL_OR_NURSING, None, None), (O.DIED, None, None),
            (O.HOSPITAL, None, None), (O.DECLINED, None, None)]:
        extra = {}
        if barthel:
            extra.update(barthel_start_total=barthel[0], barthel_end_total=barthel[1])
        if minutes:
            extra.update(weekly_minutes_start=minutes[0], weekly_minutes_end=minutes[1])
        episode(p, start=BEFORE, from_hospital=False, actual_end=date(2026, 1, 10),
                outcome=outcome, **extra)
    episode(p, start=BEFORE, from_hospital=False, actual_end=date(2026, 4, 1),
            outcome=O.RESIDENTIAL_OR_NURSING, barthel_start_total=20, barthel_end_total=0)
    episode(w.other_package, start=BEFORE, from_hospital=False, actual_end=date(2026, 1, 10),
            outcome=O.RESIDENTIAL_OR_NURSING)
    # Goals closed in the period.
    closed = datetime(2026, 2, 10, 12, tzinfo=UTC)
    for status in (GoalStatus.ACHIEVED, GoalStatus.ACHIEVED, GoalStatus.PARTLY_ACHIEVED,
                   GoalStatus.DISCONTINUED):
        goal(w.person, status=status, closed_at=closed, package=p)
    goal(w.person, status=GoalStatus.ACHIEVED, closed_at=datetime(2026, 4, 5, tzinfo=UTC))
    goal(w.other_person, status=GoalStatus.ACHIEVED, closed_at=closed)
    db.session.flush()
    return w


def test_ascof_2b_with_every_exclusion(cohort):
    m = outcome_measures(cohort.commissioner, **PERIOD)["ascof_2b_91_days"]
    assert (m["numerator"], m["denominator"]) == (2, 6)
    assert m["value"] == pytest.approx(0.3333)
    assert m["results"] == {"at_home": 2, "in_hospital": 1, "care_home": 1, "died": 1,
                            "not_contactable": 1}
    assert m["left_out"] == {"under_65": 1, "age_unknown": 1, "awaiting_follow_up": 1,
                             "not_from_hospital": 1}
    assert m["hospital_discharges"] == 9


def test_ascof_2a_leaves_out_people_already_on_long_term_support(cohort):
    # Every episode that ended in the period ran under the person's long-term package
    # (open since 2024): none of them is a new client's (tests/test_ascof.py has the rest).
    m = outcome_measures(cohort.commissioner, **PERIOD)["ascof_2a"]
    assert (m["numerator"], m["denominator"]) == (0, 0)
    assert m["left_out"]["already_on_long_term_support"] == 10


def test_barthel_gain_and_hours_reduction(cohort):
    m = outcome_measures(cohort.commissioner, **PERIOD)
    assert m["barthel_gain"] == {"numerator": 10, "denominator": 2, "value": 5}
    hours = m["weekly_hours_reduction"]
    assert (hours["numerator"], hours["denominator"], hours["value"]) == (1140, 2, 9.5)


def test_share_of_goals_achieved(cohort):
    m = outcome_measures(cohort.commissioner, **PERIOD)["goals_achieved"]
    assert (m["numerator"], m["denominator"]) == (2, 4)
    assert m["partly_achieved"]["numerator"] == 1 and m["discontinued"]["numerator"] == 1


def test_scope_follows_the_funder_and_the_provider(make, cohort):
    w = cohort
    nhs_contract = make.contract(funder=w.nhs, provider=w.provider)
    chc = make.package(make.service_user(), contract=nhs_contract)
    episode(chc, start=date(2026, 2, 1), followup_result=R.AT_HOME)
    council = outcome_measures(w.commissioner, **PERIOD)["ascof_2b_91_days"]
    manager = outcome_measures(w.manager, **PERIOD)["ascof_2b_91_days"]
    nhs = outcome_measures(w.nhs_commissioner, **PERIOD)["ascof_2b_91_days"]
    admin = outcome_measures(w.admin, **PERIOD)["ascof_2b_91_days"]
    assert (council["numerator"], council["denominator"]) == (2, 6)
    assert (manager["numerator"], manager["denominator"]) == (3, 7)
    assert (nhs["numerator"], nhs["denominator"]) == (2, 2)
    assert (admin["numerator"], admin["denominator"]) == (4, 8)
    by_funder = outcome_measures(w.manager, funder_id=w.nhs.id, **PERIOD)["ascof_2b_91_days"]
    assert (by_funder["numerator"], by_funder["denominator"]) == (1, 1)
    by_provider = outcome_measures(w.nhs_commissioner, provider_id=w.provider.id,
                                   **PERIOD)["ascof_2b_91_days"]
    assert (by_provider["numerator"], by_provider["denominator"]) == (1, 1)


def url(**params):
    query = "&".join(f"{k}={v}" for k, v in {"from": "2026-01-01", "to": "2026-03-31",
                                             **params}.items())
    return f"/api/v1/outcomes/measures?{query}"


@pytest.mark.parametrize("who, status, numerator", [
    ("manager", 200, 2), ("other_manager", 200, 1), ("commissioner", 200, 2),
    ("nhs_commissioner", 200, 1), ("admin", 200, 3), ("worker", 403, None),
    ("panel", 403, None),
])
def test_who_may_fetch_measures(client, bearer, cohort, who, status, numerator):
    db.session.commit()
    response = client.get(url(), headers=bearer(getattr(cohort, who)))
    assert response.status_code == status
    if numerator is not None:
        assert response.json["ascof_2b_91_days"]["numerator"] == numerator
        assert response.json["period"] == {"from": "2026-01-01", "to": "2026-03-31"}


def test_foreign_and_bad_filters(client, bearer, cohort):
    w = cohort
    db.session.commit()
    h = bearer(w.commissioner)
    assert client.get(url(provider_id=w.other_provider.id), headers=h).status_code == 404
    assert client.get(url(funder_id=w.nhs.id), headers=h).status_code == 404
    assert client.get(url(provider_id="00000000-0000-0000-0000-000000000000"),
                      headers=h).status_code == 404
    assert client.get(url(provider_id=w.provider.id), headers=h).status_code == 200
    wrong_kind = client.get(url(provider_id=w.council.id), headers=h)
    assert wrong_kind.status_code == 422 and "provider_id" in wrong_kind.json["error"]["fields"]
    backwards = client.get(url(**{"from": "2026-04-01"}), headers=h)
    assert backwards.status_code == 422 and "to" in backwards.json["error"]["fields"]
    assert client.get(url(to="someday"), headers=h).status_code == 422
    assert client.get(url(provider_id="nope"), headers=h).status_code == 422
    assert client.get(url(funder_id=w.council.id), headers=bearer(w.other_manager)) \
        .status_code == 404
    assert client.get("/api/v1/outcomes/measures", headers=h).status_code == 200
