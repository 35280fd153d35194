"""What each role reads of feedback: the rows (through access.py) and the fields.

Panel members read their own responses in full. A provider manager reads only
moderated responses about their provider, the redacted text, and never anything
about who sent it. Commissioners read everything about providers they fund.
"""
import uuid

import sqlalchemy as sa

from backend.extensions import db
from backend.models import QUESTIONS, Feedback, Organisation, Role, ServiceUser, User
from backend.services.identity import access


def list_feedback(user: User, provider_id: uuid.UUID | None = None,
                  safeguarding_only: bool = False, limit: int = 200) -> list[Feedback]:
    """Feedback the user may see, newest first."""
    query = access.scoped(user, Feedback)
    if provider_id is not None:
        query = query.where(Feedback.provider_id == provider_id)
    if safeguarding_only:
        query = query.where(Feedback.safeguarding.is_(True))
    order = sa.func.coalesce(Feedback.updated_at, Feedback.created_at).desc()
    return list(db.session.scalars(query.order_by(order, Feedback.id).limit(limit)))


def get_feedback(user: User, feedback_id) -> Feedback:
    """One response the user may see; NotFound for foreign and unknown ids alike."""
    return access.get_visible(user, Feedback, feedback_id, "feedback")


def _name(model, object_id) -> str | None:
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None:
        return None
    return obj.name if isinstance(obj, ServiceUser | Organisation) else obj.display_name


def present(user: User, feedback: Feedback) -> dict:
    """The fields of a response this user may read (call only for visible feedback)."""
    view = {
        "id": str(feedback.id),
        "provider_id": str(feedback.provider_id),
        "provider_name": _name(Organisation, feedback.provider_id),
        "created_at": feedback.created_at,
        "updated_at": feedback.updated_at,
        "ratings": {name: getattr(feedback, name) for name in QUESTIONS},
        "moderated": feedback.moderated_at is not None,
    }
    if user.role == Role.PROVIDER_MANAGER:
        # Never who sent it, never the unredacted words.
        view["text"] = feedback.redacted_text or ""
        view["service_user_name"] = _name(ServiceUser, feedback.service_user_id)
        return view
    view.update({
        "reference": feedback.reference,
        "text": feedback.free_text,
        "redacted_text": feedback.redacted_text,
        "moderated_at": feedback.moderated_at,
        "anonymous": feedback.anonymous,
        "contact_requested": feedback.contact_requested,
        "contact_details": feedback.contact_details,
        "safeguarding": feedback.safeguarding,
        "safety_concern_ticked": feedback.safety_concern_ticked,
        "service_user_name": _name(ServiceUser, feedback.service_user_id),
    })
    if user.role in (Role.COMMISSIONER, Role.ADMIN):
        view["submitted_by_name"] = _name(User, feedback.submitted_by_id)
    return view


def present_one(user: User, feedback: Feedback) -> dict:
    """present(), with whether this user may moderate the response: asked of one
    response at a time (its page, its API answer), never per row of a list."""
    view = present(user, feedback)
    if user.role in (Role.COMMISSIONER, Role.ADMIN):
        view["may_moderate"] = access.can_change(user, feedback)
    return view
