"""Access tokens for the API: short-lived JWTs with the algorithm pinned.

Every claim that matters is checked: signature (HS256 only, so "none" and
algorithm swaps fail), issuer, audience, expiry, and typ, so a refresh token is
never accepted where an access token is expected, or the reverse.
"""
import uuid
from datetime import timedelta

import jwt
from flask import current_app

from backend.errors import Unauthorized
from backend.extensions import db
from backend.models import User
from backend.services import clock

ALGORITHM = "HS256"
ACCESS_LIFETIME = timedelta(minutes=15)
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "typ", "jti"]


def encode(claims: dict, lifetime: timedelta, typ: str) -> str:
    """A signed token of the given type carrying the claims."""
    now = clock.now()
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
    try:
        claims = jwt.decode(
            token, current_app.config["SECRET_KEY"], algorithms=[ALGORITHM],
            audience=current_app.config["JWT_AUDIENCE"], issuer=current_app.config["JWT_ISSUER"],
            options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your session has expired; sign in again.", code="token_expired") \
            from None
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid.", code="invalid_token") from None
    if claims.get("typ") != typ:
        raise Unauthorized(f"A {claims.get('typ')} token cannot be used here.",
                           code="invalid_token")
    return claims


def issue_access_token(user: User) -> tuple[str, int]:
    """A short-lived access token for the user, and its lifetime in seconds."""
    token = encode({"sub": str(user.id), "role": user.role.value}, ACCESS_LIFETIME, "access")
    return token, int(ACCESS_LIFETIME.total_seconds())


def user_from_access_token(token: str) -> User:
    """The active user an access token speaks for."""
    claims = decode(token, "access")
    try:
        user = db.session.get(User, uuid.UUID(claims["sub"]))
    except ValueError:
        user = None
    if user is None or not user.active:
        raise Unauthorized("The token is not valid.", code="invalid_token")
    return user
