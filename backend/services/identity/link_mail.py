"""One-time password links sent to the account holder by email, through the notification
outbox (the same queue, retries and delivery job as alerts).

The link's secret is in the outbox row only until the mail server accepts the message:
then the row's body is replaced by SENT_BODY (outbox.record_sent), so the database keeps
no usable link once it has gone. The secret is never written to the audit log or to any
application log. An account with no email address, or an install with no mail server,
gets no email: the person who issued the link is shown it once instead.
"""
import dataclasses

from flask import current_app

from backend.extensions import db
from backend.models import Channel, DeliveryStatus, LinkPurpose, Notification, User
from backend.services.dates import clock
from backend.services.identity.links import IssuedLink

KEY_PREFIX = "account-link:"
SENT_BODY = "A one-time link to choose a password was sent here; it is not kept."


def can_email(user: User) -> bool:
    """Whether the account's holder can be sent their link (an address and a mail server)."""
    return bool(user.email and current_app.config.get("SMTP_HOST"))


def _message(user: User, issued: IssuedLink) -> tuple[str, str]:
    expires = issued.link.expires_at.astimezone(clock.zone()).strftime("%d %B %Y at %H:%M")
    invited = issued.link.purpose == LinkPurpose.INVITATION
    subject = "Your account: choose a password" if invited else "Reset your password"
    opening = ("An account has been set up for you" if invited
               else "Someone asked for your password to be reset")
    body = (f"Dear {user.display_name or user.username},\n\n{opening} "
            f"(username {user.username}). Open this link to choose a password:\n\n"
            f"{issued.url}\n\nIt works once, until {expires}. If you did not expect this "
            "message, ignore it and tell your manager.\n")
    return subject, body


def send_link(user: User, issued: IssuedLink) -> IssuedLink:
    """Queue the link to the user's email (when they can be emailed); the returned link
    says where it went (emailed_to), so a page shows it only when it was not sent."""
    if not can_email(user):
        return issued
    subject, body = _message(user, issued)
    now = clock.now()
    db.session.add(Notification(
        dedupe_key=f"{KEY_PREFIX}{issued.link.id}", channel=Channel.EMAIL,
        recipient_user_id=user.id, address=user.email, subject=subject, body=body,
        status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now))
    db.session.flush()
    return dataclasses.replace(issued, emailed_to=user.email)
