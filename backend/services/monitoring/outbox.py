"""Outbox delivery: email over SMTP and JSON webhooks, retried with capped back-off.

A mail server or receiver that is down delays notifications but loses none: each
failure pushes next_attempt_at out (OUTBOX_BACKOFF_SECONDS x 2^(attempts-1), at most
OUTBOX_BACKOFF_MAX_SECONDS), for OUTBOX_RETRY_HOURS after the row was written (or an
admin requeued it); only then is it marked failed, and an admin sees it and may
requeue it.

A message is never sent twice: it is claimed ("sending", committed) before the send
and marked sent after it, one message per unit of work (the scheduler's delivery job,
backend/scheduler/delivery.py, holds the units of work; nothing here commits). A run
killed mid-send leaves its one message "sending"; the next run marks it
"interrupted" instead of sending it again, since the server may have accepted it.

The send itself runs with no transaction open, so a mail server that hangs holds no
lock that detection needs.
"""
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app

from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.models import Channel, DeliveryStatus, Notification, Role, User
from backend.services.audit import trail
from backend.services.dates import clock
from backend.services.identity import access, link_mail

# What a failed delivery raises (smtplib's errors are OSErrors too).
DELIVERY_ERRORS = (OSError, ValueError, smtplib.SMTPException, urllib.error.URLError)
# Deliveries an admin should look at: retrying after a failure, given up, or interrupted.
FAILING = sa.or_(
    Notification.status.in_([DeliveryStatus.FAILED, DeliveryStatus.INTERRUPTED]),
    sa.and_(Notification.status == DeliveryStatus.PENDING, Notification.attempts > 0))


@dataclass(frozen=True)
class Message:
    """One claimed email or webhook, read before the send so that it needs no session."""

    id: uuid.UUID
    channel: Channel
    address: str | None
    subject: str
    body: str


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    postponed: int = 0  # not tried this run: their server was found not answering

    def as_dict(self) -> dict:
        """For the scheduler's log and job record."""
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "interrupted": self.interrupted, "postponed": self.postponed}


def _timeout() -> float:
    return current_app.config.get("OUTBOX_TIMEOUT_SECONDS", 5)


def send_email(to: str, subject: str, body: str, message_id: str | None = None) -> None:
    """Send one plain-text email through the configured SMTP server."""
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["SMTP_FROM"], to, subject
    # The same id on a requeued copy lets a mail client see it is the same message.
    message["Message-ID"] = message_id or make_msgid(domain="homecare-ecm")
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=_timeout()) as smtp:
        if config.get("SMTP_STARTTLS"):
            # The server's certificate is checked (smtplib alone would not check it).
            smtp.starttls(context=ssl.create_default_context(
                cafile=config.get("SMTP_CA_FILE") or None))
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
        smtp.send_message(message)


def post_webhook(url: str, body: str) -> None:
    """POST a JSON body; any status other than 2xx is a failure."""
    request = urllib.request.Request(
        url, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "homecare-ecm/1"})
    with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310 (http/https only)
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered HTTP {response.status}")


def send(message: Message) -> None:
    """Deliver one claimed message; raises one of DELIVERY_ERRORS when it did not go."""
    if message.channel == Channel.EMAIL:
        if not current_app.config.get("SMTP_HOST"):
            raise OSError("SMTP_HOST is not configured")
        send_email(message.address, message.subject, message.body,
                   f"<{message.id}@homecare-ecm>")
    elif message.channel == Channel.WEBHOOK:
        if not (message.address or "").startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) address: {message.address!r}")
        post_webhook(message.address, message.body)


def destination(channel: Channel, address: str | None) -> str:
    """Where a message goes, as far as being reachable is concerned: every email goes
    through the one mail server; a webhook to its own address."""
    return "smtp" if channel == Channel.EMAIL else f"webhook:{address}"


def unreachable(error: BaseException) -> bool:
    """Whether a send failed because its server is unreachable or silent (every other
    message to the same destination would fail the same way this run), not because of
    the one message."""
    if isinstance(error, urllib.error.URLError) and not isinstance(error,
                                                                   urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    return isinstance(error, (ConnectionError, TimeoutError, socket.gaierror,
                              smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)) \
        or str(error) == "SMTP_HOST is not configured"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failures: doubling, capped."""
    config = current_app.config
    base = config.get("OUTBOX_BACKOFF_SECONDS", 30)
    cap = config.get("OUTBOX_BACKOFF_MAX_SECONDS", 1800)
    return timedelta(seconds=min(base * 2 ** min(max(attempts - 1, 0), 30), cap))


def mark_interrupted(now: datetime, stale_after: timedelta) -> int:
    """Sends claimed by a run that stopped before it recorded the answer: shown to admins,
    not sent again (the server may have accepted them). Returns how many."""
    table = Notification.__table__
    return db.session.execute(
        table.update()
        .where(table.c.status == DeliveryStatus.SENDING.value,
               table.c.last_attempt_at < now - stale_after)
        .values(status=DeliveryStatus.INTERRUPTED.value,
                last_error="Delivery stopped during the send; the server may have accepted "
                           "it, so it was not sent again. Requeue it to send it again.")
    ).rowcount


def due(now: datetime, limit: int = 200) -> list[sa.Row]:
    """(id, channel, address) of pending emails and webhooks whose next attempt is due,
    oldest first."""
    return list(db.session.execute(
        sa.select(Notification.id, Notification.channel, Notification.address)
        .where(Notification.status == DeliveryStatus.PENDING,
               Notification.channel.in_([Channel.EMAIL, Channel.WEBHOOK]),
               Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at).limit(limit)))


def claim(notification_id: uuid.UUID, now: datetime) -> Message | None:
    """Mark one pending message as being sent, before the send; None if it is no longer
    pending (another run claimed it, or an admin acted). Flushes, never commits."""
    table = Notification.__table__
    claimed = db.session.execute(
        table.update()
        .where(table.c.id == notification_id, table.c.status == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.SENDING.value, attempts=table.c.attempts + 1,
                last_attempt_at=now)).rowcount
    if not claimed:
        return None
    row = db.session.execute(
        sa.select(table.c.id, table.c.channel, table.c.address, table.c.subject, table.c.body)
        .where(table.c.id == notification_id)).one()
    return Message(row.id, Channel(row.channel), row.address, row.subject, row.body)


def record_sent(notification_id: uuid.UUID, now: datetime) -> None:
    """The server accepted the message. A one-time password link's body is replaced, so
    the outbox keeps no usable link once it has gone (identity/link_mail.py)."""
    table = Notification.__table__
    holds_link = table.c.dedupe_key.startswith(link_mail.KEY_PREFIX, autoescape=True)
    db.session.execute(
        table.update().where(table.c.id == notification_id)
        .values(status=DeliveryStatus.SENT.value, sent_at=now, last_error=None,
                body=sa.case((holds_link, link_mail.SENT_BODY), else_=table.c.body)))


def record_failure(notification_id: uuid.UUID, error: BaseException,
                   now: datetime) -> DeliveryStatus:
    """The send failed: try again after the back-off, or give up once the retry period
    (from creation or the last requeue) has run out. Returns the new status."""
    row = db.session.get(Notification, notification_id)
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    period = timedelta(hours=current_app.config.get("OUTBOX_RETRY_HOURS", 24))
    next_attempt = now + backoff(row.attempts)
    if next_attempt > (row.requeued_at or row.created_at) + period:
        row.status = DeliveryStatus.FAILED
    else:
        row.status, row.next_attempt_at = DeliveryStatus.PENDING, next_attempt
    db.session.flush()
    return row.status


def _admin_only(user: User) -> None:
    # The outbox is the service's own plumbing: only admins look after it.
    if user.role != Role.ADMIN:
        raise NotFound("No notification with that id.")


def failing_notifications(user: User, limit: int = 200) -> list[Notification]:
    """Emails and webhooks that are failing (retrying, given up or interrupted), most
    recently tried first: admins only."""
    _admin_only(user)
    return list(db.session.scalars(
        access.scoped(user, Notification).where(FAILING)
        .order_by(Notification.last_attempt_at.desc().nulls_last(),
                  Notification.created_at.desc()).limit(limit)))


def count_failing(user: User) -> int:
    """How many deliveries are failing (the admin's home page)."""
    _admin_only(user)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        access.visible(user, Notification), FAILING))


def failed_notifications(user: User, limit: int = 200) -> list[Notification]:
    """Notifications that gave up or were interrupted, newest first (admins only)."""
    _admin_only(user)
    return list(db.session.scalars(
        access.scoped(user, Notification)
        .where(Notification.status.in_([DeliveryStatus.FAILED, DeliveryStatus.INTERRUPTED]))
        .order_by(Notification.created_at.desc()).limit(limit)))


def requeue(user: User, notification_id, now: datetime | None = None) -> Notification:
    """Send a failing delivery again at the next delivery run, with a fresh retry period
    (admins only). A message already sent, or being sent now, cannot be requeued."""
    _admin_only(user)
    row = access.get_visible(user, Notification, notification_id, "notification")
    if row.channel == Channel.INBOX or row.status in (DeliveryStatus.SENT,
                                                      DeliveryStatus.SENDING):
        raise Conflict(f"This notification is {row.status.value}; only failing deliveries "
                       "can be requeued.")
    now = now or clock.now()
    trail.record(user, "notification.requeued", row, previous_status=row.status.value,
                 attempts=row.attempts, last_error=row.last_error)
    row.status, row.next_attempt_at, row.requeued_at = DeliveryStatus.PENDING, now, now
    db.session.flush()
    return row
