"""Bearer-token authentication for API views."""
from functools import wraps

from flask import g, request

from backend.errors import Forbidden, Unauthorized
from backend.models import Role, User
from backend.services.identity.tokens import as_user, caller_from_access_token

BEARER = {"bearerAuth": []}


def caller():
    """Who the request's access token speaks for, as read by token_required: their users
    row (`.id`, `.role`, `.organisation_id`), enough for an access decision."""
    return g.api_caller


def current_user() -> User:
    """The User the request's access token speaks for (made from token_required's read
    when first asked for)."""
    if "api_user" not in g:
        g.api_user = as_user(g.api_caller)
    return g.api_user


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if one was sent."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_required(*roles: Role, admin: bool = True):
    """API guard: a valid access token, optionally of one of the given roles.

    Admins pass every role check unless `admin=False` (endpoints about the
    caller's own work, such as a care worker's rota, mean nothing to an admin).
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = bearer_token()
            if token is None:
                raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
            user = caller_from_access_token(token)
            admin_passes = admin and user.role == Role.ADMIN
            if roles and user.role not in roles and not admin_passes:
                raise Forbidden("Your role cannot use this endpoint.")
            g.api_caller = user
            g.pop("api_user", None)  # a User made for an earlier request of this context
            return view(*args, **kwargs)

        return wrapped

    return decorate
