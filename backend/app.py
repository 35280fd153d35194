"""Application factory: create_app() built from small register_* helpers."""
import logging
import time

from flask import Flask, g, jsonify, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from backend import config as settings
from backend import http_security
from backend.errors import DomainError
from backend.extensions import api, csrf, db, limiter, migrate
from backend.services.database import dialect
from backend.services.database.outages import is_outage
from backend.unit_of_work import unit_of_work

log = logging.getLogger(__name__)
# Flask's answer for this many hooks, views and view wrappers at most is remembered.
_SYNC_REMEMBERED = 2048


class CallMonitoringApp(Flask):
    """Flask, with each request's view run as one unit of work."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._as_sync: dict = {}

    def ensure_sync(self, func):
        """Flask's, remembered per function: Flask asks it of every hook, and each of a
        view's API wrappers asks it of the next, on every request (a dozen times for a
        check-in), and whether a function is a coroutine function never changes."""
        try:
            return self._as_sync[func]
        except (KeyError, TypeError):  # not asked before, or an unhashable callable
            synced = super().ensure_sync(func)
        if len(self._as_sync) < _SYNC_REMEMBERED:  # hooks and views: a fixed set
            try:
                self._as_sync[func] = synced
            except TypeError:
                pass
        return synced

    def dispatch_request(self):
        """Run the view, then commit what it wrote once, or roll it all back.

        A service's refusal passes through here on its way to the error handlers, which
        answer it with the unit of work already ended: rolled back, or committed when
        the refusal keeps what it recorded (a counted failed sign-in). A view that
        answers a refusal itself, with a 4xx page or body, is rolled back too.
        """
        with unit_of_work() as work:
            response = self.make_response(super().dispatch_request())
            if response.status_code >= 400:
                work.discard()
        return response


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; test_config overrides settings read from the environment."""
    app = CallMonitoringApp(__name__, instance_relative_config=True,
                            template_folder="../web_admin/templates",
                            static_folder="../web_admin/static")
    app.config.from_mapping(settings.load(app.instance_path))
    if test_config:
        app.config.update(test_config)
    register_extensions(app)
    http_security.register(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


class WebSessions(SecureCookieSessionInterface):
    """The signed-cookie session is the web admin's; the API authenticates each request by
    its bearer token alone, so API requests get the null session (read as empty, never
    written) and skip the cookie's signing and checking."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def register_extensions(app: Flask) -> None:
    """Initialise the extension singletons."""
    import backend.models  # noqa: F401  (every table known to Alembic)
    import backend.rate_limits  # noqa: F401  (registers the "ecm-database://" limiter storage)

    app.session_interface = WebSessions()

    dialect.prepare_connections()  # SQLite: WAL, busy timeout, foreign keys
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"),
                     render_as_batch=True, compare_type=True)
    api.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount the mobile API and the web admin."""
    from mobile_api import fhir
    from mobile_api import register as register_api
    from web_admin import register as register_pages

    register_api(api)
    register_pages(app)
    app.register_blueprint(fhir.bp)


# Our names for HTTP errors raised outside our services, matching backend.errors.
_HTTP_CODES = {413: "too_large", 422: "invalid", 429: "too_many_requests"}


def _retry_after_seconds() -> int:
    """Seconds until the breached rate limit's window resets (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def _string_keys(messages):
    """Field messages with string keys (marshmallow keys list items by int index)."""
    if isinstance(messages, dict):
        return {str(k): _string_keys(v) for k, v in messages.items()}
    return messages


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_errorhandlers(app: Flask) -> None:
    """One JSON error shape for machines; friendly pages for people; never a traceback."""

    def respond(status: int, code: str, message: str, fields: dict | None = None):
        if _wants_json():
            body = {"code": code, "message": message}
            if fields:
                body["fields"] = fields
            return make_response(jsonify(error=body), status)
        try:
            page = render_template("error.html", status=status, message=message,
                                   fields=fields)
        except Exception as error:
            if not is_outage(error):
                raise
            # The page's header asks who is signed in; with the database gone, show it
            # as signed out rather than fail while answering the error.
            db.session.rollback()
            g.user = None
            page = render_template("error.html", status=status, message=message,
                                   fields=fields)
        return make_response(page, status)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        response = make_response(respond(exc.status, exc.code, exc.message, exc.fields))
        if exc.status == 503:  # unavailable for now: say when to come back
            response.headers["Retry-After"] = str(app.config["DATABASE_RETRY_AFTER_SECONDS"])
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        fields, problems = None, []
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages") if isinstance(data, dict) else None
        for location_fields in (messages or {}).values():
            if isinstance(location_fields, dict):  # webargs: {"json": {"field": ["msg"]}}
                fields = {**(fields or {}), **_string_keys(location_fields)}
            elif isinstance(location_fields, list):  # webargs: {"json": ["Invalid JSON body."]}
                problems.extend(str(problem) for problem in location_fields)
        code = _HTTP_CODES.get(exc.code) or (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 422 and fields:
            message = "Some fields are not valid."
        elif exc.code == 400 and problems:
            message = "The request body is not valid JSON." if "Invalid JSON body." in problems \
                else " ".join(problems)
        elif exc.code == 413:
            message = (f"The request body is larger than the "
                       f"{app.config['MAX_CONTENT_LENGTH']} bytes accepted.")
        # make_response: pages answer with a rendered string, the API with JSON.
        response = make_response(respond(exc.code or 500, code, message, fields))
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        if exc.code == 429:
            response.headers["Retry-After"] = str(_retry_after_seconds())
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if is_outage(exc):
            return database_unavailable(exc)
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return respond(500, "internal_error",
                       "Something went wrong on our side. It has been logged; please try again.")

    def database_unavailable(exc: Exception):
        # The request's unit of work has already been rolled back: nothing it wrote stands,
        # so the caller may send it again (a phone's event keeps its client event id).
        log.warning("Database unavailable on %s %s: %s", request.method, request.path,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        g.user = None  # the page must not ask the database who is signed in
        message = ("The service cannot reach its database just now. Nothing was saved; "
                   "please try again in a few seconds.")
        if not _wants_json() and request.method == "POST":
            # A person's form: what they typed is still on the page they came from.
            message += (" Your browser's Back button returns to the form with what you "
                        "typed, ready to send again.")
        response = make_response(respond(503, "database_unavailable", message))
        response.headers["Retry-After"] = str(app.config["DATABASE_RETRY_AFTER_SECONDS"])
        return response


def register_commands(app: Flask) -> None:
    """Flask CLI commands: demo, users, scheduler."""
    from backend.cli import register

    register(app)
