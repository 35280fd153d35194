"""One-time password links reach an invited user with an email through the notification
outbox (a real SMTP server on loopback); the link is not shown on the page, not written to
the audit log, and not kept in the outbox once sent. A user without email: shown once."""
import email
import re
from email import policy

import pytest
import sqlalchemy as sa
from flask import g

from backend.extensions import db
from backend.models import AuditEntry, Channel, DeliveryStatus, Notification, User
from backend.scheduler.delivery import deliver_due
from backend.services.identity.link_mail import SENT_BODY

LINK = re.compile(r"http\S+/account/password/(\S+)")


@pytest.fixture
def world(make):
    world = make.world()
    make.commit()
    return world


def _audit_text() -> str:
    return " ".join(str(e.details) for e in db.session.scalars(sa.select(AuditEntry)))


def test_invited_user_with_email_gets_the_link_by_email_only(client, auth, world,
                                                             smtp_server):
    auth.login(world.manager.username)
    page = client.post("/admin/users", data={
        "username": "sam.manager", "display_name": "Sam Manager", "email": "sam@kind.example",
        "role": "provider_manager", "organisation_id": str(world.provider.id)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "on its way to sam@kind.example" in html
    assert "/account/password/" not in html  # the manager never sees the secret

    queued = db.session.scalar(sa.select(Notification).where(
        Notification.address == "sam@kind.example"))
    assert queued.channel == Channel.EMAIL and queued.status == DeliveryStatus.PENDING
    token = LINK.search(queued.body).group(1)
    assert token not in _audit_text()

    result = deliver_due()
    assert result.sent == 1
    message = smtp_server.messages[0]
    assert message.rcpt_tos == ["sam@kind.example"]
    mailed = email.message_from_bytes(message.content, policy=policy.default).get_content()
    assert LINK.search(mailed).group(1) == token
    db.session.expire_all()
    sent = db.session.get(Notification, queued.id)
    assert sent.status == DeliveryStatus.SENT
    assert sent.body == SENT_BODY and token not in sent.body  # the outbox keeps no link

    # The emailed link works, once.
    g.pop("user", None)
    auth.logout()
    chosen = client.post(f"/account/password/{token}", data={
        "password": "a-long-password-1", "confirm": "a-long-password-1"})
    assert chosen.status_code == 302
    assert client.get(f"/account/password/{token}").status_code == 404


def test_user_without_email_is_shown_the_link_once_and_nothing_is_queued(
        client, auth, world, smtp_server):
    auth.login(world.manager.username)
    page = client.post("/admin/users", data={
        "username": "no.mail", "role": "care_worker", "organisation_id": str(world.provider.id)})
    assert page.status_code == 200 and "/account/password/" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_without_a_mail_server_the_link_is_shown(client, auth, world, monkeypatch, app):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    auth.login(world.manager.username)
    page = client.post("/admin/users", data={
        "username": "has.mail", "email": "has@kind.example", "role": "care_worker",
        "organisation_id": str(world.provider.id)})
    assert "/account/password/" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_reset_link_by_api_is_emailed_not_answered(client, bearer, world, smtp_server):
    db.session.get(User, world.worker.id).email = "worker@kind.example"
    db.session.commit()
    answer = client.post(f"/api/v1/users/{world.worker.id}/reset-link",
                         headers=bearer(world.manager))
    assert answer.status_code == 201, answer.json
    assert answer.json["link"] is None and answer.json["emailed_to"] == "worker@kind.example"
    queued = db.session.scalar(sa.select(Notification))
    assert queued.recipient_user_id == world.worker.id
    token = LINK.search(queued.body).group(1)
    assert token not in _audit_text()
    assert "emailed_to" in _audit_text()
