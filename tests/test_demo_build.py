"""Building the demo county: deterministic for a seed, reused when present, reset on demand."""
import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.demo import DEMO_PASSWORD, LOGINS, build_demo, empty_database
from backend.extensions import db
from backend.models import (
    CarePackage,
    Organisation,
    OrganisationKind,
    PackageStatus,
    ServiceUser,
    User,
    Visit,
    VisitAssignment,
    VisitEvent,
    VisitTask,
)
from backend.services.dates import clock

NOW = datetime(2026, 3, 30, 11, 20, tzinfo=UTC)
TINY = dict(seed=7, scale=0.1, past_days=2, future_days=1, now=NOW)


def fingerprint() -> tuple:
    """What the county is, without its random ids: counts and a digest of visits."""
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                   for model in (Organisation, User, ServiceUser, CarePackage, Visit,
                                 VisitEvent, VisitAssignment, VisitTask))
    rows = db.session.execute(
        sa.select(ServiceUser.council_ref, ServiceUser.nhs_number, Visit.planned_start,
                  Visit.status, Visit.delivered_minutes, Visit.location_verified, Visit.flags)
        .join(CarePackage, CarePackage.id == Visit.package_id)
        .join(ServiceUser, ServiceUser.id == CarePackage.service_user_id)).all()
    digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return counts, digest


def test_same_seed_same_county_different_seed_different(app):
    build_demo(**TINY)
    first = fingerprint()
    assert first[0][4] > 150  # visits
    empty_database()
    build_demo(**TINY)
    assert fingerprint() == first
    empty_database()
    build_demo(**{**TINY, "seed": 8})
    assert fingerprint() != first


def test_command_reuses_resets_and_prints_logins(runner):
    args = ["demo", "build", "--scale", "0.1", "--past-days", "1", "--future-days", "0"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "Built the demo county" in first.output
    visits = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "Reusing the existing demo county" in again.output
    reset = runner.invoke(args=[*args, "--reset"])
    assert reset.exit_code == 0 and "Built the demo county" in reset.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == visits
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
        Organisation.kind == OrganisationKind.COUNCIL)) == 1
    logins = runner.invoke(args=["demo", "logins"])
    assert logins.exit_code == 0
    assert DEMO_PASSWORD in logins.output
    assert all(name in logins.output for name in LOGINS)


def test_command_refuses_a_database_with_other_data_and_bad_options(runner, make):
    assert runner.invoke(args=["demo", "logins"]).exit_code != 0
    assert runner.invoke(args=["demo", "build", "--scale", "0"]).exit_code != 0
    make.provider(name="Real Care Ltd")
    make.commit()
    result = runner.invoke(args=["demo", "build", "--scale", "0.1", "--past-days", "0"])
    assert result.exit_code != 0
    assert "not the demo county" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_first_generation_run_after_the_build_creates_and_cancels_nothing(app):
    """The scheduler's generation job, run for real right after a build, has nothing to do."""
    from backend.scheduler.jobs import run_job
    from backend.scheduler.lease import new_holder_id

    county = build_demo(seed=5, scale=0.2, past_days=1)  # future days: the whole horizon
    db.session.commit()
    horizon = app.config["VISIT_HORIZON_DAYS"]
    assert county.future_days == horizon - 1
    last_day = clock.today() + timedelta(days=horizon - 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.local_date == last_day)) > 100
    # Follow-on packages agreed to start after today were imported pending, as a council's
    # would be: no visits until the generation job starts them on their start date.
    pending = db.session.scalars(sa.select(CarePackage).where(
        CarePackage.status == PackageStatus.PENDING)).all()
    assert all(p.start_date > clock.today() for p in pending)
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.package_id.in_([p.id for p in pending])))
    before = db.session.execute(sa.select(Visit.id, Visit.status)).all()
    result = run_job(app, "generation", new_holder_id())
    assert result == {"created": 0, "updated": 0, "cancelled": 0, "reinstated": 0,
                      "packages_started": 0, "packages_ended": 0,
                      "package_changes_applied": 0}
    db.session.expire_all()
    assert sorted(db.session.execute(sa.select(Visit.id, Visit.status)).all()) == sorted(before)
