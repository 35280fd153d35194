"""Who is told about an alert: outbox rows, one per recipient and channel, written once.

Provider managers of the visit's provider at once (inbox, email when SMTP is
configured, the provider's webhook when set); the funders' commissioners when a
missed call is confirmed or an alert is escalated (the package's funder, and each
co-funder of a jointly funded contract: they pay for the care too); the person's nominated contact
by email for late and missed visits, only if they opted in. Each row has a
dedupe_key, so a second run of the same pass adds nothing.
"""
import enum
import json
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from backend.errors import NotFound
from backend.extensions import db
from backend.models import (
    AlertKind, CarePackage, Channel, Contract, ContractFunder, DeliveryStatus, Notification,
    Organisation, Role, ServiceUser, User, Visit,
)
from backend.services.dates import clock
from backend.services.identity import access
from backend.services.database.dialect import among, insert_rows_ignoring_duplicates

FAMILY_KINDS = (AlertKind.LATE, AlertKind.MISSED)


class Audience(enum.StrEnum):
    RAISED = "raised"  # a new alert
    ESCALATED = "escalated"  # open too long: the funder is told


def _smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _staff(context: list) -> tuple[dict, dict, dict]:
    """The active provider managers of the alerts' providers and commissioners of their
    funders and of the co-funders of their contracts (rows of id and email), each grouped
    by organisation, and each contract's co-funders (contract id -> organisation ids):
    one query (a commissioner co-funding several of the contracts comes once a contract)."""
    managers: dict = {}
    commissioners: dict = {}
    co_funders: dict = {}
    organisations = {row.provider_id for row in context} | {row.funder_id for row in context}
    columns = (User.id, User.email, User.organisation_id, User.role)
    rows = db.session.execute(sa.union_all(
        sa.select(*columns, sa.type_coerce(sa.null(), ContractFunder.contract_id.type)
                  .label("contract_id")).where(
            User.role.in_([Role.PROVIDER_MANAGER, Role.COMMISSIONER]), User.active.is_(True),
            among(User.organisation_id, organisations)),
        sa.select(*columns, ContractFunder.contract_id).join(
            ContractFunder, ContractFunder.funder_id == User.organisation_id).where(
            User.role == Role.COMMISSIONER, User.active.is_(True),
            among(ContractFunder.contract_id, {row.contract_id for row in context}))))
    seen = set()
    for user in rows:
        if user.contract_id is not None:
            co_funders.setdefault(user.contract_id, set()).add(user.organisation_id)
        if user.id in seen:
            continue
        seen.add(user.id)
        grouped = managers if user.role == Role.PROVIDER_MANAGER else commissioners
        grouped.setdefault(user.organisation_id, []).append(user)
    return managers, commissioners, co_funders


def _row(key: str, alert, channel: Channel, subject: str, body: str, now: datetime,
         user=None, address: str | None = None) -> dict:
    inbox = channel == Channel.INBOX
    return dict(id=uuid.uuid4(), dedupe_key=key[:200], alert_id=alert.id, channel=channel,
                recipient_user_id=user.id if user else None, address=address,
                subject=subject[:300], body=body, attempts=0, next_attempt_at=now,
                created_at=now, status=DeliveryStatus.SENT if inbox else DeliveryStatus.PENDING,
                sent_at=now if inbox else None)


def _staff_rows(prefix: str, alert, users: list, subject: str, body: str, now,
                email_subject: str | None = None) -> list:
    rows = []
    for user in users:
        rows.append(_row(f"{prefix}:{user.id}:inbox", alert, Channel.INBOX, subject, body, now,
                         user))
        if _smtp_configured() and user.email:
            rows.append(_row(f"{prefix}:{user.id}:email", alert, Channel.EMAIL,
                             email_subject or subject, body, now, user, user.email))
    return rows


def _when(about: sa.Row) -> str:
    return about.planned_start.astimezone(clock.zone()).strftime("%H:%M on %d %B")


def _email_subject(about: sa.Row, named: str, unnamed: str) -> str:
    """An email's subject: naming the person only when their contract allows it (email
    subjects are kept in mail servers' logs; the inbox, behind a sign-in, always names)."""
    return named if about.names_in_email_subjects else unnamed


def _webhook_body(alert, about: sa.Row, event: str) -> str:
    return json.dumps({
        "event": event, "alert_id": str(alert.id), "kind": alert.kind.value,
        "visit_id": str(alert.visit_id), "planned_start": about.planned_start.isoformat(),
        "raised_at": alert.raised_at.isoformat(), "detail": alert.detail,
    })


def _family_row(alert, about: sa.Row, now):
    word = "is running late" if alert.kind == AlertKind.LATE else "has been missed"
    when = _when(about)
    body = (f"Dear {about.contact_name or 'family member'},\n\nThe care visit to "
            f"{about.first_name} planned for {when} {word}. {about.provider_name} has been "
            f"told and is dealing with it.\n")
    subject = _email_subject(about, f"Care visit for {about.first_name} {word}",
                             f"The care visit planned for {when} {word}")
    return _row(f"alert:{alert.id}:family:email", alert, Channel.EMAIL, subject, body, now,
                address=about.contact_email)


# What the messages say of an alert's visit, person and provider: columns, not objects
# (a national minute raises a hundred alerts).
ABOUT_VISIT = (
    Visit.planned_start, Visit.contract_id, CarePackage.provider_id, CarePackage.funder_id,
    ServiceUser.first_name, ServiceUser.last_name, ServiceUser.contact_name,
    ServiceUser.contact_opted_in, ServiceUser.contact_email,
    Organisation.name.label("provider_name"), Organisation.webhook_url,
    Contract.names_in_email_subjects)


def about_visits(*columns) -> sa.Select:
    """SELECT visit_id, `columns` and ABOUT_VISIT of visits (add the WHERE)."""
    return sa.select(Visit.id.label("visit_id"), *columns, *ABOUT_VISIT).join(
        CarePackage, CarePackage.id == Visit.package_id).join(
        ServiceUser, ServiceUser.id == CarePackage.service_user_id).join(
        Organisation, Organisation.id == CarePackage.provider_id).join(
        Contract, Contract.id == Visit.contract_id)


_ABOUT = about_visits()


def notify(alerts: list, audience: Audience, now: datetime | None = None,
           about: dict | None = None) -> int:
    """Write the outbox rows for these alerts (objects or rows of the alerts table);
    returns how many were new. `about`: rows of about_visits() by visit id, when the
    caller has read them already."""
    if not alerts:
        return 0
    now = now or clock.now()
    by_visit = about if about is not None else {row.visit_id: row for row in db.session.execute(
        _ABOUT.where(among(Visit.id, list({a.visit_id for a in alerts}))))}
    managers, commissioners, co_funders = _staff(list(by_visit.values()))
    base_url = current_app.config.get("ECM_PUBLIC_URL", "")

    rows = []
    for alert in alerts:
        about = by_visit[alert.visit_id]
        name = ServiceUser.name_of(about.first_name, about.last_name)
        kind = alert.kind.value.replace('_', ' ').title()
        subject = f"{kind}: {name}"
        email_subject = _email_subject(about, subject, f"{kind}: visit at {_when(about)}")
        body = f"{alert.detail}\n\n{base_url}/alerts/{alert.id}\n"
        prefix = f"alert:{alert.id}"
        if audience == Audience.RAISED:
            rows += _staff_rows(f"{prefix}:provider", alert, managers.get(about.provider_id, []),
                                subject, body, now, email_subject)
            if about.webhook_url:
                rows.append(_row(f"{prefix}:raised:webhook:{about.provider_id}", alert,
                                 Channel.WEBHOOK, "alert.raised",
                                 _webhook_body(alert, about, "alert.raised"), now,
                                 address=about.webhook_url))
            if (alert.kind in FAMILY_KINDS and about.contact_opted_in and about.contact_email
                    and _smtp_configured()):
                rows.append(_family_row(alert, about, now))
        if audience == Audience.ESCALATED or alert.kind == AlertKind.MISSED:
            why = "Escalated: not acknowledged in time." if audience == Audience.ESCALATED \
                else "Missed call confirmed."
            funders = {about.funder_id} | co_funders.get(about.contract_id, set())
            told = [user for funder_id in sorted(funders, key=str)
                    for user in commissioners.get(funder_id, [])]
            rows += _staff_rows(f"{prefix}:funder", alert, told,
                                f"[{about.provider_name}] {subject}", f"{why}\n{body}", now,
                                f"[{about.provider_name}] {email_subject}")
    if not rows:
        return 0
    # Only the rows actually inserted come back (duplicates are skipped).
    return len(insert_rows_ignoring_duplicates(Notification.__table__, rows, ["dedupe_key"],
                                               [Notification.__table__.c.id]))


def inbox(user: User, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    """The caller's own inbox rows, newest first."""
    query = (access.scoped(user, Notification)
             .where(Notification.channel == Channel.INBOX,
                    Notification.recipient_user_id == user.id)
             .order_by(Notification.created_at.desc()).limit(limit))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query))


def mark_read(user: User, notification_id, now: datetime | None = None) -> Notification:
    """Mark one of the caller's inbox rows read (idempotent)."""
    row = access.get_visible(user, Notification, notification_id, "notification")
    if row.recipient_user_id != user.id:  # admins see every row but read only their own
        raise NotFound("No notification with that id.")
    if row.read_at is None:
        row.read_at = now or clock.now()
        db.session.flush()
    return row
