"""Marshmallow schemas of the feedback API (explicit field lists; load_only / dump_only)."""
from marshmallow import Schema, fields, validate

_RATING = {"allow_none": True, "load_default": None}


class FeedbackIn(Schema):
    """A response; the rules (provider, lengths, consent) are checked by the service."""

    provider_id = fields.String(load_default=None, metadata={"description": "Provider's id; "
                                "ignored for a link issued for one provider"})
    overall = fields.Integer(required=True, metadata={"description": "1..5, 5 best"})
    reliability = fields.Integer(**_RATING)
    consistency = fields.Integer(**_RATING)
    dignity = fields.Integer(**_RATING)
    involvement = fields.Integer(**_RATING)
    safety = fields.Integer(**_RATING)
    free_text = fields.String(load_default="", metadata={"description": "Up to 5,000 characters "
                              "by default (the commissioner's setting)"})
    worried = fields.Boolean(load_default=False,
                             metadata={"description": "I am worried about someone's safety"})
    contact_requested = fields.Boolean(load_default=False)
    contact_details = fields.String(load_default=None, allow_none=True)
    service_user_ref = fields.String(load_default=None, allow_none=True)
    service_user_consent = fields.Boolean(load_default=False)
    anonymous = fields.Boolean(load_default=False)


class FeedbackReceipt(Schema):
    """What the sender is told: it was received, with a reference."""

    reference = fields.String()
    updated = fields.Boolean(metadata={"description": "An earlier response was updated"})
    received = fields.Boolean(dump_default=True)


class Ratings(Schema):
    overall = fields.Integer()
    reliability = fields.Integer(allow_none=True)
    consistency = fields.Integer(allow_none=True)
    dignity = fields.Integer(allow_none=True)
    involvement = fields.Integer(allow_none=True)
    safety = fields.Integer(allow_none=True)


class FeedbackOut(Schema):
    """A response as the reader's role may see it (fields absent when not allowed)."""

    id = fields.String()
    reference = fields.String()
    provider_id = fields.String()
    provider_name = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    ratings = fields.Nested(Ratings)
    text = fields.String()
    redacted_text = fields.String(allow_none=True)
    moderated = fields.Boolean()
    moderated_at = fields.DateTime(allow_none=True)
    may_moderate = fields.Boolean(metadata={"description": "Whether the caller may moderate "
                                            "it (a commissioner with a contract of its own "
                                            "with the provider, or an admin)"})
    anonymous = fields.Boolean()
    submitted_by_name = fields.String(allow_none=True)
    service_user_name = fields.String(allow_none=True)
    contact_requested = fields.Boolean()
    contact_details = fields.String(allow_none=True)
    safeguarding = fields.Boolean()
    safety_concern_ticked = fields.Boolean()


class FeedbackQuery(Schema):
    provider_id = fields.UUID(load_default=None)
    safeguarding = fields.Boolean(load_default=False)


class ModerationIn(Schema):
    redacted_text = fields.String(required=True)


class LinkIn(Schema):
    provider_id = fields.UUID(load_default=None, allow_none=True)
    valid_days = fields.Integer(load_default=None, allow_none=True)
    label = fields.String(load_default="", validate=validate.Length(max=200))


class LinkOut(Schema):
    """Shown once: only a hash of the code is stored."""

    id = fields.String()
    code = fields.String()
    token = fields.String()
    url = fields.String()
    expires_at = fields.DateTime()


class PeriodQuery(Schema):
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)


class Theme(Schema):
    question = fields.String()
    answered = fields.Integer()
    mean = fields.Float(allow_none=True)
    pct_satisfied = fields.Float(allow_none=True)


class ProviderSatisfaction(Schema):
    provider_id = fields.String()
    provider_name = fields.String()
    responses = fields.Integer()
    satisfied = fields.Integer()
    pct = fields.Float(allow_none=True)
    low_pct = fields.Float(allow_none=True)
    high_pct = fields.Float(allow_none=True)
    verdict = fields.String(metadata={"description": "above, below, inconclusive or too_few"})
    previous_pct = fields.Float(allow_none=True)
    previous_responses = fields.Integer()
    rank = fields.Integer(allow_none=True)
    themes = fields.List(fields.Nested(Theme))


class SatisfactionOut(Schema):
    start = fields.Date()
    end = fields.Date()
    baseline_pct = fields.Float()
    min_responses = fields.Integer()
    ranked = fields.List(fields.Nested(ProviderSatisfaction))
    too_few = fields.List(fields.Nested(ProviderSatisfaction))
