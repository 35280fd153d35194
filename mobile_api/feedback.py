"""Feedback API: panel members submit, link holders redeem, commissioners moderate, read figures."""
from flask import url_for
from mobile_api.blueprint import Blueprint

from backend.extensions import limiter
from backend.models import Role
from backend.services.feedback.submission import submit_feedback, submit_via_link
from backend.services.feedback.figures import satisfaction_report
from backend.services.feedback.links import LINK_REDEMPTION_LIMIT, issue_link
from backend.services.feedback.reading import get_feedback, list_feedback, present, present_one
from backend.services.feedback.safety import moderate_feedback
from mobile_api.auth import BEARER, current_user, token_required
from mobile_api.feedback_schemas import (
    FeedbackIn,
    FeedbackOut,
    FeedbackQuery,
    FeedbackReceipt,
    LinkIn,
    LinkOut,
    ModerationIn,
    PeriodQuery,
    SatisfactionOut,
)

blp = Blueprint("feedback_api", __name__, description="Service user panel feedback")
READERS = (Role.PANEL_MEMBER, Role.PROVIDER_MANAGER, Role.COMMISSIONER)


def _receipt(submission) -> dict:
    return {"reference": submission.feedback.reference, "updated": submission.updated,
            "received": True}


@blp.post("/feedback")
@token_required(Role.PANEL_MEMBER)
@blp.arguments(FeedbackIn)
@blp.response(201, FeedbackReceipt)
@blp.doc(security=[BEARER])
def submit(answers):
    """Submit feedback as a panel member (a repeat within the window updates the earlier one)."""
    return _receipt(submit_feedback(current_user(), answers))


@blp.get("/feedback")
@token_required(*READERS)
@blp.arguments(FeedbackQuery, location="query")
@blp.response(200, FeedbackOut(many=True))
@blp.doc(security=[BEARER])
def index(query):
    """Feedback the caller may read, with only the fields their role may see."""
    user = current_user()
    return [present(user, f)
            for f in list_feedback(user, query["provider_id"], query["safeguarding"])]


@blp.get("/feedback/<uuid:feedback_id>")
@blp.response(200, FeedbackOut)
@blp.doc(security=[BEARER])
@token_required(*READERS)
def show(feedback_id):
    """One response the caller may read."""
    user = current_user()
    return present_one(user, get_feedback(user, feedback_id))


@blp.post("/feedback/<uuid:feedback_id>/moderation")
@token_required(Role.COMMISSIONER)
@blp.arguments(ModerationIn)
@blp.response(200, FeedbackOut)
@blp.doc(security=[BEARER])
def moderate(body, feedback_id):
    """Set the redacted text the provider sees (the original is kept and audited)."""
    user = current_user()
    return present_one(user, moderate_feedback(user, feedback_id, body["redacted_text"]))


@blp.get("/feedback/satisfaction")
@token_required(Role.COMMISSIONER)
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, SatisfactionOut)
@blp.doc(security=[BEARER])
def satisfaction(query):
    """% satisfied per provider with counts, Wilson 95% intervals and verdicts on the baseline."""
    return satisfaction_report(current_user(), query["start"], query["end"])


@blp.post("/feedback-links")
@token_required(Role.COMMISSIONER)
@blp.arguments(LinkIn)
@blp.response(201, LinkOut)
@blp.doc(security=[BEARER])
def issue(body):
    """Issue a one-time feedback link; the code and token are shown only in this answer."""
    issued = issue_link(current_user(), body["provider_id"], body["valid_days"], body["label"])
    return {"id": str(issued.link.id), "code": issued.display_code, "token": issued.token,
            "url": url_for("feedback.by_link", token=issued.token, _external=True),
            "expires_at": issued.link.expires_at}


@blp.post("/feedback-links/<code>/responses")
@blp.arguments(FeedbackIn)
@blp.response(201, FeedbackReceipt)
@limiter.shared_limit(LINK_REDEMPTION_LIMIT, scope="feedback-link")
def redeem(answers, code):
    """Answer through a one-time link (no account): the code or the link's token, used once."""
    return _receipt(submit_via_link(code, answers))
