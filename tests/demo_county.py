"""Fixture bodies for modules whose tests only read one demo county built up front."""
from backend.demo import build_demo, empty_database
from backend.extensions import db


def built_county(app, **options):
    """Build the county once for the module, yield it, then empty the database."""
    with app.app_context():
        built = build_demo(**options)
        db.session.commit()
    yield built
    with app.app_context():
        empty_database()
        db.session.commit()
        db.session.remove()


def read_only(app):
    """Stands in for conftest's per-test emptying: these tests leave the county as built."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
