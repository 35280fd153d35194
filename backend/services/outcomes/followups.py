"""Scheduler job: remind provider managers of 91-day reablement follow-ups that are due."""
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    CarePackage,
    Channel,
    Notification,
    ReablementEpisode,
    Role,
    ServiceUser,
    User,
)
from backend.services.dates import clock


def remind_due_followups(now: datetime | None = None) -> int:
    """Inbox reminders for due, unrecorded follow-ups; idempotent. Returns reminders added."""
    now = now or clock.now()
    today = now.astimezone(clock.zone()).date()
    due = db.session.execute(
        sa.select(ReablementEpisode, ServiceUser, CarePackage.provider_id)
        .join(ServiceUser, ServiceUser.id == ReablementEpisode.service_user_id)
        .join(CarePackage, CarePackage.id == ReablementEpisode.package_id)
        .where(ReablementEpisode.followup_due <= today,
               ReablementEpisode.followup_result.is_(None),
               ReablementEpisode.followup_reminded_at.is_(None))
        .with_for_update(of=ReablementEpisode, skip_locked=True)).all()
    if not due:
        return 0
    providers = {provider_id for _, _, provider_id in due}
    managers: dict = {}
    for user_id, org_id in db.session.execute(sa.select(User.id, User.organisation_id).where(
            User.organisation_id.in_(providers), User.role == Role.PROVIDER_MANAGER,
            User.active.is_(True))):
        managers.setdefault(org_id, []).append(user_id)
    rows = []
    for episode, person, provider_id in due:
        episode.followup_reminded_at = now
        for user_id in managers.get(provider_id, []):
            rows.append(dict(
                dedupe_key=f"followup:{episode.id}:{user_id}:inbox", channel=Channel.INBOX,
                recipient_user_id=user_id,
                subject=f"91-day follow-up due: {person.name} ({person.council_ref})",
                body=(f"The 91-day reablement follow-up for {person.name} was due on "
                      f"{episode.followup_due.isoformat()}. Record where they are living now "
                      "(at home, in hospital, in a care home, died, not contactable)."),
                next_attempt_at=now, created_at=now))
    keys = [r["dedupe_key"] for r in rows]
    existing = set(db.session.scalars(
        sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))) \
        if keys else set()
    new = [Notification(**r) for r in rows if r["dedupe_key"] not in existing]
    db.session.add_all(new)
    db.session.flush()
    return len(new)
