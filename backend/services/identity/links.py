"""One-time links to set a password: an invitation for a new account, or a reset.

The secret is shown once (in the link) and only its SHA-256 is stored, so the database
alone cannot be used to take over an account. A link works once, until it expires; a
newer link of the same kind replaces older ones.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.errors import NotFound
from backend.extensions import db
from backend.models import AccountLink, LinkPurpose, User
from backend.services.dates import clock
from backend.services.identity.password_change import set_password

LINK_PATH = "/account/password/"


@dataclass(frozen=True)
class IssuedLink:
    """A link just issued: the only moment its secret is known."""

    link: AccountLink
    token: str
    # Where the link was emailed (identity/link_mail.py); None: show it to the issuer once.
    emailed_to: str | None = None

    @property
    def url(self) -> str:
        """The address the person opens to set their password."""
        return current_app.config["ECM_PUBLIC_URL"].rstrip("/") + LINK_PATH + self.token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(user: User, purpose, issued_by: User | None,
               now: datetime | None = None) -> IssuedLink:
    """A new one-time link for the user; earlier unused links of that kind stop working."""
    purpose = LinkPurpose(purpose)
    now = now or clock.now()
    hours = current_app.config["INVITATION_LINK_HOURS" if purpose == LinkPurpose.INVITATION
                               else "RESET_LINK_HOURS"]
    db.session.execute(sa.update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.purpose == purpose,
        AccountLink.used_at.is_(None), AccountLink.expires_at > now).values(expires_at=now))
    token = secrets.token_urlsafe(32)
    link = AccountLink(user_id=user.id, purpose=purpose, token_hash=_hash(token),
                       expires_at=now + timedelta(hours=hours), created_at=now,
                       created_by_id=issued_by.id if issued_by else None)
    db.session.add(link)
    db.session.flush()
    return IssuedLink(link, token)


def find_link(token: str, now: datetime | None = None) -> AccountLink:
    """The usable link with this secret; NotFound for unknown, used and expired alike."""
    now = now or clock.now()
    link = db.session.scalar(sa.select(AccountLink).where(
        AccountLink.token_hash == _hash(token or "")))
    user = db.session.get(User, link.user_id) if link else None
    if link is None or link.used_at is not None or link.expires_at <= now or \
            user is None or not user.active:
        raise NotFound("This link is not valid: it may have been used or have expired. "
                       "Ask for a new one.")
    return link


def redeem_link(token: str, password: str, now: datetime | None = None) -> User:
    """Set the password from a link, once; the account's other sign-ins end."""
    now = now or clock.now()
    link = find_link(token, now)
    user = db.session.get(User, link.user_id)
    set_password(user, password, now, field="password")
    user.failed_sign_ins = 0
    link.used_at = now
    db.session.flush()
    return user
