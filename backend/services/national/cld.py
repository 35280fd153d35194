"""Client Level Data (CLD), Release 2: a council's service rows for a quarter, as CSV, and a
validation report of the rows that would be rejected, so the council fixes them first.

One service event per home care package funded or co-funded by the council and open in the quarter,
and one per reablement episode under such a package (a reablement package with an
episode is sent as its episode: one reablement, one row). Fields and their order are
those of the Release 2 specification as DHSC's data quality code lists them
(DataS-DHSC/ASC-CLD-LA-Dashboard, Stored_procedures/create_GetDQValues_procedure.sql);
the values come from services/national/codes.py. Fields this system does not hold
(gender, ethnicity, primary support reason, GP practice ...) are left empty for the
council's case management system to add. A row with a problem is never dropped: it is
sent and listed in the report. Rows are read in batches and streamed.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.models import (
    CarePackage, Contract, EpisodeOutcome, Organisation, OrganisationKind, PackageType,
    ReablementEpisode, ServiceUser, User,
)
from backend.services.audit import exports
from backend.services.database.dialect import days_between
from backend.services.identity import access
from backend.services.national import codes
from backend.services.reference import funding, validation

BATCH = 2000
FIELDS = [
    "LA_Code", "Reporting_Period_End_Date", "Reporting_Period_Start_Date",
    "NHS_Number", "LA_Person_Unique_Identifier", "GP_Practice_Code", "Gender", "Ethnicity",
    "Date_of_Birth", "Date_of_Death", "Client_Type", "Primary_Support_Reason", "Postcode",
    "Accommodation_Status", "Employment_Status", "Has_Unpaid_Carer",
    "Autism_Spectrum_Disorder_ASD", "Visual_Impairment", "Hearing_Impairment", "Dementia",
    "Client_Funding_Status", "Event_Type", "Event_Reference", "Event_Start_Date",
    "Event_End_Date", "Event_Description", "Event_Outcome", "Request_Route_of_Access",
    "Assessment_Type", "Eligible_Needs_Identified", "Method_of_Assessment",
    "Total_Hrs_Caring_per_week", "No_of_adults_being_cared_for", "Adult_1_Linked_Person_ID",
    "Adult_2_Linked_Person_ID", "Adult_3_Linked_Person_ID", "Service_Type",
    "Service_Component", "Delivery_Mechanism", "Provider_CQC_Location_ID", "Review_Reason",
    "Review_Outcomes_Achieved", "Method_of_Review", "Unit_Cost", "Cost_Frequency_Unit_Type",
    "Planned_units_per_week",
]
CODE_LISTS = {
    "Client_Type": codes.CLIENT_TYPES, "Accommodation_Status": codes.ACCOMMODATION_STATUSES,
    "Client_Funding_Status": codes.CLIENT_FUNDING_STATUSES, "Event_Type": codes.EVENT_TYPES,
    "Event_Outcome": codes.EVENT_OUTCOMES, "Service_Type": codes.SERVICE_TYPES,
    "Service_Component": codes.SERVICE_COMPONENTS,
    "Delivery_Mechanism": codes.DELIVERY_MECHANISMS,
    "Cost_Frequency_Unit_Type": codes.COST_FREQUENCIES,
}
# What followed a reablement episode, as a CLD Event_Outcome of its ST-Max service row.
EPISODE_OUTCOMES = {
    EpisodeOutcome.NO_FURTHER_SUPPORT: "NFA: Support ended as planned",
    EpisodeOutcome.LOW_LEVEL_SUPPORT: "Progress to support planning or services",
    EpisodeOutcome.OTHER_SHORT_TERM: "Progress to support planning or services",
    EpisodeOutcome.LONG_TERM_SUPPORT: "Progress to support planning or services",
    EpisodeOutcome.RESIDENTIAL_OR_NURSING: "Progress to support planning or services",
    EpisodeOutcome.DIED: "NFA: Deceased",
    EpisodeOutcome.HOSPITAL: "Admitted to hospital",
    EpisodeOutcome.DECLINED: "NFA: Support declined",
}
# A package followed within a week by another of the same person continues the support.
CONTINUATION_DAYS = 7
QUARTER_MONTHS = (1, 4, 7, 10)


@dataclass(frozen=True)
class Return:
    """The council and the quarter a CLD file is for."""

    council: Organisation
    start: date
    end: date


def quarter(start: date) -> tuple[date, date]:
    """The quarter starting on `start` (1 January, April, July or October)."""
    if start.day != 1 or start.month not in QUARTER_MONTHS:
        raise Invalid("A quarter starts on 1 January, April, July or October.",
                      field="quarter")
    month = start.month + 3
    following = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return start, following - timedelta(days=1)


def sends_cld(user: User) -> bool:
    """Whether the user's own organisation is a council: councils send the CLD return (an
    ICB or a provider sends none), so a council's returns open on it."""
    return user.organisation.kind == OrganisationKind.COUNCIL


def for_council(user: User, council_id, quarter_start: date) -> Return:
    """The return asked for: a council the user may see (their own; admins any), else 404."""
    council = access.get_visible(user, Organisation, council_id, "council")
    if council.kind != OrganisationKind.COUNCIL:
        raise NotFound("No council with that id.")
    return Return(council, *quarter(quarter_start))


def _blank(ret: Return) -> dict:
    """What every row of the return shares (copied per row: cheaper than building it)."""
    row = dict.fromkeys(FIELDS)
    row.update(LA_Code=ret.council.ods_code, Reporting_Period_Start_Date=ret.start,
               Reporting_Period_End_Date=ret.end, Client_Type="Service user",
               Client_Funding_Status="Fully social care funded", Event_Type="Service",
               Delivery_Mechanism="CASSR commissioned support", Cost_Frequency_Unit_Type="Hourly")
    return row


def _person_and_cost(row: dict, r) -> None:
    """The first eight columns _base() reads (by position: a county-year is many rows)."""
    (row["LA_Person_Unique_Identifier"], row["NHS_Number"], row["Date_of_Birth"],
     row["Date_of_Death"], row["Postcode"], row["Accommodation_Status"],
     row["Provider_CQC_Location_ID"], rate) = r[:8]
    row["Unit_Cost"] = _hundredths(rate)


def _hundredths(value: int | None) -> Decimal | None:
    """An integer count of hundredths (pence, or hundredths of an hour) as an exact
    two-place decimal."""
    return None if value is None else Decimal(value).scaleb(-2)


def _hours(minutes) -> Decimal | None:
    """Minutes as hours to two places, halves up, in integers (exact and quick)."""
    return None if minutes is None else _hundredths((minutes * 100 + 30) // 60)


def _ended_by(end: date | None, ret: Return) -> date | None:
    """An end inside the return's period is sent; a later one is not known yet."""
    return end if end is not None and end <= ret.end else None


def _base(ret: Return, user: User) -> sa.Select:
    provider = aliased(Organisation)
    # The council's own rows: packages it funds or co-funds. CLD Guidance (release 1,
    # "Unit cost") asks for the gross cost net of NHS (CHC) contributions, so a jointly
    # funded package's hourly rate is the council's share of it, in pence half up.
    share = funding.Split(True, ret.council.id)
    unit_cost = (Contract.hourly_rate_pence * share.points + funding.WHOLE // 2) \
        // funding.WHOLE
    return share.apply(
        sa.select(ServiceUser.council_ref, ServiceUser.nhs_number,
                  ServiceUser.date_of_birth, ServiceUser.date_of_death,
                  ServiceUser.postcode, ServiceUser.accommodation_status,
                  provider.cqc_id, unit_cost)
        .select_from(CarePackage)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)
        .join(provider, provider.id == CarePackage.provider_id)
        .join(Contract, Contract.id == CarePackage.contract_id)
        .where(access.visible(user, CarePackage)))


def _stream(stmt):
    """Rows in batches from a server-side cursor, without the ORM's per-row work (these
    are plain columns)."""
    return db.session.connection().execute(stmt.execution_options(yield_per=BATCH))


def _package_rows(user: User, ret: Return) -> Iterator[dict]:
    p = CarePackage
    following = aliased(CarePackage)
    continued = sa.exists().where(
        following.service_user_id == p.service_user_id, following.id != p.id,
        following.start_date > p.start_date,
        days_between(p.end_date, following.start_date) <= CONTINUATION_DAYS)
    has_episode = sa.exists().where(ReablementEpisode.package_id == p.id)
    stmt = _base(ret, user).add_columns(
        p.id, p.package_type, p.start_date, p.end_date, p.weekly_minutes,
        continued.label("continued"),
    ).where(p.start_date <= ret.end, sa.or_(p.end_date.is_(None), p.end_date >= ret.start),
            ~sa.and_(p.package_type == PackageType.REABLEMENT, has_episode)) \
        .order_by(ServiceUser.council_ref, p.start_date, p.id)
    blank = _blank(ret)
    for r in _stream(stmt):
        row = blank.copy()
        _person_and_cost(row, r)
        package_id, kind, start, end, weekly, continued = r[8:]
        end = _ended_by(end, ret)
        reablement = kind == PackageType.REABLEMENT
        row["Event_Reference"], row["Event_Start_Date"] = str(package_id), start
        row["Event_End_Date"] = end
        row["Service_Type"] = "Short term support: ST-Max" if reablement \
            else "Long term support: Community"
        row["Service_Component"] = "Reablement" if reablement \
            else "Home support or domiciliary care"
        row["Planned_units_per_week"] = _hours(weekly)
        if end is not None:
            death = row["Date_of_Death"]
            died = death is not None and death <= end + timedelta(days=CONTINUATION_DAYS)
            row["Event_Outcome"] = ("NFA: Deceased" if died else
                                    "Continuation of support or services" if continued
                                    else "NFA: Support ended for other reason")
        yield row


def _episode_rows(user: User, ret: Return) -> Iterator[dict]:
    e = ReablementEpisode
    stmt = _base(ret, user).add_columns(
        e.id, e.start_date, e.actual_end, e.outcome, e.weekly_minutes_start,
        CarePackage.weekly_minutes,
    ).join(e, e.package_id == CarePackage.id) \
        .where(e.start_date <= ret.end, sa.or_(e.actual_end.is_(None), e.actual_end >= ret.start)) \
        .order_by(ServiceUser.council_ref, e.start_date, e.id)
    blank = _blank(ret)
    for r in _stream(stmt):
        row = blank.copy()
        _person_and_cost(row, r)
        end = _ended_by(r.actual_end, ret)
        row.update(Event_Reference=str(r.id), Event_Start_Date=r.start_date,
                   Event_End_Date=end, Service_Type="Short term support: ST-Max",
                   Service_Component="Reablement",
                   Event_Outcome=EPISODE_OUTCOMES.get(r.outcome) if end else None,
                   Planned_units_per_week=_hours(r.weekly_minutes_start or r.weekly_minutes))
        yield row


def cld_rows(user: User, ret: Return) -> Iterator[dict]:
    """Every service row of the return: packages, then reablement episodes."""
    yield from _package_rows(user, ret)
    yield from _episode_rows(user, ret)


def row_problems(row: dict) -> list[tuple[str, str]]:
    """(field, why) for each reason the row would be rejected."""
    problems = []
    if not row["NHS_Number"]:
        problems.append(("NHS_Number", "missing (the row is sent; add the NHS number)"))
    else:
        try:
            validation.nhs_number(row["NHS_Number"])
        except Invalid as exc:
            problems.append(("NHS_Number", exc.message))
    for field in ("LA_Person_Unique_Identifier", "Date_of_Birth", "Event_Start_Date"):
        if row[field] in (None, ""):
            problems.append((field, "missing"))
    start, end = row["Event_Start_Date"], row["Event_End_Date"]
    if start is not None and end is not None and end < start:
        problems.append(("Event_End_Date", f"ends ({end}) before it starts ({start})"))
    for field, allowed in CODE_LISTS.items():
        if row[field] not in (None, "") and row[field] not in allowed:
            problems.append((field, f"unknown code {row[field]!r}"))
    for field in ("Unit_Cost", "Planned_units_per_week"):
        if row[field] is None or row[field] < 0:
            problems.append((field, "missing or negative"))
    return problems


def validation_report(user: User, council_id, quarter_start: date) -> dict:
    """The rows that would be rejected and why, before the council submits the file."""
    ret = for_council(user, council_id, quarter_start)
    problems, rows, rejected, seen = [], 0, 0, set()
    for number, row in enumerate(cld_rows(user, ret), start=1):
        rows += 1
        found = row_problems(row)
        if row["Event_Reference"] in seen:
            found.append(("Event_Reference", "the same event is sent twice"))
        seen.add(row["Event_Reference"])
        rejected += bool(found)
        problems += [{"row": number, "event_reference": row["Event_Reference"],
                      "person": row["LA_Person_Unique_Identifier"], "field": field,
                      "problem": why} for field, why in found]
    file_problems = [] if ret.council.ods_code else [
        {"field": "LA_Code", "problem": "the council has no LA code (organisations.ods_code)"}]
    return {"council": {"id": str(ret.council.id), "name": ret.council.name},
            "period": {"from": ret.start, "to": ret.end}, "rows": rows,
            "rejected_rows": rejected, "problems": problems, "file_problems": file_problems}


def cld_csv(user: User, council_id, quarter_start: date) -> Iterator[str]:
    """The return as CSV: the Release 2 field names as headers, one row per service event.
    Plain UTF-8 without a byte-order mark: the file goes to the collection's upload, not
    a spreadsheet. The council and quarter are checked at once; rows stream after."""
    ret = for_council(user, council_id, quarter_start)
    # Each row's values are in FIELDS order (rows are copies of _blank's dict), and are
    # text, dates, decimals or None: written as they are.
    return exports.csv_lines(FIELDS, (list(row.values()) for row in cld_rows(user, ret)),
                             bom=False, plain=True)
