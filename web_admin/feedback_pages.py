"""Giving feedback: signed-in panel members, and people with a one-time link or code."""
from flask import Blueprint, redirect, render_template, session, url_for

from backend.errors import Invalid, NotFound
from backend.extensions import limiter
from backend.models import Role
from backend.services.feedback.providers import link_providers, providers_for
from backend.services.feedback.submission import submit_feedback, submit_via_link
from backend.services.feedback.links import (
    LINK_REDEMPTION_LIMIT,
    LinkUnusable,
    find_link,
    sign_code,
)
from backend.services.feedback.reading import list_feedback, present
from backend.services.feedback.settings import settings_for
from web_admin.auth import current_user, login_required
from web_admin.feedback_forms import QUESTION_TEXT, SCALE, FeedbackCodeForm, FeedbackForm

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

link_limit = limiter.shared_limit(LINK_REDEMPTION_LIMIT, scope="feedback-link", methods=["POST"])


def _form_page(form, providers, max_chars, action, with_anonymous, fixed_provider=None,
               status=200):
    return render_template("feedback/form.html", form=form, providers=providers,
                           questions=QUESTION_TEXT, scale=SCALE, max_chars=max_chars, action=action,
                           with_anonymous=with_anonymous, fixed_provider=fixed_provider), status


def _received(reference: str, updated: bool, endpoint: str):
    session["feedback_received"] = {"reference": reference, "updated": updated}
    return redirect(url_for(endpoint))


@bp.route("/new", methods=["GET", "POST"])
@login_required(Role.PANEL_MEMBER)
def new():
    """The feedback form for a signed-in panel member."""
    user = current_user()
    form = FeedbackForm()
    providers = providers_for(user)
    max_chars = settings_for(user.organisation_id).max_text_chars
    if form.validate_on_submit():
        try:
            result = submit_feedback(user, form.answers())
        except Invalid as exc:
            form.show_errors(exc.fields)
            return _form_page(form, providers, max_chars, url_for(".new"), True, status=422)
        return _received(result.feedback.reference, result.updated, "feedback.received")
    return _form_page(form, providers, max_chars, url_for(".new"), True,
                      status=422 if form.errors else 200)


@bp.get("/received")
@login_required(Role.PANEL_MEMBER)
def received():
    """Confirmation for a panel member, with the reference."""
    return render_template("feedback/received.html", receipt=session.pop("feedback_received", None),
                           signed_in=True)


@bp.get("/mine")
@login_required(Role.PANEL_MEMBER)
def mine():
    """What this panel member has submitted (anonymous responses are not linked to them)."""
    user = current_user()
    items = [present(user, f) for f in list_feedback(user)]
    return render_template("feedback/mine.html", items=items, questions=QUESTION_TEXT)


def _link_problem(exc):
    return render_template("feedback/link_problem.html", message=exc.message), exc.status


@bp.route("/code", methods=["GET", "POST"])
@link_limit
def code():
    """Type the code printed on a feedback card."""
    form = FeedbackCodeForm()
    if form.validate_on_submit():
        try:
            find_link(form.code.data)
        except (NotFound, LinkUnusable) as exc:
            form.code.errors = [exc.message]
            return render_template("feedback/code.html", form=form), exc.status
        return redirect(url_for(".by_link", token=sign_code(form.code.data)))
    return render_template("feedback/code.html", form=form)


@bp.route("/link/<token>", methods=["GET", "POST"])
@link_limit
def by_link(token: str):
    """The feedback form for someone holding a one-time link."""
    try:
        link = find_link(token)
    except (NotFound, LinkUnusable) as exc:
        return _link_problem(exc)
    form = FeedbackForm()
    providers = link_providers(link)
    fixed = providers[0] if link.provider_id else None
    max_chars = settings_for(link.commissioner_id).max_text_chars
    action = url_for(".by_link", token=token)
    if form.validate_on_submit():
        try:
            result = submit_via_link(token, form.answers())
        except Invalid as exc:
            form.show_errors(exc.fields)
            return _form_page(form, providers, max_chars, action, False, fixed, status=422)
        except (NotFound, LinkUnusable) as exc:
            return _link_problem(exc)
        return _received(result.feedback.reference, False, "feedback.link_received")
    return _form_page(form, providers, max_chars, action, False, fixed)


@bp.get("/thank-you")
def link_received():
    """Confirmation for someone who used a one-time link."""
    return render_template("feedback/received.html", receipt=session.pop("feedback_received", None),
                           signed_in=False)
