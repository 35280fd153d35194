"""Schemas for signing in, refreshing and signing out, and for "who am I"."""
from marshmallow import Schema, fields, validate

# Control characters (NUL above all: PostgreSQL refuses it in text) are never part of a name.
NO_CONTROL_CHARACTERS = validate.Regexp(r"^[^\x00-\x1f\x7f]*\Z",
                                        error="Must not contain control characters.")


class SignInSchema(Schema):
    """Credentials from the phone."""

    username = fields.String(required=True, validate=[validate.Length(min=1, max=80),
                                                      NO_CONTROL_CHARACTERS])
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=1024))
    device_id = fields.String(load_default=None, allow_none=True,
                              validate=[validate.Length(min=1, max=100), NO_CONTROL_CHARACTERS])


class RefreshSchema(Schema):
    """A refresh token to rotate."""

    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class SignOutSchema(Schema):
    """The refresh token of the sign-in to end (or send the access token as a bearer)."""

    refresh_token = fields.String(load_default=None, validate=validate.Length(min=1, max=4096))


class OrganisationSchema(Schema):
    """The organisation a user belongs to."""

    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)


class UserSummarySchema(Schema):
    """Who is signed in."""

    id = fields.UUID(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    organisation = fields.Nested(OrganisationSchema, dump_only=True)


class TokenPairSchema(Schema):
    """Tokens for the phone: a short-lived access token and a rotating refresh token."""

    access_token = fields.String(dump_only=True)
    token_type = fields.String(dump_only=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(dump_only=True, metadata={"description": "seconds"})
    refresh_token = fields.String(dump_only=True)
    user = fields.Nested(UserSummarySchema, dump_only=True)
