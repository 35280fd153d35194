"""Sign in, sign out, and each role's landing page."""
from flask import Blueprint, redirect, render_template, request, session, url_for

from backend.errors import SignInRefused
from backend.extensions import limiter
from backend.services.identity.accounts import authenticate
from backend.services.monitoring.dashboard import landing_counts
from web_admin.auth import current_user, login_required, safe_next, sign_in
from web_admin.forms import SignInForm

bp = Blueprint("pages", __name__)


def inject_user() -> dict:
    """Templates see the signed-in user."""
    return {"current_user": current_user()}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    """The sign-in page."""
    form = SignInForm()
    if form.validate_on_submit():
        sign_in(authenticate(form.username.data, form.password.data))
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.errorhandler(SignInRefused)
def refused_sign_in(refusal: SignInRefused):
    """The sign-in page again, saying why, with the username as typed.

    The refusal is raised through the view, not caught in it, so that the request's
    unit of work sees it and keeps the failed attempt it counted.
    """
    return render_template("login.html", form=SignInForm(), error=refusal.message), 401


@bp.post("/logout")
def logout():
    """Sign out."""
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/")
@login_required()
def home():
    """The landing page for the signed-in user's role."""
    user = current_user()
    return render_template("home.html", user=user, counts=landing_counts(user))
