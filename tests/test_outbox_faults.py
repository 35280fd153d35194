"""Delivery under faults: a mail server that never answers does not delay detection, and
a delivery process killed mid-batch sends no message twice.

Real sockets on loopback, real jobs, real processes: the silent server accepts TCP
connections and never says a word (as a hung mail relay does); the killing server is
aiosmtpd that SIGKILLs the delivering `flask scheduler tick` when a message arrives.
"""
import os
import signal
import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from backend.extensions import db
from backend.models import Alert, AlertKind, Channel, DeliveryStatus, Notification, Role
from backend.scheduler.delivery import deliver_due
from backend.scheduler.jobs import run_job
from backend.scheduler.lease import new_holder_id
from backend.services.dates import clock
from backend.services.monitoring.monitor import run_detection
from tests.conftest import AuthActions
from tests.mail_server import Inbox, free_port
from tests.test_scheduler import _flask, processes  # noqa: F401 (fixture)


@pytest.fixture
def provider_world(make):
    """A provider with two managers who have email addresses; no visits yet."""
    w = make.world()
    for visit in (w.visit, w.colleague_visit, w.other_visit):
        visit.status = "cancelled"
    w.extra_manager = make.user(Role.PROVIDER_MANAGER, w.provider)
    w.manager.email = "manager@caring-hands.example"
    w.extra_manager.email = "deputy@caring-hands.example"
    make.commit()
    return w


def late_visits(make, w, count: int, minutes_ago: int = 20) -> list:
    """Visits that started `minutes_ago` (and a minute more for each further one) with
    nobody checked in: late now."""
    start = clock.now().replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    package = make.package(w.person, contract=w.contract)  # its own, so times never clash
    visits = [make.visit(package, start=start - timedelta(minutes=i), minutes=60)
              for i in range(count)]
    make.commit()
    return visits


def emails(*statuses) -> list[Notification]:
    db.session.rollback()  # see what other connections committed
    query = sa.select(Notification).where(Notification.channel == Channel.EMAIL)
    if statuses:
        query = query.where(Notification.status.in_(statuses))
    return list(db.session.scalars(query))


@pytest.fixture
def silent_smtp(app, monkeypatch):
    """A TCP server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, held = threading.Event(), []

    def accept():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # closed at the end of the test
                return
            held.append(connection)
            accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)  # loopback relay, no TLS
    monkeypatch.setitem(app.config, "SMTP_PORT", server.getsockname()[1])
    monkeypatch.setitem(app.config, "OUTBOX_TIMEOUT_SECONDS", 3)
    yield accepted
    server.close()
    for connection in held:
        connection.close()


def test_silent_mail_server_never_delays_detection(app, make, provider_world, silent_smtp):
    holder = new_holder_id()
    late_visits(make, provider_world, 3)
    # The last pass ran two minutes ago and found these late, with emails to send.
    assert run_detection(clock.now() - timedelta(minutes=2)).raised == {"late": 3}
    db.session.commit()
    assert len(emails(DeliveryStatus.PENDING)) == 6  # two managers, three alerts

    delivered = {}
    sending = threading.Thread(target=lambda: delivered.update(
        run_job(app, "delivery", holder)), daemon=True)
    sending.start()
    assert silent_smtp.wait(timeout=10)  # the delivery job is now waiting on the silent server
    # Visits fell late in the last minute: detection runs at once, as often as it is asked.
    newly_late = late_visits(make, provider_world, 1, minutes_ago=16)
    started = time.monotonic()
    first = run_job(app, "detection", holder)
    second = run_job(app, "detection", holder)
    took = time.monotonic() - started
    assert sending.is_alive(), "the send should still be waiting on the silent server"
    assert first["raised"] == {"late": 1} and second is not None and second["raised"] == {}
    assert took < 2, f"detection waited {took:.1f} s for the mail server"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert).where(
        Alert.visit_id.in_([v.id for v in newly_late]), Alert.kind == AlertKind.LATE)) == 1

    sending.join(timeout=20)
    # One email waited out the timeout; the rest were not tried once the server was
    # known to be silent, so one run costs one timeout, not one per email.
    assert delivered["retrying"] == 1 and delivered["sent"] == 0
    assert delivered["postponed"] == 5
    (tried,) = [n for n in emails() if n.attempts]
    assert tried.status == DeliveryStatus.PENDING and "timed out" in tried.last_error


class KillingInbox(Inbox):
    """Receives mail, and SIGKILLs the sending process as the `kill_at`th message arrives
    (after the server has it, before the sender hears "250 OK")."""

    def __init__(self, kill_at: int):
        super().__init__()
        self.kill_at, self.pid = kill_at, None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        if len(self.messages) == self.kill_at and self.pid:
            os.kill(self.pid, signal.SIGKILL)
        return "250 OK"


def test_delivery_killed_mid_batch_sends_no_message_twice(
        app, make, provider_world, processes, monkeypatch):  # noqa: F811
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)  # loopback relay, no TLS
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    late_visits(make, provider_world, 10)
    assert run_job(app, "detection", new_holder_id())["raised"] == {"late": 10}
    assert len(emails(DeliveryStatus.PENDING)) == 20

    inbox = KillingInbox(kill_at=8)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sender = _flask(app, "scheduler", "tick", "--job", "delivery",
                        env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                             "SMTP_STARTTLS": "0"})
        processes.append(sender)
        inbox.pid = sender.pid
        output = sender.communicate(timeout=60)[0]
        assert sender.returncode == -signal.SIGKILL, output
        assert len(inbox.messages) == 8
        assert len(emails(DeliveryStatus.SENT)) == 7  # each committed as it went
        (in_flight,) = emails(DeliveryStatus.SENDING)  # claimed before it was sent

        # Another process takes over once the dead one's lease (3 s there) has run out.
        monkeypatch.setitem(app.config, "SCHEDULER_LEASE_SECONDS", 3)
        result = deliver_due(new_holder_id(), now=clock.now() + timedelta(seconds=4))
    finally:
        controller.stop()
    assert result.sent == 12 and result.interrupted == 1
    ids = [m.content.split(b"Message-ID: ")[1].split(b"\r\n")[0] for m in inbox.messages]
    assert len(ids) == 20 and len(set(ids)) == 20  # every message once, none twice
    db.session.refresh(in_flight)
    assert in_flight.status == DeliveryStatus.INTERRUPTED and in_flight.attempts == 1
    assert len(emails(DeliveryStatus.SENT)) == 19


def test_admin_sees_failing_deliveries_and_requeues_from_the_page(
        app, make, provider_world, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)  # loopback relay, no TLS
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # refused
    late_visits(make, provider_world, 1)
    run_job(app, "detection", new_holder_id())
    assert deliver_due().retrying == 1  # the first email fails; the second waits its turn
    failing, waiting = sorted(emails(), key=lambda n: -n.attempts)

    auth.login(provider_world.admin.username)
    home = client.get("/").get_data(as_text=True)
    assert "Failing deliveries" in home and 'href="/deliveries"' in home
    tile = home.split("Failing deliveries")[0].rsplit('class="number">', 1)[1]
    assert tile.startswith("1<")
    page = client.get("/deliveries").get_data(as_text=True)
    assert f'id="delivery-{failing.id}"' in page and f'id="delivery-{waiting.id}"' not in page
    assert "retrying (1 attempt)" in page and "ConnectionRefusedError" in page

    answer = client.post(f"/deliveries/{failing.id}/requeue", follow_redirects=True)
    assert "Requeued" in answer.get_data(as_text=True)
    db.session.refresh(failing)
    assert failing.status == DeliveryStatus.PENDING and failing.requeued_at is not None
    assert failing.next_attempt_at <= clock.now()

    with app.app_context():  # a new context: the admin's request globals are gone
        manager = app.test_client()
        AuthActions(manager).login(provider_world.manager.username)
        assert manager.get("/deliveries").status_code == 404
        assert manager.post(f"/deliveries/{failing.id}/requeue").status_code == 404


def test_a_dead_webhook_receiver_costs_one_attempt_per_run_not_one_per_message(
        app, make, provider_world):
    provider_world.provider.webhook_url = f"http://127.0.0.1:{free_port()}/hook"  # refused
    late_visits(make, provider_world, 3)
    run_detection(clock.now())
    result = deliver_due()
    assert (result.retrying, result.postponed, result.sent) == (1, 2, 0)
    db.session.rollback()
    attempts = sorted(db.session.scalars(sa.select(Notification.attempts).where(
        Notification.channel == Channel.WEBHOOK)))
    assert attempts == [0, 0, 1]  # the other two wait for the next run, no attempt counted
