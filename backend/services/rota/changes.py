"""Carers are told when their rota changes for today or tomorrow.

Each change to who is on a visit on the local today or tomorrow writes an inbox row
(the notification outbox) to the care worker added or taken off, and an email row
when they have an address and mail is configured; the carer app shows the unread
ones as a "rota changed" banner (carer_rota.rota_changes) until read. Further ahead,
the carer sees the change when that day's rota loads: nobody is woken for next week.
"""
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import Channel, DeliveryStatus, Notification, User, Visit
from backend.services.dates import clock

KEY_PREFIX = "rota:"


def tell_carers(visit: Visit, added: set, removed: set) -> int:
    """Outbox rows for the workers put on or taken off the visit (today or tomorrow only)."""
    today = clock.today()
    if not (added or removed) or not today <= visit.local_date <= today + timedelta(days=1):
        return 0
    now, zone = clock.now(), clock.zone()
    when = "today" if visit.local_date == today else "tomorrow"
    at = visit.planned_start.astimezone(zone).strftime("%H:%M")
    person = visit.package.service_user.name
    users = {u.id: u for u in db.session.scalars(
        sa.select(User).where(User.id.in_(added | removed)))}
    rows = []
    for worker_id in sorted(added | removed, key=str):
        joined = worker_id in added
        subject = f"Rota changed {when}: {'added' if joined else 'removed'} {at} {person}"
        body = (f"You now visit {person} at {at} {when}." if joined else
                f"You no longer visit {person} at {at} {when}.")
        channels = [(Channel.INBOX, None)]
        email = users[worker_id].email if worker_id in users else None
        if email and current_app.config.get("SMTP_HOST"):
            channels.append((Channel.EMAIL, email))
        for channel, address in channels:
            rows.append(Notification(
                dedupe_key=f"{KEY_PREFIX}{visit.id}:{worker_id}:{uuid.uuid4().hex}:{channel}",
                channel=channel, recipient_user_id=worker_id, address=address,
                subject=subject[:300], body=body, status=DeliveryStatus.PENDING,
                next_attempt_at=now, created_at=now))
    db.session.add_all(rows)
    return len(rows)
