"""Signing in from a phone: token pairs, rotation, sign-out."""
from flask import current_app, request
from mobile_api.blueprint import Blueprint

from backend.extensions import limiter
from backend.services.identity import sessions
from mobile_api.auth import bearer_token
from mobile_api.session_schemas import RefreshSchema, SignInSchema, SignOutSchema, TokenPairSchema

blp = Blueprint("auth", __name__, description="Signing in and out of the phone app")


def _failed_sign_in_limit() -> str:
    return current_app.config["RATELIMIT_SIGN_IN_FAILURES"]


def _refused(response) -> bool:
    return response.status_code == 401


@blp.post("/auth/sign-in")
@limiter.limit(_failed_sign_in_limit, deduct_when=_refused,
               error_message="Too many failed sign-ins from your address; try again later.")
@blp.arguments(SignInSchema)
@blp.response(200, TokenPairSchema)
def sign_in(credentials):
    """Sign in with username and password: an access token (15 min) and a refresh token."""
    return sessions.sign_in(credentials["username"], credentials["password"],
                            credentials["device_id"], address=request.remote_addr)


@blp.post("/auth/refresh")
@blp.arguments(RefreshSchema)
@blp.response(200, TokenPairSchema)
def refresh(body):
    """Swap a refresh token for a new pair; each refresh token works once."""
    return sessions.refresh(body["refresh_token"])


@blp.post("/auth/sign-out")
@blp.arguments(SignOutSchema, required=False)
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}, {}])
def sign_out(body):
    """End the sign-in named by the refresh token in the body and/or the bearer access token."""
    sessions.sign_out(refresh_token=body["refresh_token"], access_token=bearer_token())
