"""Outbox delivery: email over SMTP and JSON webhooks, retried with exponential back-off.

A mail server or receiver that is down delays notifications but loses none: each
failure counts an attempt and pushes next_attempt_at out (OUTBOX_BACKOFF_SECONDS x
2^(attempts-1)); after OUTBOX_MAX_ATTEMPTS the row is marked failed with its last
error, for an admin to see. Delivery is at-least-once: a process killed after
sending but before its commit sends that message again.
"""
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import Channel, DeliveryStatus, Notification, User
from backend.services.dates import clock
from backend.services.identity import access


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_email(to: str, subject: str, body: str) -> None:
    """Send one plain-text email through the configured SMTP server."""
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["SMTP_FROM"], to, subject
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                      timeout=config.get("OUTBOX_TIMEOUT_SECONDS", 10)) as smtp:
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
    timeout = current_app.config.get("OUTBOX_TIMEOUT_SECONDS", 10)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http/https only)
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered HTTP {response.status}")


def _deliver(row: Notification) -> None:
    if row.channel == Channel.EMAIL:
        if not current_app.config.get("SMTP_HOST"):
            raise OSError("SMTP_HOST is not configured")
        send_email(row.address, row.subject, row.body)
    elif row.channel == Channel.WEBHOOK:
        if not (row.address or "").startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) address: {row.address!r}")
        post_webhook(row.address, row.body)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failures."""
    base = current_app.config.get("OUTBOX_BACKOFF_SECONDS", 30)
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def deliver_due(now: datetime | None = None, limit: int = 200) -> DeliveryResult:
    """Try every pending email and webhook whose next attempt is due. Flushes, never commits."""
    now = now or clock.now()
    max_attempts = current_app.config.get("OUTBOX_MAX_ATTEMPTS", 6)
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.status == DeliveryStatus.PENDING,
               Notification.channel.in_([Channel.EMAIL, Channel.WEBHOOK]),
               Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at).limit(limit)).all()
    result = DeliveryResult()
    for row in rows:
        try:
            _deliver(row)
        except (OSError, ValueError, smtplib.SMTPException, urllib.error.URLError) as exc:
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= max_attempts:
                row.status = DeliveryStatus.FAILED
                result.failed += 1
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                result.retrying += 1
            continue
        row.attempts += 1
        row.status, row.sent_at, row.last_error = DeliveryStatus.SENT, now, None
        result.sent += 1
    db.session.flush()
    return result


def failed_notifications(user: User, limit: int = 200) -> list[Notification]:
    """Notifications that gave up, newest first (admins only: access decides)."""
    return list(db.session.scalars(
        access.scoped(user, Notification).where(Notification.status == DeliveryStatus.FAILED)
        .order_by(Notification.created_at.desc()).limit(limit)))
