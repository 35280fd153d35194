"""Outbox delivery: a real SMTP server and a real HTTP receiver on loopback; capped back-off
for the retry period, then given up, shown to admins and requeued."""
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from backend.extensions import db
from backend.models import AuditEntry, Channel, DeliveryStatus, Notification, VisitStatus
from backend.scheduler.delivery import deliver_due
from backend.services.monitoring.monitor import run_detection
from tests.mail_server import Inbox, free_port
from tests.monitoring_helpers import utc

S = utc(2026, 11, 24, 10, 0)


@pytest.fixture
def receiver():
    got = []

    class Handler(BaseHTTPRequestHandler):
        status = 204

        def do_POST(self):  # noqa: N802 (http.server's name)
            got.append((self.headers["Content-Type"],
                        self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(self.server.answer)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.answer = 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.got = got
    server.url = f"http://127.0.0.1:{server.server_address[1]}/ecm-hook"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def late_visit(make):
    w = make.world()
    for visit in (w.visit, w.colleague_visit, w.other_visit):  # keep to the one late visit
        visit.status = VisitStatus.CANCELLED
    w.manager.email = "manager@caring-hands.example"
    w.person.contact_email, w.person.contact_opted_in = "daughter@example.org", True
    make.visit(w.package, start=S, workers=[w.worker])
    return w


def pending(channel):
    return list(db.session.scalars(sa.select(Notification).where(Notification.channel == channel)))


def test_real_smtp_server_receives_the_alert_mail(smtp_server, late_visit):
    run_detection(S + timedelta(minutes=16))
    result = deliver_due(now=S + timedelta(minutes=16))
    assert result.sent >= 2 and result.failed == 0
    recipients = {rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos}
    assert {"manager@caring-hands.example", "daughter@example.org"} <= recipients
    family = next(m for m in smtp_server.messages if "daughter@example.org" in m.rcpt_tos)
    assert b"running late" in family.content
    assert all(n.status == DeliveryStatus.SENT and n.attempts == 1
               for n in pending(Channel.EMAIL))
    assert deliver_due(now=S + timedelta(minutes=17)).sent == 0  # nothing sent twice


def test_webhook_posts_json_to_the_provider(receiver, late_visit):
    late_visit.provider.webhook_url = receiver.url
    run_detection(S + timedelta(minutes=16))
    assert deliver_due(now=S + timedelta(minutes=16)).sent == 1
    content_type, body = receiver.got[0]
    payload = json.loads(body)
    assert content_type == "application/json"
    assert payload["event"] == "alert.raised" and payload["kind"] == "late"


def test_webhook_error_status_is_retried(receiver, late_visit):
    late_visit.provider.webhook_url = receiver.url
    receiver.answer = 500
    run_detection(S + timedelta(minutes=16))
    now = S + timedelta(minutes=16)
    assert deliver_due(now=now).retrying == 1
    receiver.answer = 204
    (row,) = pending(Channel.WEBHOOK)
    assert "500" in row.last_error and row.next_attempt_at == now + timedelta(seconds=30)
    assert deliver_due(now=row.next_attempt_at).sent == 1
    assert len(receiver.got) == 2


def test_smtp_unreachable_backs_off_capped_for_the_retry_period_then_requeued(
        app, monkeypatch, late_visit, client, bearer):
    late_visit.manager.email = None  # one email: the family's
    dead_port = free_port()  # nobody listens
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", dead_port)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)  # a loopback relay without TLS
    monkeypatch.setitem(app.config, "OUTBOX_BACKOFF_MAX_SECONDS", 120)
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_HOURS", 0.25)
    monkeypatch.setitem(app.config, "OUTBOX_TIMEOUT_SECONDS", 2)
    now = S + timedelta(minutes=16)
    run_detection(now)
    (mail,) = pending(Channel.EMAIL)
    waits = []
    while True:
        assert deliver_due(now=now - timedelta(seconds=1)).sent == 0  # not due yet: untouched
        result = deliver_due(now=now)
        db.session.refresh(mail)
        if mail.status != DeliveryStatus.PENDING:
            break
        assert result.retrying == 1
        waits.append((mail.next_attempt_at - now).total_seconds())
        now = mail.next_attempt_at
    # Doubling from 30 s, capped at 120 s; still trying 15 minutes on, then given up.
    assert waits[:4] == [30, 60, 120, 120] and set(waits[3:]) == {120}
    assert now - (S + timedelta(minutes=16)) > timedelta(minutes=13)
    assert mail.status == DeliveryStatus.FAILED and mail.attempts == len(waits) + 1
    assert "Connection" in mail.last_error or "refused" in mail.last_error.lower()
    listed = client.get("/api/v1/notifications/failed", headers=bearer(late_visit.admin)).json
    assert [row["address"] for row in listed] == ["daughter@example.org"]
    assert client.get("/api/v1/notifications/failed",
                      headers=bearer(late_visit.manager)).status_code == 403

    # The mail server is back; the admin requeues it and the next run sends it.
    assert client.post(f"/api/v1/notifications/{mail.id}/requeue",
                       headers=bearer(late_visit.manager)).status_code == 403
    answer = client.post(f"/api/v1/notifications/{mail.id}/requeue",
                         headers=bearer(late_visit.admin))
    assert answer.status_code == 200 and answer.json["status"] == "pending"
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=dead_port)
    controller.start()
    try:
        assert deliver_due().sent == 1
    finally:
        controller.stop()
    assert [m.rcpt_tos for m in handler.messages] == [["daughter@example.org"]]
    db.session.refresh(mail)
    assert mail.status == DeliveryStatus.SENT
    requeued = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "notification.requeued"))
    assert requeued.user_id == late_visit.admin.id and requeued.object_id == str(mail.id)
    again = client.post(f"/api/v1/notifications/{mail.id}/requeue",
                        headers=bearer(late_visit.admin))
    assert again.status_code == 409  # sent: never sent twice by hand either
