"""ASCOF 2A, 2D (12 weeks, both parts) and 2E on hand-built cohorts: every inclusion window
and every exclusion of the published definitions, counted by hand."""
from datetime import date, timedelta

import pytest

from backend.extensions import db
from backend.models import EpisodeOutcome as O
from backend.models import HospitalStay, PackageType
from backend.services.outcomes.measures import outcome_measures
from tests.outcome_helpers import episode

PERIOD = dict(start=date(2026, 1, 1), end=date(2026, 3, 31))
D = date(2026, 2, 1)  # the usual discharge day


def days(n: int) -> timedelta:
    return timedelta(days=n)


# ---------------------------------------------------------------- ASCOF 2A

@pytest.fixture
def cohort_2a(make):
    w = make.world()
    started, ended = date(2025, 11, 15), date(2026, 1, 10)

    def reablement(outcome, *, end=ended, age=70, person=None, **kw):
        person = person or make.service_user()
        package = make.package(person, contract=w.contract, start_date=started,
                               package_type=PackageType.REABLEMENT)
        return episode(package, start=started, from_hospital=False, actual_end=end,
                       outcome=outcome, age=age, **kw)

    # Counted: 8 new clients, 5 of them needing no more than short-term or low-level help.
    reablement(O.NO_FURTHER_SUPPORT, end=PERIOD["start"])  # ended on the period's first day
    reablement(O.NO_FURTHER_SUPPORT, end=PERIOD["end"])  # ... and on its last
    reablement(O.LOW_LEVEL_SUPPORT, age=18)  # 18: an adult
    reablement(O.OTHER_SHORT_TERM, age=None)  # age unknown: counted, as DHSC does
    lapsed = make.service_user()  # long-term support ended 91 days before: a new client
    make.package(lapsed, contract=w.contract, start_date=date(2024, 1, 1),
                 end_date=started - days(91))
    reablement(O.OTHER_SHORT_TERM, person=lapsed)
    later = make.service_user()  # long-term support that followed the reablement
    make.package(later, contract=w.contract, start_date=ended + days(1))
    reablement(O.LONG_TERM_SUPPORT, person=later)
    reablement(O.LONG_TERM_SUPPORT, person=make.service_user(date_of_death=date(2026, 2, 1)))
    reablement(O.RESIDENTIAL_OR_NURSING)
    # Left out.
    reablement(O.NO_FURTHER_SUPPORT, end=PERIOD["start"] - days(1))  # ended before the period
    reablement(O.NO_FURTHER_SUPPORT, end=PERIOD["end"] + days(1))  # ... and after it
    reablement(O.NO_FURTHER_SUPPORT, person=make.service_user(date_of_death=date(2025, 11, 1)))
    reablement(O.NO_FURTHER_SUPPORT, age=17)
    existing = make.service_user()  # long-term support open when the reablement started
    make.package(existing, contract=w.contract, start_date=date(2025, 1, 1))
    reablement(O.NO_FURTHER_SUPPORT, person=existing)
    recent = make.service_user()  # ... or ended 90 days before it
    make.package(recent, contract=w.contract, start_date=date(2024, 1, 1),
                 end_date=started - days(90))
    reablement(O.LOW_LEVEL_SUPPORT, person=recent)
    for early in (O.DIED, O.HOSPITAL, O.DECLINED):
        reablement(early)
    nhs = make.package(make.service_user(), contract=w.other_contract,
                       package_type=PackageType.REABLEMENT)  # another funder's
    episode(nhs, start=started, from_hospital=False, actual_end=ended,
            outcome=O.NO_FURTHER_SUPPORT)
    return w


def test_ascof_2a_counts_short_term_support_other_as_success(cohort_2a):
    m = outcome_measures(cohort_2a.commissioner, **PERIOD)["ascof_2a"]
    assert (m["numerator"], m["denominator"], m["value"]) == (5, 8, 0.625)
    assert m["shares"]["other_short_term"]["numerator"] == 2
    assert m["shares"]["no_further_support"]["numerator"] == 2
    assert m["shares"]["long_term_support"]["numerator"] == 2
    assert m["shares"]["residential_or_nursing"]["numerator"] == 1
    assert m["left_out"] == {"died_before_start": 1, "under_18": 1,
                             "already_on_long_term_support": 2, "ended_early_declined": 1,
                             "ended_early_died": 1, "ended_early_hospital": 1}
    assert "ascof-2a" in m["definition"]["sources"][0]


def test_ascof_2a_for_the_other_funder(cohort_2a):
    m = outcome_measures(cohort_2a.nhs_commissioner, **PERIOD)["ascof_2a"]
    assert (m["numerator"], m["denominator"]) == (1, 1)


# ---------------------------------------------------------------- ASCOF 2D

@pytest.fixture
def cohort_2d(make):
    w = make.world()

    def person(born=date(1955, 6, 1), **kw):
        p = make.service_user(date_of_birth=born, **kw)
        make.package(p, contract=w.contract, package_type=PackageType.REABLEMENT,
                     start_date=date(2025, 6, 1))
        return p

    def stay(p, discharged, admitted=None, emergency=True):
        db.session.add(HospitalStay(service_user_id=p.id, discharged_on=discharged,
                                    admitted_on=admitted or discharged - days(12),
                                    emergency=emergency))

    def discharged_into_reablement(start, discharged=D, **kw):
        p = person(**kw)
        stay(p, discharged)
        package = make.package(p, contract=w.contract, package_type=PackageType.REABLEMENT,
                               start_date=start)
        episode(package, start=start)
        return p

    # Part 1: reablement after a discharge in the period, 12 weeks over (10 episodes).
    discharged_into_reablement(D - days(3))  # started 3 days before discharge: linked
    discharged_into_reablement(D + days(7))  # ... 7 days after: linked
    discharged_into_reablement(D, date_of_death=D + days(84))  # died within 12 weeks
    discharged_into_reablement(D + days(1), date_of_death=D + days(85))  # ... just after
    stay(discharged_into_reablement(D + days(1)), D + days(90), D + days(84))  # readmitted
    stay(discharged_into_reablement(D + days(1)), D + days(32), D + days(30),
         emergency=False)  # a planned admission is not a readmission
    stay(discharged_into_reablement(D + days(1)), D + days(90), D + days(85))  # after 12 weeks
    discharged_into_reablement(D + days(1), care_home_admitted_on=D + days(40))  # care home
    discharged_into_reablement(D + days(1), born=date(1960, 12, 1))  # 65 at discharge
    twice = discharged_into_reablement(D + days(1), discharged=D + days(1))
    stay(twice, D - days(2), D - days(9))  # two discharges before one reablement: one counted
    # Part 1, left out: the 12 weeks not over yet (still counted in part 2).
    discharged_into_reablement(PERIOD["end"] + days(1), discharged=PERIOD["end"])
    # Discharges not followed by reablement (part 2's denominator only).
    discharged_into_reablement(D - days(4))
    discharged_into_reablement(D + days(8))
    late = discharged_into_reablement(D - days(3))
    db.session.flush()
    late_stay = db.session.query(HospitalStay).filter_by(service_user_id=late.id).one()
    late_stay.admitted_on = D - days(2)  # admitted after the reablement had started
    # Discharges left out of both parts.
    discharged_into_reablement(D + days(1), born=date(1962, 1, 1))  # under 65
    stay(person(born=None), D)  # age unknown
    stay(person(date_of_death=D), D)  # died in hospital
    stay(person(care_home_admitted_on=D - days(60)), D)  # lived in a care home
    stay(person(), D, admitted=D)  # admitted on the day of discharge
    discharged_into_reablement(PERIOD["start"] + days(1), discharged=PERIOD["start"] - days(1))
    nhs_person = make.service_user(date_of_birth=date(1950, 1, 1))  # another funder's
    stay(nhs_person, D)
    episode(make.package(nhs_person, contract=w.other_contract,
                         package_type=PackageType.REABLEMENT), start=D)
    db.session.flush()
    return w


def test_ascof_2d_part_1_twelve_weeks_in_the_community(cohort_2d):
    m = outcome_measures(cohort_2d.commissioner, today=date(2026, 6, 20), **PERIOD)["ascof_2d"]
    assert (m["numerator"], m["denominator"], m["value"]) == (7, 10, 0.7)
    assert m["outcomes"] == {"died": 1, "readmitted": 1, "entered_care_home": 1}
    assert m["left_out"] == {"awaiting_12_weeks": 1}


def test_ascof_2d_part_2_discharges_followed_by_reablement(cohort_2d):
    m = outcome_measures(cohort_2d.commissioner, today=date(2026, 6, 20), **PERIOD)["ascof_2d"]
    # 16 eligible discharges: 11 episodes' (one of them discharged twice), the planned
    # admission's own discharge, and three not followed by reablement in the window.
    assert (m["part_2"]["numerator"], m["part_2"]["denominator"]) == (11, 16)
    assert m["part_2"]["left_out"] == {"age_unknown": 1, "under_65": 1, "died_in_hospital": 1,
                                       "living_in_care_home": 1,
                                       "admitted_on_or_after_discharge": 1}


def test_ascof_2d_twelve_weeks_later_every_discharge_is_followed(cohort_2d):
    m = outcome_measures(cohort_2d.commissioner, today=date(2026, 9, 1), **PERIOD)["ascof_2d"]
    assert (m["numerator"], m["denominator"]) == (8, 11)
    assert m["left_out"] == {"awaiting_12_weeks": 0}
    nhs = outcome_measures(cohort_2d.nhs_commissioner, today=date(2026, 9, 1),
                           **PERIOD)["ascof_2d"]
    assert (nhs["numerator"], nhs["denominator"]) == (1, 1)
    assert (nhs["part_2"]["numerator"], nhs["part_2"]["denominator"]) == (1, 1)


# ---------------------------------------------------------------- ASCOF 2E

OWNER = "Owner occupier or shared ownership scheme"
FAMILY = "Settled mainstream housing with family or friends"
SHELTERED = "Sheltered housing, extra care housing or other sheltered housing"
GUEST = "Staying with family or friends as a short term guest"


@pytest.fixture
def cohort_2e(make):
    w = make.world()  # w.person: long-term support since 2024, accommodation not recorded

    def supported(status=None, born=date(1950, 1, 1), start=date(2025, 1, 1), end=None,
                  kind=PackageType.STANDARD, contract=None, **kw):
        p = make.service_user(accommodation_status=status, date_of_birth=born, **kw)
        make.package(p, contract=contract or w.contract, start_date=start, end_date=end,
                     package_type=kind)
        return p

    supported(OWNER, born=date(1945, 1, 1))  # 65+, at home
    supported(FAMILY, born=date(1985, 1, 1))  # 18-64, with family
    supported(SHELTERED)  # settled
    supported(GUEST)  # not settled
    supported(None)  # not recorded: presumed at home (home support), as DHSC does
    supported("Unknown", born=date(1995, 1, 1))  # unknown, 18-64: presumed at home
    supported(OWNER, end=PERIOD["start"])  # support ended on the period's first day
    supported(OWNER, start=PERIOD["end"])  # ... started on its last
    supported(OWNER, date_of_death=PERIOD["start"])  # died in the period
    both = supported(OWNER)  # two packages: one person
    make.package(both, contract=w.contract, start_date=date(2025, 6, 1))
    # Left out.
    supported(OWNER, end=PERIOD["start"] - days(1))  # support ended before the period
    supported(OWNER, start=PERIOD["end"] + days(1))  # ... started after it
    supported(OWNER, kind=PackageType.REABLEMENT)  # short-term support only
    supported(OWNER, date_of_death=PERIOD["start"] - days(1))  # died before the period
    supported(OWNER, born=None)  # age unknown
    supported(OWNER, born=date(2008, 6, 1))  # 17 at the period's end
    supported(OWNER, contract=w.other_contract)  # another funder's
    return w


def test_ascof_2e_long_term_support_at_home_or_with_family(cohort_2e):
    m = outcome_measures(cohort_2e.commissioner, **PERIOD)["ascof_2e"]
    assert (m["numerator"], m["denominator"]) == (10, 11)  # all but the short-term guest
    assert (m["aged_65_and_over"]["numerator"], m["aged_65_and_over"]["denominator"]) == (8, 9)
    assert (m["aged_18_to_64"]["numerator"], m["aged_18_to_64"]["denominator"]) == (2, 2)
    assert m["presumed_at_home"] == 3
    assert m["left_out"] == {"died_before_period": 1, "age_unknown": 1, "under_18": 1}


def test_every_measure_names_its_source_and_exclusions(cohort_2e):
    m = outcome_measures(cohort_2e.manager, **PERIOD)
    for key in ("ascof_2a", "ascof_2d", "ascof_2e", "ascof_2b_91_days"):
        definition = m[key]["definition"]
        assert definition["sources"] and all(s.startswith("https://")
                                             for s in definition["sources"])
        assert definition["exclusions"] and definition["name"]
    assert m["ascof_2b_91_days"]["definition"]["name"].startswith("Earlier measure")


def test_the_api_gives_the_measures(client, bearer, cohort_2e):
    db.session.commit()
    response = client.get("/api/v1/outcomes/measures?from=2026-01-01&to=2026-03-31",
                          headers=bearer(cohort_2e.commissioner))
    assert response.status_code == 200
    body = response.json
    assert (body["ascof_2e"]["numerator"], body["ascof_2e"]["denominator"]) == (10, 11)
    assert body["ascof_2a"]["definition"]["sources"]
    assert "part_2" in body["ascof_2d"] and "results" in body["ascof_2b_91_days"]
