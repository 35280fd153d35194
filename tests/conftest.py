"""App, client, runner, database and auth fixtures.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set (CI does both). The schema is created once per session; every test starts
from empty tables.
"""
import os
import tempfile
from datetime import UTC, datetime, time

import pytest
from aiosmtpd.controller import Controller

from backend.app import create_app
from backend.extensions import db
from backend.services.dates import clock
from tests.factories import Factory
from tests.mail_server import Inbox, free_port


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    folder = tempfile.mkdtemp(prefix="ecm-test-")
    return f"sqlite:///{folder}/test.sqlite3"


@pytest.fixture(scope="session")
def app():
    """The application, on a fresh test database."""
    os.environ.setdefault("ECM_ENV", "testing")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Each test starts with empty tables and an app context."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _empty_all_tables()


def _empty_all_tables() -> None:
    # DELETE beats TRUNCATE on PostgreSQL for the handful of rows a test makes.
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def midday():
    """The clock pinned at 12:00 local today: for tests whose calls lie hours either side
    of now and must stay on one local day at whatever hour the suite runs."""
    noon = datetime.combine(clock.today(), time(12), tzinfo=clock.zone())
    with clock.pinned(noon):
        yield noon


@pytest.fixture
def is_postgres(app) -> bool:
    """Whether this run is on PostgreSQL."""
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def make(app) -> Factory:
    """Builds organisations, people, packages and visits for a test."""
    return Factory()


@pytest.fixture
def bearer(app):
    """Authorization headers carrying a fresh access token for a user."""
    from backend.services.identity.tokens import issue_access_token

    def headers(user) -> dict:
        # Issued by the wall clock, as its expiry is checked (so also inside `midday`).
        with clock.pinned(datetime.now(UTC)):
            token, _ = issue_access_token(user)
        return {"Authorization": f"Bearer {token}"}

    return headers


class AuthActions:
    """Sign in and out of the web pages through the real form."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = Factory.PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    """Web sign-in helper."""
    return AuthActions(client)


@pytest.fixture
def smtp_server(app, monkeypatch):
    """The app sends its mail to a real SMTP server on loopback; yields its Inbox."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)  # a loopback relay without TLS
    yield handler
    controller.stop()


# Live server and browser fixtures (tests/browser_fixtures.py), for tests marked `browser`.
from tests.browser_fixtures import _server_thread, browser, live_server, page  # noqa: E402,F401

