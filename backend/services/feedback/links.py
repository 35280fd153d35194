"""One-time feedback links: issue, resolve and spend a signed, expiring, single-use code.

A link carries its short code signed (so a tampered link is refused before the
database is asked); the database holds only a keyed hash of the code, so a
copy of the table does not reveal live codes.
"""
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from backend.errors import DomainError, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.models import FeedbackLink, Role, User
from backend.services.dates import clock
from backend.services.feedback.providers import providers_for
from backend.services.feedback.settings import settings_for

# No 0/O, 1/I/L, 5/S or 2/Z: easy to read aloud and to type from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 8
MAX_VALID_DAYS = 365
# Guessing codes is the abuse to stop: every way of redeeming a link shares this budget per address.
LINK_REDEMPTION_LIMIT = "10 per minute; 60 per hour"
_SALT = "feedback-link"


class LinkUnusable(DomainError):
    """The link has been used or has expired: nothing is stored."""

    status, code = 410, "link_unusable"


@dataclass
class IssuedLink:
    """A new link: the code and signed token are shown once and never stored."""

    link: FeedbackLink
    code: str
    token: str

    @property
    def display_code(self) -> str:
        """The code in two groups of four, as printed."""
        return f"{self.code[:4]}-{self.code[4:]}"


def normalise_code(raw: str) -> str:
    """Upper case, without spaces or hyphens, as typed from paper."""
    return "".join(ch for ch in str(raw or "").upper() if ch.isalnum())


def code_hash(code: str) -> str:
    """Keyed hash of a code: what the database stores."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def sign_code(code: str) -> str:
    """The token a link carries: the code, signed."""
    return _serializer().dumps(normalise_code(code))


def issue_link(user: User, provider_id: uuid.UUID | None = None, valid_days: int | None = None,
               label: str = "", now: datetime | None = None) -> IssuedLink:
    """A commissioner issues a one-time link, optionally for one provider they contract with."""
    if user.role not in (Role.COMMISSIONER, Role.ADMIN):
        raise Forbidden("Only commissioners issue feedback links.")
    now = now or clock.now()
    settings = settings_for(user.organisation_id)
    days = settings.link_valid_days if valid_days is None else valid_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_VALID_DAYS:
        raise Invalid(f"A link is valid for 1 to {MAX_VALID_DAYS} days.", field="valid_days")
    if provider_id is not None and provider_id not in {p.id for p in providers_for(user)}:
        raise Invalid("Choose a provider your organisation contracts with.", field="provider_id")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    link = FeedbackLink(token_hash=code_hash(code), issued_by_id=user.id,
                        commissioner_id=user.organisation_id, provider_id=provider_id,
                        label=(label or "")[:200], expires_at=now + timedelta(days=days))
    db.session.add(link)
    db.session.flush()
    return IssuedLink(link=link, code=code, token=sign_code(code))


def code_from_token(token: str) -> str:
    """The code inside a signed link token, or NotFound if it was tampered with."""
    try:
        return normalise_code(_serializer().loads(token))
    except (BadSignature, TypeError, ValueError):
        raise NotFound("This feedback link is not valid. Please check it was copied in full.",
                       code="link_invalid") from None


def find_link(code_or_token: str, now: datetime | None = None) -> FeedbackLink:
    """The usable link for a typed code or a signed token; NotFound or LinkUnusable otherwise."""
    now = now or clock.now()
    raw = str(code_or_token or "")
    code = code_from_token(raw) if "." in raw else normalise_code(raw)
    link = None
    if len(code) == CODE_LENGTH:
        link = db.session.scalar(sa.select(FeedbackLink).where(
            FeedbackLink.token_hash == code_hash(code)))
    if link is None:
        raise NotFound("We do not recognise that feedback code. Please check it and try again.",
                       code="link_invalid")
    if link.used_at is not None:
        raise LinkUnusable("This feedback link has already been used, so it cannot be used "
                           "again. Thank you if it was you who sent the feedback.",
                           code="link_used")
    if link.expires_at <= now:
        raise LinkUnusable("This feedback link has expired. Please ask for a new one.",
                           code="link_expired")
    return link


def spend_link(link: FeedbackLink, now: datetime | None = None) -> None:
    """Mark the link used, atomically: of two simultaneous uses only one succeeds."""
    now = now or clock.now()
    result = db.session.execute(
        sa.update(FeedbackLink)
        .where(FeedbackLink.id == link.id, FeedbackLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise LinkUnusable("This feedback link has already been used.", code="link_used")
    db.session.refresh(link)


def links_issued_by(user: User, limit: int = 50) -> list[FeedbackLink]:
    """Links the user may see (their organisation's), newest first."""
    from backend.services.identity.access import scoped

    return list(db.session.scalars(
        scoped(user, FeedbackLink).order_by(FeedbackLink.created_at.desc()).limit(limit)))


def link_qr_svg(url: str) -> str:
    """An inline SVG QR code of a link, to print on a feedback card (made locally by segno)."""
    import segno

    return segno.make(url, error="m").svg_inline(
        scale=5, light="#fff", title="QR code of the feedback link", svgclass="qr")
