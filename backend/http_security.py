"""Serving safely over HTTP: the reverse proxy's headers, HTTPS in production, and the
security headers on every answer (pages, the API, the care worker app, static files).

- ProxyFix, from settings (PROXY_FIX_X_FOR, _X_PROTO, _X_HOST, _X_PORT, _X_PREFIX: how
  many proxies in front set each X-Forwarded-* header; 0, the default, trusts none).
  Behind a TLS proxy it is what tells the app a request came over HTTPS, and which
  address a phone signed in from.
- With a Secure session cookie (ECM_ENV=production) a page fetched over plain HTTP can
  never sign in: the browser drops the cookie and the sign-in form fails with "The CSRF
  session token is missing". Such a request is answered at once with a page (or, for the
  API, the error shape) saying to use HTTPS. The health check stays reachable, for load
  balancers that probe gunicorn directly.
- Headers: a Content-Security-Policy (only this site's scripts, styles and images; no
  framing: clickjacking of the correction and alert forms), nosniff, a Referrer-Policy
  and, in production, Strict-Transport-Security. gunicorn names itself without a version.
"""
from flask import Flask, current_app, make_response, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.errors import DomainError

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# same-origin, not no-referrer: over HTTPS Flask-WTF checks that a form's Referer is this
# site, and a browser told "no-referrer" would send none, refusing every form.
PAGE_REFERRER_POLICY = "same-origin"
_COMMON_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"))
_API_HEADERS = (("Content-Security-Policy", API_POLICY), *_COMMON_HEADERS,
                ("Referrer-Policy", "no-referrer"))
_PAGE_HEADERS = (("Content-Security-Policy", PAGE_POLICY), *_COMMON_HEADERS,
                 ("Referrer-Policy", PAGE_REFERRER_POLICY))
PROXY_HEADERS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")
ALWAYS_REACHABLE = ("/api/v1/health",)


class HttpsRequired(DomainError):
    """A production request that reached the service over plain HTTP."""

    status, code = 403, "https_required"


def register(app: Flask) -> None:
    """Apply the proxy settings, the HTTPS rule and the headers to the app."""
    counts = {name: int(app.config.get(f"PROXY_FIX_{name.upper()}", 0))
              for name in PROXY_HEADERS}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)
    app.before_request(_refuse_plain_http)
    app.after_request(_add_headers)


def _refuse_plain_http():
    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
        return None
    if request.path in ALWAYS_REACHABLE:
        return None
    message = ("This service must be used over HTTPS. Open it with an https:// address. "
               "If it is behind a proxy that ends TLS, the proxy must send "
               "X-Forwarded-Proto and the service must trust it (PROXY_FIX_X_PROTO=1).")
    if request.path.startswith("/api/"):
        raise HttpsRequired(message)
    return make_response(render_template("https_required.html", message=message), 403)


def _add_headers(response):
    # Each header only where the view has not set its own; the names present are read
    # once, as asking the headers for a missing one raises and catches an error.
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    for name, value in _API_HEADERS if request.path.startswith("/api/") else _PAGE_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    max_age = int(current_app.config.get("HSTS_MAX_AGE", 0))
    if max_age and request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", f"max-age={max_age}")
    return response
