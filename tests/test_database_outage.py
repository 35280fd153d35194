"""A database outage answers 503 with Retry-After and the error shape, never 500.

Real outages, no stand-ins: a database that refuses connections (a closed port on
PostgreSQL, a file that cannot be opened on SQLite), a connection terminated from
another session in the middle of a check-in (PostgreSQL's pg_terminate_backend), and
the write lock held by another connection past the lock timeout (both databases).
A check-in refused that way stored nothing; sent again with the same client event id
it is stored once.
"""
import socket
import tempfile
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from backend.app import create_app
from backend.extensions import db
from backend.models import VisitEvent
from tests.mobile_helpers import event_body


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unreachable_url(app) -> str:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        return url.set(host="127.0.0.1", port=_closed_port()).render_as_string(
            hide_password=False)
    return f"sqlite:///{tempfile.mkdtemp()}/no-such-folder/ecm.sqlite3"


@pytest.fixture
def world(make):
    w = make.world()
    make.commit()
    return w


def check_in(client, bearer, world, body):
    return client.post(f"/api/v1/visits/{world.visit.id}/check-in", json=body,
                       headers=bearer(world.worker))


def stored(client_event_id) -> int:
    db.session.rollback()  # see what the server committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent).where(
        VisitEvent.client_event_id == client_event_id))


def assert_unavailable(response, json_body=True):
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert int(response.headers["Retry-After"]) >= 1
    if json_body:
        error = response.json["error"]
        assert error["code"] == "database_unavailable" and "try again" in error["message"]
    else:
        page = response.get_data(as_text=True)
        assert "try again" in page and "Traceback" not in page


def test_database_refusing_connections_answers_503_on_api_and_pages(app, world, bearer):
    closed = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": _unreachable_url(app)})
    client = closed.test_client()
    assert_unavailable(client.get("/api/v1/me", headers=bearer(world.worker)))
    assert_unavailable(check_in(client, bearer, world, event_body()))
    assert_unavailable(client.post("/api/v1/auth/sign-in",
                                   json={"username": "grace", "password": "x" * 12}))
    health = client.get("/api/v1/health")  # the load balancer's check says the same
    assert health.status_code == 503 and health.headers["Retry-After"]
    sign_in = client.post("/login", data={"username": "a", "password": "b"})
    assert_unavailable(sign_in, json_body=False)
    assert "Back button returns to the form" in sign_in.get_data(as_text=True)
    with client.session_transaction() as session:
        session["sid"] = str(uuid.uuid4())  # a signed-in page: its session cannot be read
    assert_unavailable(client.get("/board"), json_body=False)
    assert_unavailable(client.get("/deliveries"), json_body=False)
    # Answering another error must not need the database either: a 404 stays a 404.
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)
    with closed.app_context():
        db.engine.dispose()


def test_check_in_waiting_past_the_lock_timeout_answers_503_then_is_stored_once(
        app, client, bearer, world, monkeypatch, is_postgres):
    monkeypatch.setitem(app.config, "DATABASE_LOCK_TIMEOUT_SECONDS", 0.3)
    db.engine.dispose()  # connections opened from now on take the short timeout
    blocker = db.engine.connect()
    try:
        if is_postgres:  # another session holds the visit's row, as a long job would
            blocker.execute(sa.text("SELECT id FROM visits WHERE id = :id FOR UPDATE"),
                            {"id": world.visit.id})
        else:  # another connection holds SQLite's one write lock
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
        body = event_body()
        assert_unavailable(check_in(client, bearer, world, body))
    finally:
        blocker.rollback()
        blocker.close()
    assert stored(body["client_event_id"]) == 0
    retried = check_in(client, bearer, world, body)
    assert retried.status_code == 201 and retried.json["result"] == "accepted"
    again = check_in(client, bearer, world, body)  # the answer was lost: sent once more
    assert again.json["result"] == "duplicate"
    assert stored(body["client_event_id"]) == 1
    monkeypatch.undo()
    db.engine.dispose()


@pytest.fixture
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("terminating a server connection needs PostgreSQL")


def _terminate(pid: int | None = None) -> int:
    """End a server session (every other session on this database when no pid is given)
    from another connection, as an operator or a server restart would; how many ended."""
    url = sa.engine.make_url(db.engine.url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND (%s::int IS NULL OR pid = %s::int)", (pid, pid)).fetchone()[0]


def test_connection_terminated_mid_check_in_answers_503_and_retry_stores_once(
        app, client, bearer, world, postgres_only):
    killed = []

    def kill_before_event_insert(conn, cursor, statement, *_):
        if "INSERT INTO visit_events" in statement and not killed:
            killed.append(conn.connection.dbapi_connection.info.backend_pid)
            _terminate(killed[0])

    event.listen(db.engine, "before_cursor_execute", kill_before_event_insert)
    try:
        body = event_body()
        assert_unavailable(check_in(client, bearer, world, body))
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_before_event_insert)
    assert killed and stored(body["client_event_id"]) == 0
    retried = check_in(client, bearer, world, body)  # one retry, on a fresh connection
    assert retried.status_code == 201 and retried.json["result"] == "accepted"
    assert stored(body["client_event_id"]) == 1


def test_pooled_connections_killed_while_idle_cost_no_retry(
        app, client, bearer, world, postgres_only):
    assert client.get("/api/v1/me", headers=bearer(world.worker)).status_code == 200
    db.session.rollback()
    assert _terminate() >= 1  # every pooled connection, as a database restart would
    body = event_body()
    response = check_in(client, bearer, world, body)
    assert response.status_code == 201, response.json  # the ping found the dead connection
    assert stored(body["client_event_id"]) == 1
