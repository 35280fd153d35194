"""Demo step: panel feedback over recent months, satisfaction near the 60.1% baseline.

Wired into the demo build as `add_feedback(county.rng("feedback"), <local today>)`. It reads
the providers, panel members and commissioners already built, and adds responses (most
through one-time links, so anonymous; some by the demo panel member, named or anonymous),
a few safeguarding concerns routed to commissioners' inboxes, moderation of all but the
newest responses, and two unused feedback links whose codes it prints.
"""
import random
import uuid
from datetime import date, time, timedelta

import click
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    AuditEntry,
    Contract,
    Feedback,
    FeedbackLink,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from backend.services.dates import clock
from backend.services.feedback.links import CODE_ALPHABET, code_hash
from backend.services.feedback.safety import screen_for_safeguarding

MONTHS = 6
GOOD = ["The carers are lovely and always ask how I am.",
        "Same two carers most days, which makes a big difference to Mum.",
        "They arrive on time and never rush me.",
        "Very kind, and they helped me get back to doing my own breakfast.",
        "The office always rings if someone is running late.",
        "I feel listened to when my care plan is reviewed."]
MIXED = ["Good carers but the times change a lot.",
         "Weekends are a problem: different faces every time.",
         "Mostly fine, though the evening call is sometimes very early.",
         "Kind people, but they seem to have no time to chat."]
POOR = ["The lunchtime call is often an hour late and I am left waiting.",
        "I have had eleven different carers this month.",
        "They are in and out in ten minutes when it should be half an hour.",
        "Nobody told us the visit was cancelled.",
        "I do not feel involved in anything about my care."]
CONCERNS = ["Dad was left in bed all day on Sunday and nobody came.",
            "My mother has bruises on her arm after the morning visit and is frightened "
            "of one carer."]


def _local_instant(rng: random.Random, day: date):
    return clock.local_to_utc(day, time(rng.randint(8, 20), rng.randint(0, 59)))


def _ratings(rng: random.Random, satisfied: bool) -> dict:
    overall = rng.choice((4, 5)) if satisfied else rng.choice((1, 2, 2, 3, 3, 3))
    values = {"overall": overall}
    for name in ("reliability", "consistency", "dignity", "involvement", "safety"):
        lift = 1 if name in ("dignity", "safety") else 0  # people rate kindness above timing
        values[name] = None if rng.random() < 0.08 else \
            max(1, min(5, overall + lift + rng.choice((-1, 0, 0, 1))))
    return values


def _text(rng: random.Random, overall: int) -> str:
    if rng.random() < 0.3:
        return ""
    pool = GOOD if overall >= 4 else MIXED if overall == 3 else POOR
    return rng.choice(pool)


def _reference(rng: random.Random) -> str:
    return "FB-" + "".join(rng.choice(CODE_ALPHABET) for _ in range(8))


def _commissioners_by_funder() -> dict:
    users = db.session.scalars(sa.select(User).where(User.role == Role.COMMISSIONER)
                               .order_by(User.username))
    found: dict = {}
    for user in users:
        found.setdefault(user.organisation_id, user)
    return found


def add_feedback(rng: random.Random, today: date) -> None:
    """Add a realistic spread of panel feedback and two unused links to the demo county."""
    providers = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrganisationKind.PROVIDER).order_by(Organisation.name)).all()
    panel = db.session.scalars(sa.select(User).where(User.role == Role.PANEL_MEMBER)
                               .order_by(User.username)).all()
    commissioners = _commissioners_by_funder()
    funders = {}
    for provider_id, funder_id in db.session.execute(
            sa.select(Contract.provider_id, Contract.funder_id).order_by(Contract.name)):
        funders.setdefault(provider_id, funder_id)
    now = clock.local_to_utc(today, time(12))
    fresh_after = today - timedelta(days=10)  # newer responses still await moderation
    for index, provider in enumerate(providers):
        share_satisfied = min(0.9, max(0.3, rng.gauss(0.6, 0.13)))
        few = index % 4 == 3  # every fourth provider: too few responses to rank
        count = rng.randint(2, 8) if few else rng.randint(14, 45)
        commissioner = commissioners.get(funders.get(provider.id))
        for _ in range(count):
            day = today - timedelta(days=rng.randint(0, MONTHS * 30))
            ratings = _ratings(rng, rng.random() < share_satisfied)
            by_panel = panel and rng.random() < 0.15
            anonymous = not by_panel or rng.random() < 0.4
            concern = rng.random() < 0.01
            feedback = Feedback(
                id=uuid.UUID(int=rng.getrandbits(128), version=4), provider_id=provider.id,
                reference=_reference(rng), anonymous=anonymous,
                submitted_by_id=None if anonymous else rng.choice(panel).id,
                free_text=rng.choice(CONCERNS) if concern else _text(rng, ratings["overall"]),
                safety_concern_ticked=concern, created_at=_local_instant(rng, day), **ratings)
            db.session.add(feedback)
            screen_for_safeguarding(feedback, funders.get(provider.id), feedback.created_at)
            if day < fresh_after and commissioner is not None and not feedback.safeguarding:
                feedback.redacted_text = feedback.free_text
                feedback.moderated_at = feedback.created_at + timedelta(days=rng.randint(1, 4))
                db.session.add(AuditEntry(
                    at=feedback.moderated_at, user_id=commissioner.id,
                    action="feedback.moderated", object_type="feedback",
                    object_id=str(feedback.id),
                    details={"original_text": feedback.free_text,
                             "redacted_text": feedback.redacted_text, "changed": False}))
    _add_links(rng, commissioners, providers, funders, now)
    db.session.flush()


def _add_links(rng, commissioners, providers, funders, now) -> None:
    """Two unused links from the council's commissioner: one for a provider, one open."""
    council = db.session.scalar(sa.select(Organisation.id).where(
        Organisation.kind == OrganisationKind.COUNCIL).order_by(Organisation.name))
    issuer = commissioners.get(council)
    if issuer is None:
        return
    own = [p for p in providers if funders.get(p.id) == council] or providers
    for provider, label in ((own[0] if own else None, "Panel meeting card"), (None, "Open card")):
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
        db.session.add(FeedbackLink(
            token_hash=code_hash(code), issued_by_id=issuer.id, commissioner_id=council,
            provider_id=provider.id if provider else None, label=label,
            created_at=now, expires_at=now + timedelta(days=28)))
        click.echo(f"  Demo feedback code ({label}): {code[:4]}-{code[4:]}")
