"""Safety and moderation of feedback: safeguarding routing and redaction before providers see it."""
import functools
import re
import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import (
    AuditEntry,
    Channel,
    Contract,
    Feedback,
    Notification,
    Organisation,
    Role,
    User,
)
from backend.services.dates import clock
from backend.services.identity import access

KEYWORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "safeguarding_keywords.txt"


@functools.lru_cache(maxsize=4)
def _keyword_pattern(path: str) -> re.Pattern:
    words = [line.strip().lower() for line in Path(path).read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def safeguarding_terms(text: str) -> list[str]:
    """The safeguarding keywords found in free text (list: data/safeguarding_keywords.txt)."""
    found = {m.group(0).lower() for m in _keyword_pattern(str(KEYWORDS_FILE)).finditer(text or "")}
    return sorted(found)


def _recipients(provider_id: uuid.UUID, commissioner_id: uuid.UUID | None) -> list[User]:
    """Active commissioners of every funder contracting with the provider, and of the channel."""
    funders = sa.select(Contract.funder_id).where(Contract.provider_id == provider_id)
    orgs = sa.or_(User.organisation_id.in_(funders), User.organisation_id == commissioner_id)
    return list(db.session.scalars(
        sa.select(User).where(User.role == Role.COMMISSIONER, User.active.is_(True), orgs)))


def screen_for_safeguarding(feedback: Feedback, commissioner_id: uuid.UUID | None,
                            now: datetime | None = None) -> list[Notification]:
    """Mark a response raising a safeguarding concern and notify commissioners' inboxes at once."""
    now = now or clock.now()
    terms = safeguarding_terms(feedback.free_text)
    if not terms and not feedback.safety_concern_ticked:
        return []
    feedback.safeguarding = True
    provider = db.session.get(Organisation, feedback.provider_id)
    reasons = []
    if feedback.safety_concern_ticked:
        reasons.append("the person ticked 'I am worried about someone's safety'")
    if terms:
        reasons.append("the comments mention: " + ", ".join(terms))
    excerpt = feedback.free_text[:600] + ("…" if len(feedback.free_text) > 600 else "")
    body = (f"Feedback {feedback.reference} about {provider.name} may raise a safeguarding "
            f"concern: {'; '.join(reasons)}.\n\n{excerpt}\n\nOpen it: /feedback/{feedback.id}")
    created = []
    for user in _recipients(feedback.provider_id, commissioner_id):
        key = f"feedback:{feedback.id}:safeguarding:{user.id}:inbox"
        exists = db.session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == key))
        if exists is not None:
            continue
        note = Notification(dedupe_key=key, channel=Channel.INBOX, recipient_user_id=user.id,
                            subject=f"Safeguarding concern in feedback about {provider.name}",
                            body=body, created_at=now, next_attempt_at=now)
        db.session.add(note)
        created.append(note)
    db.session.flush()
    return created


def moderate_feedback(user: User, feedback_id, redacted_text: str,
                      now: datetime | None = None) -> Feedback:
    """A commissioner sets the text the provider will see; the original stays, and is audited."""
    if user.role not in (Role.COMMISSIONER, Role.ADMIN):
        access.get_visible(user, Feedback, feedback_id, "feedback")
        raise Forbidden("Only commissioners moderate feedback.")
    feedback = access.get_changeable(user, Feedback, feedback_id, "feedback")
    now = now or clock.now()
    text = str(redacted_text or "").replace("\r\n", "\n").strip()
    if len(text) > max(len(feedback.free_text), 1) + 200:
        raise Invalid("The redacted text should be the original with personal details removed.",
                      field="redacted_text")
    feedback.redacted_text = text
    feedback.moderated_at = now
    db.session.add(AuditEntry(
        at=now, user_id=user.id, action="feedback.moderated", object_type="feedback",
        object_id=str(feedback.id),
        details={"original_text": feedback.free_text, "redacted_text": text,
                 "changed": text != feedback.free_text}))
    db.session.flush()
    return feedback
