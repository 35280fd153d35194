"""Who is signed in to the web pages (session cookie), and page guards."""
import uuid
from functools import wraps

from urllib.parse import urlparse

from flask import abort, g, redirect, request, session, url_for

from backend.extensions import db
from backend.models import Role, User


def current_user() -> User | None:
    """The signed-in user of this request, or None."""
    if "user" not in g:
        user = None
        raw = session.get("user_id")
        if raw:
            user = db.session.get(User, uuid.UUID(raw))
            if user is None or not user.active:
                session.clear()
                user = None
        g.user = user
    return g.user


def sign_in(user: User) -> None:
    """Start a fresh session for the user (a new cookie, so no fixation)."""
    session.clear()
    session["user_id"] = str(user.id)
    session.permanent = True


def login_required(*roles: Role):
    """Page guard: a signed-in user, optionally of one of the given roles."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("pages.login", next=request.full_path))
            if roles and user.role not in roles and user.role != Role.ADMIN:
                abort(404)  # pages of another role do not exist for this user
            return view(*args, **kwargs)

        return wrapped

    return decorate


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A path on this site to go back to; anything else (another host) gives the fallback."""
    if target and urlparse(target).netloc == "" and target.startswith("/"):
        return target
    return fallback or url_for("pages.home")
