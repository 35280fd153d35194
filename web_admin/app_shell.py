"""The care worker app (a progressive web app) served as static files under /app.

The app talks only to the public JSON API (/api/v1); this blueprint just hands
out its files. The service worker is served from /app/ so its scope is /app/.
"""
from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

APP_FILES = Path(__file__).parent / "static" / "carer_app"

bp = Blueprint("carer_app", __name__, url_prefix="/app")

# Scripts and styles only from this site, no inline code: the refresh token sits
# in IndexedDB, so injected script is the thing to keep out.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@bp.get("")
def app_root():
    """Always use the trailing slash, so relative URLs and the worker scope agree."""
    return redirect("/app/", code=308)


@bp.get("/")
def index():
    """The app shell."""
    return _send("index.html")


@bp.get("/<path:filename>")
def app_file(filename: str):
    """Any file of the app (modules, styles, icons, manifest, service worker)."""
    return _send(filename)


def _send(filename: str):
    """A file from the app folder; changes reach phones through the service worker."""
    response = send_from_directory(APP_FILES, filename, max_age=0)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if filename == "sw.js":
        response.headers["Cache-Control"] = "no-cache"
    if filename.endswith(".webmanifest"):
        response.mimetype = "application/manifest+json"
    return response
