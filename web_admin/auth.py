"""Who is signed in to the web pages (a server-side session named by the cookie), and page
guards."""
from functools import wraps

from urllib.parse import urlparse

from flask import abort, g, redirect, request, session, url_for

from backend.models import Role, User
from backend.services.identity import web_sessions


def current_user() -> User | None:
    """The signed-in user of this request, or None (no session, or one that has ended)."""
    if "user" not in g:
        user = None
        session_id = session.get("sid")
        if session_id:
            user = web_sessions.user_of(session_id)
            if user is None:
                session.clear()
        g.user = user
    return g.user


def sign_in(user: User) -> None:
    """Start a fresh session for the user (a new cookie, so no fixation)."""
    session.clear()
    session["sid"] = str(web_sessions.start(user).id)
    session.permanent = True  # the cookie lasts the session's absolute lifetime at most
    g.user = user


def sign_out() -> None:
    """End this browser's session on the server, then forget the cookie."""
    web_sessions.end(session.get("sid"), "sign_out")
    session.clear()
    g.pop("user", None)


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
