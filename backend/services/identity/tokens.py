"""Access tokens for the API: short-lived JWTs with the algorithm pinned.

Every claim that matters is checked: signature (HS256 only, so "none" and
algorithm swaps fail), issuer, audience, expiry, and typ, so a refresh token is
never accepted where an access token is expected, or the reverse.
"""
import functools
import time
import uuid
from datetime import datetime, timedelta

import jwt
import sqlalchemy as sa
from flask import current_app

from backend.errors import Unauthorized
from backend.extensions import db
from backend.models import RefreshToken, User
from backend.services.dates import clock

ALGORITHM = "HS256"
ACCESS_LIFETIME = timedelta(minutes=15)
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "typ", "jti"]


def encode(claims: dict, lifetime: timedelta, typ: str, issued_at: datetime | None = None) -> str:
    """A signed token of the given type carrying the claims (issued now unless told)."""
    now = issued_at or clock.now()
    payload = {
        **claims,
        "iss": current_app.config["JWT_ISSUER"],
        "aud": current_app.config["JWT_AUDIENCE"],
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "typ": typ,
        "jti": claims.get("jti", uuid.uuid4().hex),
    }
    return jwt.encode(payload, current_app.config["SECRET_KEY"], algorithm=ALGORITHM,
                      headers={"typ": "JWT"})


def decode(token: str, typ: str) -> dict:
    """The verified claims of a token of the expected type, or Unauthorized."""
    config = current_app.config
    try:
        claims = dict(_verified_claims(token, config["SECRET_KEY"], config["JWT_AUDIENCE"],
                                       config["JWT_ISSUER"]))
        if int(claims["exp"]) <= time.time():  # what jwt.decode checks, for a remembered token
            raise jwt.ExpiredSignatureError("Signature has expired")
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your session has expired; sign in again.", code="token_expired") \
            from None
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid.", code="invalid_token") from None
    if claims.get("typ") != typ:
        raise Unauthorized(f"A {claims.get('typ')} token cannot be used here.",
                           code="invalid_token")
    return claims


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, key: str, audience: str, issuer: str) -> dict:
    """jwt.decode with every check, remembered per exact token and settings: a phone sends
    the same access token with every request for its 15 minutes, and checking the
    signature again each time costs more than the request's query. Only a token that
    passed is remembered (a failure raises, and lru_cache keeps no exceptions); of its
    checks only expiry can change with time, and decode() checks it on every use."""
    return jwt.decode(token, key, algorithms=[ALGORITHM], audience=audience, issuer=issuer,
                      options={"require": REQUIRED_CLAIMS})


def issue_access_token(user: User, family_id: uuid.UUID | None = None) -> tuple[str, int]:
    """A short-lived access token for the user, and its lifetime in seconds.

    Tokens issued for a sign-in carry its refresh family ("fam"), so signing out
    or a detected refresh-token theft ends them at once rather than at expiry.
    """
    claims = {"sub": str(user.id), "role": user.role.value}
    if family_id is not None:
        claims["fam"] = family_id.hex
    token = encode(claims, ACCESS_LIFETIME, typ="access")
    return token, int(ACCESS_LIFETIME.total_seconds())


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# Built once: run on every API request. A token without a sign-in family ("fam")
# binds NULL, which matches no refresh token, so it is never revoked.
REVOKED = sa.exists().where(RefreshToken.family_id == sa.bindparam("family_id"),
                            RefreshToken.revoked_at.is_not(None)).label("revoked")
_USERS = User.__table__
# The user's row as columns, not a User: most API requests need only who is asking
# (id, role, organisation), and as_user() makes the User from it for those that need one.
_CALLER_UNLESS_REVOKED = sa.select(*_USERS.c, REVOKED).where(
    _USERS.c.id == sa.bindparam("user_id", type_=_USERS.c.id.type))


def bearer(token: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The user id and sign-in family an access token carries, once its checks pass;
    whether that user is active and the family unrevoked is for the caller's query
    (bound as "user_id" and "family_id", REVOKED)."""
    claims = decode(token, "access")
    return _uuid(claims["sub"]), _uuid(claims["fam"]) if "fam" in claims else None


def caller_from_access_token(token: str) -> sa.Row:
    """The active user an access token speaks for, unless its sign-in was revoked: their
    row of the users table (every column; `.id`, `.role` and `.organisation_id` are what
    the access module asks of a user), one read with the revocation."""
    user_id, family_id = bearer(token)
    row = None
    if user_id:
        row = db.session.connection().execute(
            _CALLER_UNLESS_REVOKED, {"user_id": user_id, "family_id": family_id}).first()
    if row is None or not row.active or row.revoked:
        raise Unauthorized("The token is not valid.", code="invalid_token")
    return row


def as_user(caller: sa.Row) -> User:
    """The User of a caller's row (caller_from_access_token), without reading it again: the
    session's own object if it holds one, else one made from the row as if loaded."""
    held = db.session.identity_map.get(sa.orm.util.identity_key(User, caller.id))
    if held is not None:
        return held
    user = User(**{column.key: caller._mapping[column] for column in _USERS.c})
    sa.orm.make_transient_to_detached(user)  # as loaded: no pending change, a known key
    db.session.add(user)
    return user
