"""ASCOF measures as defined from 2023-24 (2A, 2D, 2E), and the earlier 91-day 2B.

Each measure answers {numerator, denominator, value}, what was left out and why, and
its `definition` (name, source, the exclusions applied). All counting runs in SQL.
`scope` is the WHERE clause on CarePackage that says what the user may see (see
measures.package_scope); person-level counts take the people with a package in scope.

Where this system cannot follow the published method to the letter, the docstring of
the measure says so (docs/outcomes.md lists every difference).
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import (
    CarePackage,
    EpisodeOutcome,
    FollowUpResult,
    HospitalStay,
    PackageType,
    ReablementEpisode,
    ServiceUser,
)
from backend.services.database.dialect import days_between
from backend.services.national.codes import SETTLED_ACCOMMODATION, UNKNOWN
from backend.services.outcomes.reablement import EARLY_ENDS

CLD_ASCOF = ("https://digital.nhs.uk/data-and-information/data-collections-and-data-sets/"
             "data-sets/adult-social-care-client-level-data/reproducing-ascof-metrics-from-cld")
DHSC_CODE = "https://github.com/DataS-DHSC/ASC-CLD-LA-Dashboard/blob/main/ASCOF_measures"
METHODS_2425 = ("https://www.gov.uk/government/statistics/measures-from-the-adult-social-care-"
                "outcomes-framework-england-2024-to-2025/measures-from-ascof-england-2024-to-"
                "2025-methodologies-for-metrics-derived-from-client-level-data")
SALT_STS004 = ("https://digital.nhs.uk/data-and-information/data-collections-and-data-sets/"
               "data-collections/social-care-collection-materials-2022/"
               "salt-data-return-2021-2022-guidance/sts004")

# Days either side of a hospital discharge in which reablement counts as following it:
# starting up to 3 days before the discharge or up to 7 days after it.
REABLEMENT_BEFORE_DISCHARGE = 3
REABLEMENT_AFTER_DISCHARGE = 7
TWELVE_WEEKS = 84
# Someone whose long-term support ended fewer than 91 days before reablement started is
# not a new client (DHSC's 2A code: "no LTS in 3 months prior to reablement").
NEW_CLIENT_GAP_DAYS = 91
# Whole years from days as DHSC computes age: FLOOR(days / 365.25).
YEAR = 365.25

SEQUELS_2A = [EpisodeOutcome.NO_FURTHER_SUPPORT, EpisodeOutcome.LOW_LEVEL_SUPPORT,
              EpisodeOutcome.OTHER_SHORT_TERM, EpisodeOutcome.LONG_TERM_SUPPORT,
              EpisodeOutcome.RESIDENTIAL_OR_NURSING]
# NHS England's 2A numerator: ongoing low level support, short term support (other) and
# no services provided; the denominator adds long-term support in any setting.
SUCCESS_2A = [EpisodeOutcome.NO_FURTHER_SUPPORT, EpisodeOutcome.LOW_LEVEL_SUPPORT,
              EpisodeOutcome.OTHER_SHORT_TERM]
LONG_TERM_TYPES = [PackageType.STANDARD, PackageType.CONTINUING_HEALTHCARE,
                   PackageType.LIVE_IN]

DEFINITIONS = {
    "ascof_2a": {
        "name": "ASCOF 2A (2D before 2023-24): people who received short-term support to "
                "maximise independence (reablement) where no further request was made for "
                "ongoing support",
        "sources": [f"{CLD_ASCOF}/ascof-2a", f"{DHSC_CODE}/Create_ASCOF_2A_2425_Onwards.sql",
                    METHODS_2425],
        "exclusions": ["episode not ended in the period",
                       "died before the reablement started", "aged under 18 at its start",
                       "not a new client: long-term support open within 91 days before the "
                       "reablement started",
                       "ended early (died, admitted to hospital, declined)"],
    },
    "ascof_2d": {
        "name": "ASCOF 2D (from 2024-25): people aged 65+ discharged from hospital into "
                "reablement who remained in the community within 12 weeks of discharge "
                "(part 1), and the share of discharges followed by reablement (part 2)",
        "sources": [f"{DHSC_CODE}/Create_ASCOF_2D.sql", METHODS_2425],
        "exclusions": ["discharge not in the period", "aged under 65 at discharge or age "
                       "unknown", "died in hospital", "living in a care home (long-term "
                       "residential or nursing support) when admitted",
                       "admission not before discharge (zero-length or bad dates)",
                       "part 1: the 12 weeks after discharge not yet over"],
    },
    "ascof_2e": {
        "name": "ASCOF 2E (1G before 2023-24): people receiving long-term support who live "
                "in their home or with family",
        "sources": [f"{CLD_ASCOF}/ascof-2e", f"{DHSC_CODE}/Create_ASCOF_2E_2425_Onwards.sql",
                    f"{DHSC_CODE}/Create_personal_details_table.sql", METHODS_2425],
        "exclusions": ["died before the period", "aged under 18 at the period's end",
                       "age unknown (no date of birth)"],
        "note": "accommodation unknown or not recorded: presumed at home, as DHSC's code "
                "does for people whose long-term support is home support",
    },
    "ascof_2b_91_days": {
        "name": "Earlier measure, ASCOF 2B to 2022-23 (SALT STS004): people aged 65+ still "
                "at home 91 days after discharge from hospital into reablement",
        "sources": [SALT_STS004],
        "exclusions": ["not from hospital", "aged under 65 or age unknown",
                       "follow-up not yet recorded"],
    },
}


def figure(numerator, denominator, digits: int = 4) -> dict:
    """A figure with the counts behind it; value None when nothing was counted."""
    numerator, denominator = numerator or 0, denominator or 0
    value = round(numerator / denominator, digits) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "value": value}


def count_if(condition) -> sa.ColumnElement:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 when no rows."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _people(scope) -> sa.Select:
    return sa.select(CarePackage.service_user_id).where(scope)


def as_date(value):
    """A Python date as a SQL date literal; a column as it is."""
    return sa.literal(value, sa.Date()) if isinstance(value, date) else value


def aged_at_least(born, day, years: int) -> sa.ColumnElement[bool]:
    """Whether someone born on `born` is `years` old on `day`, counted as DHSC counts."""
    return days_between(born, as_date(day)) >= years * YEAR


def ascof_2b_91_days(scope, start: date, end: date) -> dict:
    """The earlier measure: older people still at home 91 days after hospital discharge.

    Deaths, hospital and care home stay in the denominator ("not reported in the
    numerator"), and so do people who could not be contacted (councils record them as
    not at home). Discharges are counted, not people.
    """
    e = ReablementEpisode
    hospital = e.from_hospital.is_(True)
    older = sa.and_(hospital, e.age_at_start >= 65)
    recorded = e.followup_result.is_not(None)
    q = sa.select(
        count_if(hospital).label("discharges"),
        count_if(~hospital).label("not_from_hospital"),
        count_if(sa.and_(hospital, e.age_at_start < 65)).label("under_65"),
        count_if(sa.and_(hospital, e.age_at_start.is_(None))).label("age_unknown"),
        count_if(sa.and_(older, ~recorded)).label("awaiting_follow_up"),
        *[count_if(sa.and_(older, e.followup_result == r)).label(r.value)
          for r in FollowUpResult],
    ).select_from(e).join(CarePackage, CarePackage.id == e.package_id).where(
        scope, e.start_date >= start, e.start_date <= end)
    row = db.session.execute(q).one()._asdict()
    by_result = {r.value: row[r.value] for r in FollowUpResult}
    return {**figure(by_result[FollowUpResult.AT_HOME], sum(by_result.values())),
            "results": by_result,
            "left_out": {key: row[key] for key in ("under_65", "age_unknown",
                                                   "awaiting_follow_up", "not_from_hospital")},
            "hospital_discharges": row["discharges"],
            "definition": DEFINITIONS["ascof_2b_91_days"]}


def _already_on_long_term_support(e) -> sa.ColumnElement[bool]:
    """A long-term package of the person, started before the reablement and open within
    the 91 days before it started (whoever funds or provides it)."""
    lts = aliased(CarePackage)
    return sa.exists().where(
        lts.service_user_id == e.service_user_id, lts.package_type.in_(LONG_TERM_TYPES),
        lts.start_date < e.start_date,
        sa.or_(lts.end_date.is_(None),
               days_between(lts.end_date, e.start_date) < NEW_CLIENT_GAP_DAYS))


def ascof_2a(scope, start: date, end: date) -> dict:
    """What followed reablement that ended in the period, for new clients.

    Each reason a reablement is left out is counted once, in the order of the
    definition's exclusions. Reablement episodes are counted one by one (DHSC joins
    episodes less than 7 days apart into one; this system keeps one open episode per
    person, so such runs are rare and each counts).
    """
    e, person = ReablementEpisode, ServiceUser
    reason = sa.case(
        (sa.and_(person.date_of_death.is_not(None), person.date_of_death < e.start_date),
         "died_before_start"),
        (e.age_at_start < 18, "under_18"),
        (_already_on_long_term_support(e), "already_on_long_term_support"),
        else_="counted")
    rows = db.session.execute(
        sa.select(reason.label("reason"), e.outcome, sa.func.count())
        .select_from(e).join(CarePackage, CarePackage.id == e.package_id)
        .join(person, person.id == e.service_user_id)
        .where(scope, e.actual_end >= start, e.actual_end <= end)
        .group_by(reason, e.outcome)).all()
    counted = {o: n for why, o, n in rows if why == "counted"}
    total = sum(counted.get(c, 0) for c in SEQUELS_2A)
    left_out = dict.fromkeys(("died_before_start", "under_18",
                              "already_on_long_term_support"), 0)
    for why, _, n in rows:
        if why != "counted":
            left_out[why] += n
    return {**figure(sum(counted.get(c, 0) for c in SUCCESS_2A), total),
            "shares": {c.value: figure(counted.get(c, 0), total) for c in SEQUELS_2A},
            "left_out": {**left_out, **{f"ended_early_{c.value}": counted.get(c, 0)
                                        for c in sorted(EARLY_ENDS)}},
            "definition": DEFINITIONS["ascof_2a"]}


def _eligible_discharge(stay, person) -> sa.ColumnElement[bool]:
    """A discharge ASCOF 2D counts: 65+, alive, not from a care home, dates in order."""
    return sa.and_(
        stay.admitted_on < stay.discharged_on,
        person.date_of_birth.is_not(None),
        aged_at_least(person.date_of_birth, stay.discharged_on, 65),
        sa.or_(person.date_of_death.is_(None), person.date_of_death > stay.discharged_on),
        sa.or_(person.care_home_admitted_on.is_(None),
               person.care_home_admitted_on > stay.admitted_on))


def _discharges_in_scope(scope, start: date, end: date, stay, person) -> sa.Select:
    return sa.select().select_from(stay).join(person, person.id == stay.service_user_id) \
        .where(stay.discharged_on >= start, stay.discharged_on <= end,
               person.id.in_(_people(scope)))


def _reablement_after_discharge(scope, start: date, end: date) -> sa.Subquery:
    """One row per reablement episode in scope that followed an eligible discharge in the
    period, with the latest such discharge (DHSC keeps the later of two)."""
    e, stay, person = ReablementEpisode, HospitalStay, ServiceUser
    gap = days_between(stay.discharged_on, e.start_date)
    return sa.select(e.id.label("episode_id"), e.service_user_id, e.start_date,
                     sa.func.max(stay.discharged_on).label("discharged_on")) \
        .select_from(e).join(CarePackage, CarePackage.id == e.package_id) \
        .join(stay, stay.service_user_id == e.service_user_id) \
        .join(person, person.id == e.service_user_id) \
        .where(scope, stay.discharged_on >= start, stay.discharged_on <= end,
               _eligible_discharge(stay, person), stay.admitted_on <= e.start_date,
               gap >= -REABLEMENT_BEFORE_DISCHARGE, gap <= REABLEMENT_AFTER_DISCHARGE) \
        .group_by(e.id, e.service_user_id, e.start_date).subquery()


def ascof_2d(scope, start: date, end: date, today: date) -> dict:
    """Part 1: of reablement after an eligible discharge in the period, the share with no
    death, no emergency readmission and no move into a care home within 12 weeks of the
    discharge. Part 2: of eligible discharges, the share followed by reablement.

    Discharges whose 12 weeks are not over on `today` are left out of part 1.
    """
    stay, person = HospitalStay, ServiceUser
    linked = _reablement_after_discharge(scope, start, end)
    after = aliased(HospitalStay)
    readmitted = sa.exists().where(
        after.service_user_id == linked.c.service_user_id, after.emergency.is_(True),
        after.admitted_on > linked.c.start_date, after.admitted_on > linked.c.discharged_on,
        days_between(linked.c.discharged_on, after.admitted_on) <= TWELVE_WEEKS)

    def within_12_weeks(day):
        return sa.and_(day.is_not(None), day >= linked.c.discharged_on,
                       days_between(linked.c.discharged_on, day) <= TWELVE_WEEKS)

    died = within_12_weeks(person.date_of_death)
    care_home = within_12_weeks(person.care_home_admitted_on)
    over = days_between(linked.c.discharged_on, as_date(today)) >= TWELVE_WEEKS
    part1 = db.session.execute(
        sa.select(sa.func.count(), count_if(over),
                  count_if(sa.and_(over, ~died, ~readmitted, ~care_home)),
                  count_if(sa.and_(over, died)), count_if(sa.and_(over, readmitted)),
                  count_if(sa.and_(over, care_home)))
        .select_from(linked).join(person, person.id == linked.c.service_user_id)).one()
    into_reablement, followed, remained, n_died, n_readmitted, n_care_home = part1
    aged = aged_at_least(person.date_of_birth, stay.discharged_on, 65)
    part2 = db.session.execute(_discharges_in_scope(scope, start, end, stay, person).add_columns(
        count_if(_eligible_discharge(stay, person)),
        count_if(person.date_of_birth.is_(None)),
        count_if(sa.and_(person.date_of_birth.is_not(None), ~aged)),
        count_if(sa.and_(person.date_of_death.is_not(None),
                         person.date_of_death <= stay.discharged_on)),
        count_if(sa.and_(person.care_home_admitted_on.is_not(None),
                         person.care_home_admitted_on <= stay.admitted_on)),
        count_if(stay.admitted_on >= stay.discharged_on))).one()
    eligible, age_unknown, under_65, died_in_hospital, from_care_home, bad_dates = part2
    return {**figure(remained, followed),
            "outcomes": {"died": n_died, "readmitted": n_readmitted,
                         "entered_care_home": n_care_home},
            "left_out": {"awaiting_12_weeks": into_reablement - followed},
            "part_2": {**figure(into_reablement, eligible),
                       "left_out": {"age_unknown": age_unknown, "under_65": under_65,
                                    "died_in_hospital": died_in_hospital,
                                    "living_in_care_home": from_care_home,
                                    "admitted_on_or_after_discharge": bad_dates}},
            "definition": DEFINITIONS["ascof_2d"]}


def ascof_2e(scope, start: date, end: date) -> dict:
    """People on long-term support in the period living at home or with family.

    Long-term support here is the home care this system records (every package but
    reablement: CLD "Long term support: Community", "Home support or domiciliary
    care"), so the denominator is the council's community long-term support; the
    national figure also counts residential and nursing care. Age is taken at the end
    of the period; accommodation status is the person's current one. When it is
    unknown or not recorded, DHSC's code presumes someone whose long-term support is
    home support lives at home ("Unknown: Presumed at home", settled); so does this
    one, and counts them apart. Reported for 18-64 and 65+ as published, and for both
    together.
    """
    person = ServiceUser
    on_support = sa.select(CarePackage.service_user_id).where(
        scope, CarePackage.package_type.in_(LONG_TERM_TYPES), CarePackage.start_date <= end,
        sa.or_(CarePackage.end_date.is_(None), CarePackage.end_date >= start))
    known = person.date_of_birth.is_not(None)
    adult = sa.and_(known, aged_at_least(person.date_of_birth, end, 18))
    older = sa.and_(known, aged_at_least(person.date_of_birth, end, 65))
    alive = sa.or_(person.date_of_death.is_(None), person.date_of_death >= start)
    counted = sa.and_(alive, adult)
    unknown = sa.or_(person.accommodation_status.is_(None),
                     person.accommodation_status == UNKNOWN)
    settled = sa.or_(person.accommodation_status.in_(SETTLED_ACCOMMODATION), unknown)
    row = db.session.execute(sa.select(
        count_if(counted), count_if(sa.and_(counted, settled)),
        count_if(sa.and_(counted, older)), count_if(sa.and_(counted, older, settled)),
        count_if(sa.and_(counted, unknown)),
        count_if(~alive), count_if(sa.and_(alive, ~known)),
        count_if(sa.and_(alive, known, ~adult)),
    ).where(person.id.in_(on_support))).one()
    people, at_home, older_people, older_at_home, presumed, died, no_age, under_18 = row
    return {**figure(at_home, people),
            "aged_18_to_64": figure(at_home - older_at_home, people - older_people),
            "aged_65_and_over": figure(older_at_home, older_people),
            "presumed_at_home": presumed,
            "left_out": {"died_before_period": died, "age_unknown": no_age,
                         "under_18": under_18},
            "definition": DEFINITIONS["ascof_2e"]}
