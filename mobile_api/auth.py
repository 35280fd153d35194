"""Bearer-token authentication for API views."""
from functools import wraps

from flask import g, request

from backend.errors import Forbidden, Unauthorized
from backend.models import Role, User
from backend.services.tokens import user_from_access_token

BEARER = {"bearerAuth": []}


def current_user() -> User:
    """The user the request's access token speaks for (set by token_required)."""
    return g.api_user


def token_required(*roles: Role):
    """API guard: a valid access token, optionally of one of the given roles (admin passes)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
            user = user_from_access_token(token.strip())
            if roles and user.role not in roles and user.role != Role.ADMIN:
                raise Forbidden("Your role cannot use this endpoint.")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorate
