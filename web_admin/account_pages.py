"""Setting a password from a one-time link (an invitation or a reset)."""
from flask import Blueprint, flash, redirect, render_template, url_for

from backend.errors import DomainError
from backend.extensions import limiter
from backend.services.identity.links import find_link, redeem_link
from web_admin.forms import SetPasswordForm

bp = Blueprint("account", __name__)


@bp.route("/account/password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def set_password(token: str):
    """Choose a password from a link; the link works once."""
    link = find_link(token)  # 404 page for a used, expired or unknown link
    form = SetPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = ["The two passwords differ."]
        else:
            try:
                user = redeem_link(token, form.password.data)
            except DomainError as exc:
                if exc.status == 404:
                    raise
                form.password.errors = list(exc.fields.get("password", [exc.message]))
            else:
                flash(f"Password set for {user.username}. Sign in with it now.", "ok")
                return redirect(url_for("pages.login"))
        return render_template("set_password.html", form=form, link=link), 422
    return render_template("set_password.html", form=form, link=link)
