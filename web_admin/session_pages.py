"""Sign in, sign out, and each role's landing page."""
from flask import Blueprint, redirect, render_template, request, session, url_for

from backend.errors import DomainError
from backend.extensions import db, limiter
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
    error = None
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data)
        if isinstance(result, DomainError):
            db.session.commit()  # keep the failed-attempt count
            error = result.message
        else:
            sign_in(result)
            return redirect(safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("login.html", form=form, error=error), status


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
