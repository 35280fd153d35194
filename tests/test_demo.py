"""The demo county is realistic and consistent: its visits agree with their event log."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.demo import DEMO_PASSWORD, LOGINS
from backend.extensions import db
from backend.models import (
    AuditEntry,
    CallRate,
    CarePackage,
    Contract,
    ContractFunder,
    FrameworkStatus,
    FrameworkStatusChange,
    Organisation,
    OrganisationKind,
    PackageType,
    Priority,
    Role,
    ScheduleLine,
    ServiceUser,
    UnverifiedVisits,
    User,
    Visit,
    VisitAssignment,
    VisitEvent,
    VisitStatus,
)
from backend.services.reference import validation
from backend.services.identity.passwords import verify_password
from backend.services.attendance.visit_state import derive
from backend.services.audit.payment import billed_visits, payment_totals
from backend.services.audit.report_scope import parse_grouping
from backend.services.dates import periods
from backend.services.national.cld import validation_report
from backend.services.national.qs123 import visit_length
from backend.services.outcomes.measures import outcome_measures
from tests.demo_county import built_county, read_only

# The morning after the spring clock change (29 March 2026), so the window crosses it.
NOW = datetime(2026, 3, 30, 11, 20, tzinfo=UTC)
SMALL = dict(seed=7, scale=0.2, past_days=4, future_days=1, now=NOW)


@pytest.fixture(scope="module")
def county(app):
    """A small demo county, built once for this module's read-only tests."""
    yield from built_county(app, **SMALL)


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Overrides conftest's emptying after each test: these tests only read the county."""
    yield from read_only(app)


def test_cached_visit_columns_equal_derive_from_events(county):
    visits = db.session.scalars(sa.select(Visit).options(selectinload(Visit.events))).all()
    assert sum(1 for v in visits if v.events) > 300
    for visit in visits:
        state = derive(visit)
        assert (visit.status, visit.actual_start, visit.actual_end, visit.delivered_seconds,
                visit.delivered_minutes, visit.location_verified, visit.flags) == \
               (state.status, state.actual_start, state.actual_end, state.delivered_seconds,
                state.delivered_minutes, state.location_verified, state.flags), visit.id


def test_seeded_corrections_keep_the_minutes_they_changed(county):
    """The demo's corrections are made as the corrections service makes them: each shows
    the worker's minutes before and after, and names the event it corrects."""
    seeded = db.session.scalars(sa.select(VisitEvent).where(
        VisitEvent.kind == "correction")).all()
    assert seeded
    for event in seeded:
        assert {"minutes_before", "minutes_after"} <= set(event.details), event.id
        assert event.corrects_event_id is not None
    changed = [e for e in seeded if e.corrected_end is not None]
    assert changed and all(e.details["minutes_after"] is not None for e in changed)


def test_realistic_mix_of_visits(county):
    past = db.session.scalars(sa.select(Visit).where(Visit.planned_start < NOW)).all()
    late = [v for v in past if v.actual_start
            and v.actual_start - v.planned_start > timedelta(minutes=15)]
    short = [v for v in past if v.status == VisitStatus.COMPLETED
             and v.delivered_minutes < v.duration_min * v.carers_required - 15]
    statuses = {v.status for v in past}
    assert {VisitStatus.COMPLETED, VisitStatus.MISSED, VisitStatus.NO_ACCESS} <= statuses
    assert late and short
    assert len(late) < 0.25 * len(past) and len(short) < 0.25 * len(past)
    unverified = [v for v in past if v.location_verified is False]
    verified = [v for v in past if v.location_verified]
    assert unverified and len(verified) > 4 * len(unverified)
    later = db.session.scalars(sa.select(Visit).where(Visit.planned_start > NOW)).all()
    assert later and {v.status for v in later} <= {VisitStatus.SCHEDULED, VisitStatus.CANCELLED}
    double_ups = db.session.scalars(sa.select(Visit).where(
        Visit.carers_required == 2, Visit.status == VisitStatus.COMPLETED)).all()
    assert any(len({e.worker_id for e in v.events if e.kind == "check_in"}) == 2
               for v in double_ups)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.priority == Priority.CRITICAL)) > 0
    # Events sit between device and server times.
    for event in db.session.scalars(sa.select(VisitEvent)).all():
        assert event.device_time <= event.server_time <= NOW


def test_visits_follow_local_time_across_the_clock_change(county):
    """Calls keep their local wall-clock time on both sides of the spring change."""
    london = ZoneInfo("Europe/London")
    rows = db.session.execute(
        sa.select(Visit.local_date, Visit.planned_start, ScheduleLine.start_time)
        .join(ScheduleLine, ScheduleLine.id == Visit.schedule_line_id)).all()
    offsets = set()
    for day, start, wall_clock in rows:
        local = start.astimezone(london)
        assert (local.date(), local.time()) == (day, wall_clock)
        offsets.add((day.isoformat(), local.utcoffset()))
    assert ("2026-03-28", timedelta(0)) in offsets
    assert ("2026-03-30", timedelta(hours=1)) in offsets


def test_people_funders_contracts_and_providers(county):
    people = db.session.scalars(sa.select(ServiceUser)).all()
    assert len(people) == 100
    for person in people:
        assert validation.nhs_number(person.nhs_number) == person.nhs_number
        assert validation.postcode(person.postcode) == person.postcode
        assert 52.0 < person.home_lat < 52.45 and -1.25 < person.home_lon < -0.6
    assert any(p.geofence_off for p in people)
    nhs = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == OrganisationKind.NHS))
    chc = db.session.scalars(sa.select(CarePackage).where(
        CarePackage.package_type == PackageType.CONTINUING_HEALTHCARE)).all()
    assert chc and all(p.funder_id == nhs.id for p in chc)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CarePackage).where(
        CarePackage.package_type == PackageType.REABLEMENT))
    rates = {(r.duration_min, r.amount_pence) for r in db.session.scalars(sa.select(CallRate))}
    assert {(30, 820), (45, 1065), (60, 1420)} <= rates
    assert db.session.scalar(sa.select(Contract).where(Contract.floor_rate_pence == 1417,
                                                       Contract.ceiling_rate_pence == 1622))
    suspended = db.session.scalars(sa.select(Organisation).where(
        Organisation.framework_status == FrameworkStatus.SUSPENDED)).all()
    assert len(suspended) == 1
    history = db.session.scalars(sa.select(FrameworkStatusChange.status).where(
        FrameworkStatusChange.provider_id == suspended[0].id)).all()
    assert set(history) == {FrameworkStatus.ACCREDITED, FrameworkStatus.SUSPENDED}
    hours = db.session.scalar(sa.select(sa.func.avg(CarePackage.weekly_minutes))) / 60
    assert 6 <= hours <= 12


def test_demo_logins_exist_with_their_roles(county):
    users = {u.username: u for u in db.session.scalars(
        sa.select(User).where(User.username.in_(list(LOGINS))))}
    assert {name: u.role.value for name, u in users.items()} == LOGINS
    assert verify_password(users["carer"].password_hash, DEMO_PASSWORD)
    assert users["manager"].organisation_id == users["carer"].organisation_id
    assert users["commissioner"].organisation.kind == OrganisationKind.COUNCIL
    assert users["nhs"].organisation.kind == OrganisationKind.NHS
    assert users["panel"].organisation_id == users["commissioner"].organisation_id
    carer_today = db.session.scalar(
        sa.select(sa.func.count()).select_from(Visit).join(VisitAssignment)
        .where(VisitAssignment.worker_id == users["carer"].id,
               Visit.local_date == NOW.date()))
    assert carer_today > 0
    assert users["carer"].home_lat is not None


def test_care_workers_have_skills_working_windows_and_pay(county):
    from backend.models import CarerAvailability, CarerSkill

    workers = db.session.scalars(sa.select(User).where(User.role == Role.CARE_WORKER)).all()
    from backend.demo.staff import NATIONAL_LIVING_WAGE_PENCE

    assert workers and all(w.staff_ref and w.contracted_weekly_minutes and w.travel_mode
                           and NATIONAL_LIVING_WAGE_PENCE <= w.hourly_pay_pence
                           <= NATIONAL_LIVING_WAGE_PENCE + 180 for w in workers)
    assert len({(w.organisation_id, w.staff_ref) for w in workers}) == len(workers)
    trained = dict(db.session.execute(sa.select(CarerSkill.skill, sa.func.count()).group_by(
        CarerSkill.skill)).all())
    assert trained["medication"] > trained["peg_feeding"] > 0
    windows = {(a.worker_id, a.weekday) for a in db.session.scalars(sa.select(CarerAvailability))}
    assert {w.id for w in workers} == {worker for worker, _ in windows}
    # The windows are the days the demo's rota gives each carer work; at most the rota
    # problems planted for the manager to find fall outside them.
    assigned = db.session.execute(sa.select(VisitAssignment.worker_id, Visit.local_date).join(
        Visit, Visit.id == VisitAssignment.visit_id)).all()
    off = [(worker, day) for worker, day in assigned if (worker, day.weekday()) not in windows]
    assert len(assigned) > 100 and len(off) <= len(county.planted)


def test_complete_units_only_contracts_pay_no_unfinished_unit(county):
    """The demo's UKHCA contract pays complete 15-minute units: whatever carers delivered,
    no bill counts more units than their seconds complete (14:44 is no unit)."""
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    complete = {c.id: c for c in db.session.scalars(
        sa.select(Contract).where(Contract.complete_units_only.is_(True)))}
    assert complete
    period = periods.resolve("custom", first=NOW.date() - timedelta(days=5), last=NOW.date())
    billed = unfinished = 0
    for row, bill in billed_visits(admin, period):
        contract = complete.get(row.contract_id)
        if contract is None or not bill.billed_minutes:
            continue
        billed += 1
        unit = contract.rounding_unit_min * 60
        unfinished += bill.raw_seconds % unit != 0
        assert bill.billed_minutes * 60 <= bill.raw_seconds, (row.id, bill.rule)
    assert billed and unfinished  # the case arises: most visits end inside a unit


def test_national_measures_have_figures(county):
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    m = outcome_measures(admin, NOW.date() - timedelta(days=364), NOW.date(),
                         today=NOW.date() + timedelta(days=200))
    assert 0.8 < m["ascof_2e"]["value"] <= 1  # most people on home care live at home
    assert m["ascof_2d"]["part_2"]["denominator"] > 0
    # Which packages' episodes end when follows the people's (random) ids: at this small
    # scale an ended episode may be an existing client's, left out of 2A but counted.
    assert m["ascof_2a"]["denominator"] + sum(m["ascof_2a"]["left_out"].values()) > 0
    short = visit_length(admin, NOW.date() - timedelta(days=7), NOW.date())["total"]
    assert 0 < short["short_agreed"]["numerator"] < short["short_agreed"]["denominator"]


def test_the_demo_councils_cld_return_has_no_rejected_rows(county):
    council = db.session.scalar(sa.select(Organisation).where(
        Organisation.kind == OrganisationKind.COUNCIL))
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    report = validation_report(admin, council.id, date(2026, 1, 1))
    assert report["rows"] > 50
    assert (report["rejected_rows"], report["problems"], report["file_problems"]) == (0, [], [])


def test_demo_records_were_set_up_through_the_services(county):
    """The county's organisations, people, packages and care workers came through the
    administration services and the bulk import: each has its creation in the audit
    trail, by the sign-in a council or provider would use."""
    def created(action):
        return dict(db.session.execute(sa.select(AuditEntry.object_id, AuditEntry.user_id)
                                       .where(AuditEntry.action == action)).all())

    users = {u.username: u.id for u in db.session.scalars(sa.select(User))}
    people = created("person_created")
    assert set(people) == {str(i) for i in db.session.scalars(sa.select(ServiceUser.id))}
    assert set(people.values()) == {users["commissioner"], users["nhs"]}
    packages = created("package_created")
    assert set(packages) == {str(i) for i in db.session.scalars(sa.select(CarePackage.id))}
    workers = created("care_worker_created")
    carers = db.session.scalars(sa.select(User).where(User.role == Role.CARE_WORKER)).all()
    assert set(workers) == {str(w.id) for w in carers}
    managers = {u.organisation_id: u.id for u in db.session.scalars(
        sa.select(User).where(User.role == Role.PROVIDER_MANAGER))}
    assert all(workers[str(w.id)] == managers[w.organisation_id] for w in carers)
    organisations = created("organisation_created")
    assert len(organisations) == db.session.scalar(
        sa.select(sa.func.count()).select_from(Organisation))
    assert created("contract_created") and created("package_suspended")
    # Every provider's history on the framework starts with joining it.
    joined = db.session.scalars(sa.select(FrameworkStatusChange.provider_id).where(
        FrameworkStatusChange.reason == "Joined the framework.")).all()
    assert sorted(joined) == sorted(db.session.scalars(sa.select(Organisation.id).where(
        Organisation.kind == OrganisationKind.PROVIDER)))
    # The records are dated as of the county's now, not the machine's clock.
    assert db.session.scalar(sa.select(sa.func.max(ServiceUser.created_at))) <= NOW


def test_jointly_funded_packages_count_for_both_funders(county):
    """A handful of the demo's packages are jointly funded (council 70% / ICB 30%): each
    commissioner's payment total is what the admin's by-funder table gives that funder."""
    shares = db.session.scalars(sa.select(ContractFunder)).all()
    assert sorted(s.share_pct for s in shares) == [30, 70]
    joint = db.session.scalars(sa.select(CarePackage).where(
        CarePackage.contract_id == shares[0].contract_id)).all()
    assert 1 <= len(joint) <= 20
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    period = periods.resolve("custom", first=NOW.date() - timedelta(days=4), last=NOW.date())
    by_funder = payment_totals(users["admin"], period, parse_grouping("funder"))
    split = {r["group"]["funder"]["id"]: r["amount_pence"] for r in by_funder["rows"]}
    council = payment_totals(users["commissioner"], period, parse_grouping("provider"))
    icb = payment_totals(users["nhs"], period, parse_grouping("provider"))
    assert split == {str(users["commissioner"].organisation_id): council["total"]["amount_pence"],
                     str(users["nhs"].organisation_id): icb["total"]["amount_pence"]}
    shared = [b for _, b in billed_visits(users["nhs"], period) if b.share_points == 3000]
    assert shared and any(b.share_pence for b in shared)
    whole = payment_totals(users["admin"], period, parse_grouping("provider"))["total"]
    assert council["total"]["amount_pence"] + icb["total"]["amount_pence"] == \
        whole["amount_pence"]


def test_the_demo_holds_one_council_contracts_unverified_visits_and_pays_the_rest(county):
    """One council contract holds visits not verified in the home; the other contracts pay
    them: the demo shows both, and a held visit bills nothing while saying what it would."""
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    held_contracts = set(db.session.scalars(sa.select(Contract.id).where(
        Contract.unverified_visits == UnverifiedVisits.HELD)))
    assert held_contracts
    period = periods.resolve("custom", first=NOW.date() - timedelta(days=5), last=NOW.date())
    held = paid_unverified = 0
    for row, bill in billed_visits(admin, period):
        if bill.held:
            held += 1
            assert row.contract_id in held_contracts and row.location_verified is False
            assert (bill.amount_pence, bill.billed_minutes) == (0, 0) and bill.held_pence > 0
        elif row.location_verified is False and bill.amount_pence:
            paid_unverified += 1
            assert row.contract_id not in held_contracts
    assert held and paid_unverified
