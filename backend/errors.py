"""Domain exceptions that services raise; mapped to responses in one place (app.py)."""
from marshmallow import Schema, fields


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "bad_request"
    # Whether what the unit of work wrote before this error stands: a refusal is normally
    # all-or-nothing (rolled back), but some refusals must record why they refused.
    keeps_changes = False

    def __init__(self, message: str, fields: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def to_dict(self) -> dict:
        """The one machine error shape."""
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class SignInRefused(Unauthorized):
    """A refused sign-in or token refresh whose record stands: the failed attempt counted
    towards locking the account, or the sign-in ended because its refresh token was
    presented twice. Raised like any refusal; the unit of work commits instead of
    rolling back, so the next attempt sees the count or the ended sign-in."""

    keeps_changes = True


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class TooLarge(DomainError):
    status, code = 413, "too_large"


class Invalid(DomainError):
    """Well-formed input that breaks a rule; names the field."""

    status, code = 422, "invalid"

    def __init__(self, message: str, fields: dict | None = None, field: str | None = None,
                 code: str | None = None):
        if field and not fields:
            fields = {field: [message]}
        super().__init__(message, fields, code)


class Unavailable(DomainError):
    status, code = 503, "unavailable"


class ErrorDetailSchema(Schema):
    """What went wrong: a code for programs, a message for people, the fields at fault."""

    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), metadata={
        "description": "field name -> messages (a list), or -> the same shape for the "
                       "fields inside it"})


class ErrorSchema(Schema):
    """The one machine error shape, {"error": {...}} (DomainError.to_dict), documented in
    the OpenAPI document for every error answer."""

    error = fields.Nested(ErrorDetailSchema, required=True)
