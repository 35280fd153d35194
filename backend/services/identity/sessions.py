"""API sign-in sessions: token pairs, refresh-token rotation with reuse detection, sign-out.

A sign-in starts a family of refresh tokens. Each refresh marks the token used and
issues its successor in the same family. A used token presented again means two
holders (a thief, or a copy): the whole family is revoked, so both must sign in
again. The exception is a client retrying within a few seconds because it lost
the response: it gets the very same successor back, as long as nobody used it yet.

Refusals are raised as SignInRefused: what they recorded (a revoked family, a
counted failed sign-in) stands when the request ends, where other refusals undo
their request's writes.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.errors import SignInRefused, Unauthorized
from backend.extensions import db
from backend.models import AuditEntry, RefreshToken, User
from backend.services.dates import clock
from backend.services.identity import tokens
from backend.services.identity.accounts import authenticate

REFRESH_LIFETIME = timedelta(days=30)
# A retried refresh (response lost on a poor mobile signal) within this time is no theft.
REUSE_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class SignedIn:
    """What a phone keeps after signing in or refreshing."""

    access_token: str
    expires_in: int
    refresh_token: str
    user: User
    token_type: str = "Bearer"


def _refusal(message: str, code: str = "invalid_token") -> SignInRefused:
    return SignInRefused(message, code=code)


def _mint(row: RefreshToken) -> str:
    """The refresh token for a row; the same row always gives the same token."""
    claims = {"sub": str(row.user_id), "fam": row.family_id.hex, "jti": row.id.hex}
    return tokens.encode(claims, row.expires_at - row.issued_at, "refresh",
                         issued_at=row.issued_at)


def _new_refresh(user_id: uuid.UUID, family_id: uuid.UUID, device_id: str | None,
                 now: datetime) -> RefreshToken:
    issued = now.replace(microsecond=0)  # tokens carry whole seconds; re-minting must match
    row = RefreshToken(id=uuid.uuid4(), family_id=family_id, user_id=user_id,
                       device_id=device_id, issued_at=issued, expires_at=issued + REFRESH_LIFETIME)
    db.session.add(row)
    db.session.flush()
    return row


def _signed_in(user: User, row: RefreshToken) -> SignedIn:
    access, seconds = tokens.issue_access_token(user, family_id=row.family_id)
    return SignedIn(access_token=access, expires_in=seconds, refresh_token=_mint(row), user=user)


def sign_in(username: str, password: str, device_id: str | None = None,
            now: datetime | None = None, address: str | None = None) -> SignedIn:
    """A new session (token pair) for valid credentials from a client address;
    SignInRefused otherwise."""
    return start_session(authenticate(username, password, address, now), device_id, now)


def start_session(user: User, device_id: str | None = None,
                  now: datetime | None = None) -> SignedIn:
    """A new refresh family and token pair for a user whose identity is already proven."""
    row = _new_refresh(user.id, uuid.uuid4(), device_id, now or clock.now())
    return _signed_in(user, row)


def revoke_family(family_id: uuid.UUID, reason: str, now: datetime | None = None) -> int:
    """Revoke every token of a sign-in; its access tokens stop working too. Returns rows changed."""
    result = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or clock.now(), revoke_reason=reason)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount


def revoke_all(user_id: uuid.UUID, reason: str, now: datetime | None = None) -> int:
    """Revoke every sign-in of a user on every phone (password changed or set, account
    deactivated); returns rows changed."""
    return revoke_all_of([user_id], reason, now)


def revoke_all_of(user_ids: list, reason: str, now: datetime | None = None) -> int:
    """revoke_all() for several users in one statement; returns rows changed."""
    result = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.user_id.in_(user_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or clock.now(), revoke_reason=reason)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount


def _claim(token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a fresh token used; atomic, so of two concurrent refreshes only one wins."""
    result = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None),
               RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount == 1


def _parse_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def refresh(token: str, now: datetime | None = None) -> SignedIn:
    """Rotate a refresh token: a new pair; SignInRefused if it may not be used (a token
    presented twice ends its whole sign-in, and that stands)."""
    now = now or clock.now()
    claims = tokens.decode(token, "refresh")
    token_id = _parse_id(claims["jti"])
    claimed = token_id is not None and _claim(token_id, now)
    row = db.session.get(RefreshToken, token_id, populate_existing=True) if token_id else None
    if row is None or str(row.user_id) != claims["sub"]:
        raise _refusal("The refresh token is not valid.")
    user = db.session.get(User, row.user_id)
    if row.revoked_at is not None or not user.active:
        raise _refusal("This sign-in has ended; sign in again.", "session_revoked")
    if claimed:
        successor = _new_refresh(row.user_id, row.family_id, row.device_id, now)
        row.replaced_by_id = successor.id
        return _signed_in(user, successor)
    if row.used_at is None:  # not used, not revoked, yet not claimable: expired
        raise _refusal("Your session has expired; sign in again.", "token_expired")
    successor = db.session.get(RefreshToken, row.replaced_by_id) if row.replaced_by_id else None
    if (now - row.used_at <= REUSE_GRACE and successor is not None
            and successor.used_at is None and successor.revoked_at is None):
        return _signed_in(user, successor)  # a retry: the same successor, no new branch
    revoke_family(row.family_id, "reuse_detected", now)
    db.session.add(AuditEntry(user_id=row.user_id, action="refresh_token_reused",
                              object_type="refresh_family", object_id=row.family_id.hex,
                              details={"device_id": row.device_id, "token": row.id.hex}))
    raise _refusal("This refresh token was already used, so the sign-in has been ended "
                    "for safety; sign in again.", "refresh_token_reused")


def sign_out(refresh_token: str | None = None, access_token: str | None = None,
             now: datetime | None = None) -> int:
    """End the sign-in each given token belongs to; answers how many tokens were revoked."""
    families = set()
    if refresh_token:
        families.add(tokens.decode(refresh_token, "refresh")["fam"])
    if access_token:
        claims = tokens.decode(access_token, "access")
        if "fam" in claims:
            families.add(claims["fam"])
    if not refresh_token and not access_token:
        raise Unauthorized("Send the refresh token, or an access token, of the sign-in to end.")
    ids = [family_id for family_id in map(_parse_id, families) if family_id is not None]
    return sum(revoke_family(family_id, "sign_out", now) for family_id in ids)


def purge_expired(now: datetime | None = None) -> int:
    """Delete refresh tokens past their expiry (their JWTs are refused anyway).

    Successors outlive their predecessors, so a live family keeps its newest token
    (the one revocation checks need); replaced_by links to purged rows go NULL.
    """
    result = db.session.execute(
        sa.delete(RefreshToken).where(RefreshToken.expires_at <= (now or clock.now()))
        .execution_options(synchronize_session=False))
    return result.rowcount
