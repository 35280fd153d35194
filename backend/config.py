"""Settings read from environment variables, in one place."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The service cannot start with the settings it was given."""


def _secret_key(env: str, instance_path: Path) -> str:
    """SECRET_KEY from the environment; in development one generated once and kept."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set in production (ECM_ENV=production).")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance_path: Path) -> str:
    """DATABASE_URL, or a SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'ecm.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _flag(name: str, default: bool) -> bool:
    """A yes/no setting: 1 or 0 (unset: the default)."""
    return os.environ.get(name, "1" if default else "0") == "1"


def _proxy_fix() -> dict:
    """How many proxies in front set each X-Forwarded-* header (0: trust none)."""
    return {f"PROXY_FIX_{name}": int(os.environ.get(f"PROXY_FIX_{name}", 0))
            for name in ("X_FOR", "X_PROTO", "X_HOST", "X_PORT", "X_PREFIX")}


def load(instance_path: str) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ.get("ECM_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"ECM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    path = Path(instance_path)
    _max_hours = int(os.environ.get("WEB_SESSION_MAX_HOURS", 12))
    return {
        "ECM_ENV": env,
        "SECRET_KEY": _secret_key(env, path),
        "SQLALCHEMY_DATABASE_URI": _database_url(path),
        # A pooled connection is tested before use, so after a database restart the first
        # request finds a fresh connection instead of failing on a dead one. Production
        # logs never show SQL parameters: they hold homes' coordinates, feedback text and
        # goal descriptions.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                      "hide_parameters": _flag("SQL_HIDE_PARAMETERS",
                                                               env == "production")},
        # What a client is told to wait (503 Retry-After) when the database is unavailable.
        "DATABASE_RETRY_AFTER_SECONDS": int(os.environ.get("DATABASE_RETRY_AFTER_SECONDS", 5)),
        # How long a statement waits for a lock before the request gives up with a 503.
        "DATABASE_LOCK_TIMEOUT_SECONDS": float(os.environ.get("DATABASE_LOCK_TIMEOUT_SECONDS",
                                                              10)),
        "ECM_TIMEZONE": os.environ.get("ECM_TIMEZONE", "Europe/London"),
        "ECM_PUBLIC_URL": os.environ.get("ECM_PUBLIC_URL", "http://127.0.0.1:5000"),
        "JWT_ISSUER": os.environ.get("JWT_ISSUER", "homecare-ecm"),
        "JWT_AUDIENCE": os.environ.get("JWT_AUDIENCE", "homecare-ecm-mobile"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 256 * 1024)),
        # Home pins from addresses (off unless GEOCODER is set; see docs/administration.md).
        "GEOCODER": os.environ.get("GEOCODER", ""),
        "GEOCODER_DOMAIN": os.environ.get("GEOCODER_DOMAIN", "nominatim.openstreetmap.org"),
        "GEOCODER_SCHEME": os.environ.get("GEOCODER_SCHEME", "https"),
        "GEOCODER_USER_AGENT": os.environ.get("GEOCODER_USER_AGENT", "homecare-ecm"),
        "GEOCODER_MIN_DELAY_SECONDS": float(os.environ.get("GEOCODER_MIN_DELAY_SECONDS", 1.0)),
        "GEOCODER_TIMEOUT_SECONDS": float(os.environ.get("GEOCODER_TIMEOUT_SECONDS", 10)),
        "GEOCODER_COUNTRY": os.environ.get("GEOCODER_COUNTRY", "gb"),
        # The largest import file accepted (the upload page and the import API).
        "IMPORT_MAX_BYTES": int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024)),
        # Shared by every web worker: the database by default, or redis://host:6379
        # (see docs/operations.md, "Sign-in and sessions").
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "ecm-database://"),
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") == "1",
        # Failed API sign-ins allowed per remote address (Flask-Limiter syntax).
        "RATELIMIT_SIGN_IN_FAILURES": os.environ.get("RATELIMIT_SIGN_IN_FAILURES",
                                                     "20 per 10 minutes"),
        # Failed sign-ins per username and address: free ones, then a doubling wait.
        "SIGN_IN_FREE_FAILURES": int(os.environ.get("SIGN_IN_FREE_FAILURES", 5)),
        "SIGN_IN_FIRST_WAIT_SECONDS": int(os.environ.get("SIGN_IN_FIRST_WAIT_SECONDS", 30)),
        "SIGN_IN_MAX_WAIT_SECONDS": int(os.environ.get("SIGN_IN_MAX_WAIT_SECONDS", 900)),
        "SIGN_IN_FORGET_HOURS": int(os.environ.get("SIGN_IN_FORGET_HOURS", 24)),
        # Web sessions end after this long without a page, and at most this long after
        # sign-in (the cookie's own lifetime is the same).
        "WEB_SESSION_IDLE_MINUTES": int(os.environ.get("WEB_SESSION_IDLE_MINUTES", 30)),
        "WEB_SESSION_MAX_HOURS": _max_hours,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_max_hours),
        # Reads of people's records are kept this long, then pruned by housekeeping.
        "ACCESS_LOG_RETENTION_DAYS": int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", 730)),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", 25)),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "alerts@homecare.invalid"),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        # Alerts name people and places: encrypted to the mail server unless told not to.
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE", ""),
        # Scheduler and outbox (see README, "Running in production").
        # One-time links to set a password: an invitation, and a reset (hours valid).
        "INVITATION_LINK_HOURS": int(os.environ.get("INVITATION_LINK_HOURS", 7 * 24)),
        "RESET_LINK_HOURS": int(os.environ.get("RESET_LINK_HOURS", 24)),
        "VISIT_HORIZON_DAYS": int(os.environ.get("VISIT_HORIZON_DAYS", 14)),
        "SCHEDULER_LEASE_SECONDS": int(os.environ.get("SCHEDULER_LEASE_SECONDS", 90)),
        "MONITORING_LOOKBACK_HOURS": int(os.environ.get("MONITORING_LOOKBACK_HOURS", 24)),
        "BOARD_REFRESH_SECONDS": int(os.environ.get("BOARD_REFRESH_SECONDS", 30)),
        # Rota travel (services/rota/travel.py): straight-line distance x this factor.
        "ROTA_ROAD_FACTOR": float(os.environ.get("ROTA_ROAD_FACTOR", 1.0)),
        # Day planner: seconds the solver may take; distinct carers a person may have a week.
        "ROTA_PLAN_SECONDS": int(os.environ.get("ROTA_PLAN_SECONDS", 40)),
        "ROTA_MAX_CARERS_PER_PERSON_WEEK": int(os.environ.get(
            "ROTA_MAX_CARERS_PER_PERSON_WEEK", 6)),
        # A carer's paid day: a gap between visits (after travel) up to this is waiting.
        "ROTA_WAITING_MAX_MIN": int(os.environ.get("ROTA_WAITING_MAX_MIN", 60)),
        # A failing email or webhook is retried for this long before an admin must requeue it.
        "OUTBOX_RETRY_HOURS": float(os.environ.get("OUTBOX_RETRY_HOURS", 24)),
        "OUTBOX_BACKOFF_SECONDS": int(os.environ.get("OUTBOX_BACKOFF_SECONDS", 30)),
        "OUTBOX_BACKOFF_MAX_SECONDS": int(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", 1800)),
        # Short, so a silent mail server costs one timeout per delivery run, not one per email.
        "OUTBOX_TIMEOUT_SECONDS": float(os.environ.get("OUTBOX_TIMEOUT_SECONDS", 5)),
        "OUTBOX_BATCH": int(os.environ.get("OUTBOX_BATCH", 200)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE",
                                           365 * 24 * 3600 if env == "production" else 0)),
        **_proxy_fix(),
        "REPORT_MAX_DAYS": int(os.environ.get("REPORT_MAX_DAYS", 400)),
        "API_TITLE": "Home care ECM API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
