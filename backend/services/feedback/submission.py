"""Submitting feedback: by a signed-in panel member, or through a one-time link.

An anonymous response stores no link to whoever sent it (submitted_by is NULL).
A panel member who answers again about the same provider within the window set
by their commissioner updates their earlier response instead of adding another.
"""
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.errors import Forbidden, Invalid
from backend.extensions import db
from backend.models import QUESTIONS, CarePackage, Feedback, Organisation, Role, ServiceUser, User
from backend.services.dates import clock
from backend.services.feedback.links import CODE_ALPHABET, find_link, spend_link
from backend.services.feedback.providers import link_providers, providers_for
from backend.services.feedback.safety import screen_for_safeguarding
from backend.services.feedback.settings import settings_for
from backend.services.database.transactions import hold

OPTIONAL_QUESTIONS = QUESTIONS[1:]
# The form shows words and the API sends their numbers: the message names both.
CHOOSE_AN_ANSWER = "Choose one answer, from Very satisfied (5) to Very dissatisfied (1)."


@dataclass
class Submission:
    """The stored response, and whether it updated an earlier one."""

    feedback: Feedback
    updated: bool


def _rating(value, name: str, required: bool, errors: dict) -> int | None:
    if value in (None, ""):
        if required:
            errors[name] = [CHOOSE_AN_ANSWER]
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not 1 <= number <= 5 \
            or str(number) != str(value).strip():
        errors[name] = [CHOOSE_AN_ANSWER]
        return None
    return number


def _text(value) -> str:
    return str(value or "").replace("\r\n", "\n").strip()


def clean_answers(answers: dict, providers: list[Organisation], max_chars: int) -> dict:
    """Checked answers, or Invalid naming every field that needs attention."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    allowed = {str(p.id): p.id for p in providers}
    provider = str(answers.get("provider_id") or "")
    if provider not in allowed:
        errors["provider_id"] = ["Choose the care provider your feedback is about."]
    clean["provider_id"] = allowed.get(provider)
    for name in QUESTIONS:
        clean[name] = _rating(answers.get(name), name, name == "overall", errors)
    text = _text(answers.get("free_text"))
    if len(text) > max_chars:
        errors["free_text"] = [
            f"Your comments are {len(text):,} characters long; the limit is {max_chars:,}. "
            f"Please shorten them by {len(text) - max_chars:,} characters."]
    clean["free_text"] = text
    clean["anonymous"] = bool(answers.get("anonymous"))
    clean["contact_requested"] = bool(answers.get("contact_requested"))
    contact = _text(answers.get("contact_details"))
    if clean["contact_requested"] and not contact:
        errors["contact_details"] = ["Tell us how to contact you, or untick the contact box."]
    elif len(contact) > 300:
        errors["contact_details"] = ["Contact details can be up to 300 characters."]
    if clean["anonymous"] and clean["contact_requested"]:
        errors["contact_requested"] = [
            "We cannot contact you about an anonymous response. Untick one of the two."]
    clean["contact_details"] = contact if clean["contact_requested"] else None
    clean["service_user_ref"] = _text(answers.get("service_user_ref"))[:40]
    clean["service_user_consent"] = bool(answers.get("service_user_consent"))
    if clean["service_user_ref"] and not clean["service_user_consent"]:
        errors["service_user_consent"] = [
            "Tick to confirm the person has agreed to be named, or leave their reference out."]
    if clean["service_user_ref"] and clean["anonymous"]:
        errors["service_user_ref"] = [
            "An anonymous response cannot name the person receiving care."]
    clean["worried"] = bool(answers.get("worried"))
    if errors:
        raise Invalid("Please correct the answers marked below.", fields=errors)
    return clean


def _service_user(ref: str, provider_id: uuid.UUID) -> uuid.UUID | None:
    """The person by care reference, only among people this provider cares for.

    Feedback-specific: a consented link, answered only as found or not found.
    """
    if not ref:
        return None
    person = db.session.scalar(
        sa.select(ServiceUser.id).join(CarePackage, CarePackage.service_user_id == ServiceUser.id)
        .where(ServiceUser.council_ref == ref, CarePackage.provider_id == provider_id).limit(1))
    if person is None:
        raise Invalid("We could not find anyone with that reference cared for by this provider.",
                      field="service_user_ref")
    return person


def _new_reference() -> str:
    return "FB-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _apply(feedback: Feedback, clean: dict, service_user_id) -> None:
    for name in QUESTIONS:
        setattr(feedback, name, clean[name])
    feedback.free_text = clean["free_text"]
    feedback.contact_requested = clean["contact_requested"]
    feedback.contact_details = clean["contact_details"]
    feedback.service_user_id = service_user_id
    feedback.service_user_consent = service_user_id is not None
    feedback.safety_concern_ticked = clean["worried"]
    # New words must be moderated again before the provider sees them.
    feedback.redacted_text = None
    feedback.moderated_at = None


def _store(clean: dict, submitter: User | None, commissioner_id, window: timedelta,
           now: datetime) -> Submission:
    service_user_id = _service_user(clean["service_user_ref"], clean["provider_id"])
    earlier = None
    if submitter is not None and not clean["anonymous"]:
        # Two answers sent at once (a double tap, two tabs) must not both be new ones.
        hold(User, submitter.id)
        earlier = db.session.scalar(
            sa.select(Feedback).where(
                Feedback.submitted_by_id == submitter.id,
                Feedback.provider_id == clean["provider_id"],
                Feedback.created_at >= now - window)
            .order_by(Feedback.created_at.desc()).limit(1))
    if earlier is not None:
        _apply(earlier, clean, service_user_id)
        earlier.updated_at = now
        feedback, updated = earlier, True
    else:
        feedback = Feedback(provider_id=clean["provider_id"], anonymous=clean["anonymous"],
                            submitted_by_id=None if clean["anonymous"] or submitter is None
                            else submitter.id,
                            reference=_new_reference(), created_at=now)
        _apply(feedback, clean, service_user_id)
        db.session.add(feedback)
        updated = False
    db.session.flush()
    screen_for_safeguarding(feedback, commissioner_id, now)
    return Submission(feedback, updated)


def submit_feedback(user: User, answers: dict, now: datetime | None = None) -> Submission:
    """A signed-in panel member's response (an update if they answered lately)."""
    if user.role not in (Role.PANEL_MEMBER, Role.ADMIN):
        raise Forbidden("Only panel members submit feedback.")
    now = now or clock.now()
    settings = settings_for(user.organisation_id)
    clean = clean_answers(answers, providers_for(user), settings.max_text_chars)
    return _store(clean, user, user.organisation_id,
                  timedelta(hours=settings.update_window_hours), now)


def submit_via_link(code_or_token: str, answers: dict, now: datetime | None = None) -> Submission:
    """A response through a one-time link; the link is spent only if the response is stored."""
    now = now or clock.now()
    link = find_link(code_or_token, now)
    settings = settings_for(link.commissioner_id)
    answers = dict(answers)
    answers.pop("anonymous", None)  # decided below: nobody without an account is on record
    if link.provider_id is not None:
        answers["provider_id"] = str(link.provider_id)
    clean = clean_answers(answers, link_providers(link), settings.max_text_chars)
    # Anonymous unless the person chose to be reachable or to name who receives care.
    clean["anonymous"] = not (clean["contact_requested"] or clean["service_user_ref"])
    submission = _store(clean, None, link.commissioner_id, timedelta(0), now)
    spend_link(link, now)
    return submission
