"""Migrations upgrade an empty database to head, match the models, and downgrade to base."""
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from backend.app import create_app
from backend.extensions import db


@pytest.fixture
def empty_database(app, tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    name = f"ecm_migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_models_and_downgrades(empty_database):
    # Rate limiting off: the limiter is a singleton, and a fresh app would switch it on for
    # every later test (sign-ins then start failing at 20 a minute).
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "RATELIMIT_ENABLED": False,
                        "SQLALCHEMY_DATABASE_URI": empty_database})
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        assert left == set()
        db.engine.dispose()


def _fresh_app(url):
    return create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "RATELIMIT_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": url})


def test_existing_visits_get_their_wall_clock_time(empty_database):
    from datetime import UTC, datetime, time

    from backend.models import Visit
    from backend.services.rota.visit_generation import generate_visits
    from tests.factories import Factory

    fresh = _fresh_app(empty_database)
    with fresh.app_context():
        upgrade()
        package = Factory().package(schedule=[(0, "08:00", 30), (4, "21:15", 30)])
        generate_visits(now=datetime(2026, 3, 22, tzinfo=UTC), horizon_days=14)  # GMT and BST
        db.session.commit()
        downgrade(revision="0011_concern_escalation")
        upgrade()
        rows = db.session.execute(sa.select(Visit.local_date, Visit.local_time)
                                  .where(Visit.package_id == package.id)).all()
        assert len(rows) == 4
        assert {t for _, t in rows} == {time(8, 0), time(21, 15)}
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_delivered_time_is_rederived_in_seconds_from_the_events(empty_database):
    from datetime import UTC, datetime, timedelta

    from backend.models import Visit
    from backend.services.attendance.corrections import correct_visit
    from tests.audit_support import attend
    from tests.factories import Factory

    fresh = _fresh_app(empty_database)
    with fresh.app_context():
        upgrade()
        make = Factory()
        w = make.world()
        start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        single = make.visit(w.package, start=start, minutes=30)
        attend(single, w.worker, start, 28, seconds=30)
        double = make.visit(w.package, start=start + timedelta(days=1), carers_required=2)
        attend(double, w.worker, start + timedelta(days=1), 10, seconds=30)
        attend(double, w.other_worker, start + timedelta(days=1), 10, seconds=30)
        untouched = make.visit(w.package, start=start + timedelta(days=2))
        not_delivered = make.visit(w.package, start=start + timedelta(days=3), minutes=30)
        attend(not_delivered, w.worker, start + timedelta(days=3), 30)
        correct_visit(not_delivered, w.worker, w.manager, None,
                      start + timedelta(days=3, minutes=30), "carer_error", "not_delivered",
                      now=start + timedelta(days=4))
        ids = [single.id, double.id, untouched.id, not_delivered.id]
        db.session.commit()
        downgrade(revision="0012_visit_local_slot")
        # As the old rule left them: each carer's minutes rounded half to even, then summed.
        for visit_id, minutes in ((ids[0], 28), (ids[1], 20), (ids[3], 30)):
            db.session.execute(sa.update(Visit.__table__).where(Visit.__table__.c.id == visit_id)
                               .values(delivered_minutes=minutes))
        db.session.commit()
        upgrade()
        found = {row.id: (row.delivered_seconds, row.delivered_minutes) for row in
                 db.session.execute(sa.select(Visit.id, Visit.delivered_seconds,
                                              Visit.delivered_minutes))}
        assert [found[i] for i in ids] == [(1710, 29), (1260, 21), (None, None), (0, 0)]
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
