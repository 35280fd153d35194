"""Sign in, sign out, and each role's landing page."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from backend.errors import Invalid, SignInRefused
from backend.extensions import limiter
from backend.services.identity import password_change
from backend.services.identity.accounts import authenticate
from backend.services.monitoring.dashboard import landing_counts
from web_admin.auth import current_user, login_required, safe_next, sign_in, sign_out
from web_admin.forms import PasswordChangeForm, SignInForm

bp = Blueprint("pages", __name__)


@bp.before_app_request
def forget_last_requests_user() -> None:
    """Each request finds its user afresh from its own cookie (an app context, and so `g`,
    may outlive one request: the test client reuses the test's)."""
    g.pop("user", None)


def inject_user() -> dict:
    """Templates see the signed-in user."""
    return {"current_user": current_user()}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    """The sign-in page."""
    form = SignInForm()
    if form.validate_on_submit():
        sign_in(authenticate(form.username.data, form.password.data, request.remote_addr))
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
    """Sign out: the session ends on the server, so a copy of the cookie opens nothing."""
    sign_out()
    return redirect(url_for("pages.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
def change_password():
    """Change one's own password; every other sign-in, web or phone, ends with it."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("password.html", form=form), status
    try:
        password_change.change_password(current_user(), form.current_password.data,
                                        form.new_password.data)
    except Invalid as refusal:
        for name, messages in refusal.fields.items():
            form[name].errors = list(form[name].errors) + list(messages)
        return render_template("password.html", form=form), refusal.status
    sign_in(current_user())  # this browser carries on in a fresh session
    flash("Password changed. You have been signed out everywhere else.", "ok")
    return redirect(url_for("pages.home"))


@bp.get("/")
@login_required()
def home():
    """The landing page for the signed-in user's role."""
    user = current_user()
    return render_template("home.html", user=user, counts=landing_counts(user))
