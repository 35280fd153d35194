"""Reading feedback: commissioners (all about providers they fund, moderation, links,
satisfaction figures) and provider managers (moderated feedback about their provider)."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for

from backend.errors import Invalid
from backend.models import Role
from backend.services.dates import days
from backend.services.feedback.providers import providers_for
from backend.services.feedback.figures import satisfaction_report
from backend.services.feedback.links import issue_link, link_qr_svg, links_issued_by
from backend.services.feedback.reading import get_feedback, list_feedback, present, present_one
from backend.services.feedback.safety import moderate_feedback
from backend.services.feedback.settings import save_settings, settings_for
from web_admin.auth import current_user, login_required
from web_admin.feedback_forms import (
    QUESTION_TEXT,
    IssueLinkForm,
    ModerationForm,
    SatisfactionSettingsForm,
)

bp = Blueprint("feedback_review", __name__, url_prefix="/feedback")
READERS = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)


def _uuid_or_none(raw):
    import uuid
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@bp.get("/")
@login_required(*READERS)
def index():
    """Feedback this user may read, newest first."""
    user = current_user()
    provider_id = _uuid_or_none(request.args.get("provider"))
    concerns = request.args.get("safeguarding") == "1"
    items = [present(user, f) for f in list_feedback(user, provider_id, concerns)]
    providers = providers_for(user) if user.role == Role.COMMISSIONER else []
    return render_template("feedback/index.html", items=items, providers=providers,
                           provider_id=provider_id, concerns=concerns, questions=QUESTION_TEXT)


@bp.route("/<uuid:feedback_id>", methods=["GET", "POST"])
@login_required(*READERS, Role.PANEL_MEMBER)
def detail(feedback_id):
    """One response; a commissioner can redact personal data before the provider sees it."""
    user = current_user()
    feedback = get_feedback(user, feedback_id)
    form = ModerationForm()
    if request.method == "POST":
        try:
            moderate_feedback(user, feedback_id, form.redacted_text.data)
        except Invalid as exc:
            form.redacted_text.errors = exc.fields.get("redacted_text", [exc.message])
        else:
            flash("Saved. The provider now sees the redacted text.", "ok")
            return redirect(url_for(".detail", feedback_id=feedback_id))
    elif not form.redacted_text.data:
        form.redacted_text.data = feedback.redacted_text or feedback.free_text
    status = 422 if form.redacted_text.errors else 200
    return render_template("feedback/detail.html", f=present_one(user, feedback), form=form,
                           questions=QUESTION_TEXT), status


def _date_arg(name: str) -> date | None:
    """A day from the query string, None when absent; a bad or far one is refused naming it."""
    return days.parse(request.args.get(name), name)


@bp.route("/satisfaction", methods=["GET", "POST"])
@login_required(Role.COMMISSIONER)
def satisfaction():
    """% satisfied per provider with response counts and intervals, against the baseline."""
    user = current_user()
    form = SatisfactionSettingsForm()
    if request.method == "POST":
        try:
            baseline = float(form.baseline_pct.data or "nan")
        except ValueError:
            baseline = float("nan")
        try:
            save_settings(user.organisation_id,
                          baseline_pct=baseline if baseline == baseline else -1,
                          min_responses=form.min_responses.data or 0)
        except Invalid as exc:
            for name, messages in exc.fields.items():
                getattr(form, name).errors = list(messages)
        else:
            flash("Baseline saved.", "ok")
            return redirect(url_for(".satisfaction", **request.args))
    else:
        settings = settings_for(user.organisation_id)
        form.baseline_pct.data = f"{settings.baseline_pct:g}"
        form.min_responses.data = settings.min_responses
    report = satisfaction_report(user, _date_arg("start"), _date_arg("end"))
    status = 422 if form.errors else 200
    return render_template("feedback/satisfaction.html", report=report, form=form,
                           questions=QUESTION_TEXT), status


@bp.route("/links", methods=["GET", "POST"])
@login_required(Role.COMMISSIONER)
def links():
    """Issue one-time feedback links (a short code and a link), and see those issued."""
    user = current_user()
    form = IssueLinkForm()
    providers = providers_for(user)
    issued = None
    status = 200
    if request.method == "POST":
        try:
            issued = issue_link(user, _uuid_or_none(form.provider_id.data), form.valid_days.data,
                                form.label.data or "")
        except Invalid as exc:
            status = 422
            for name, messages in exc.fields.items():
                getattr(form, name).errors = list(messages)
    url = url_for("feedback.by_link", token=issued.token, _external=True) if issued else None
    return render_template("feedback/links.html", form=form, providers=providers, issued=issued,
                           url=url, qr=link_qr_svg(url) if url else None,
                           links=links_issued_by(user),
                           default_days=settings_for(user.organisation_id).link_valid_days,
                           code_url=url_for("feedback.code", _external=True)), status
