"""Settings read from environment variables, in one place."""
import os
import secrets
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


def load(instance_path: str) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ.get("ECM_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"ECM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    path = Path(instance_path)
    return {
        "ECM_ENV": env,
        "SECRET_KEY": _secret_key(env, path),
        "SQLALCHEMY_DATABASE_URI": _database_url(path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "ECM_TIMEZONE": os.environ.get("ECM_TIMEZONE", "Europe/London"),
        "ECM_PUBLIC_URL": os.environ.get("ECM_PUBLIC_URL", "http://127.0.0.1:5000"),
        "JWT_ISSUER": os.environ.get("JWT_ISSUER", "homecare-ecm"),
        "JWT_AUDIENCE": os.environ.get("JWT_AUDIENCE", "homecare-ecm-mobile"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 256 * 1024)),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") == "1",
        # Failed API sign-ins allowed per remote address (Flask-Limiter syntax).
        "RATELIMIT_SIGN_IN_FAILURES": os.environ.get("RATELIMIT_SIGN_IN_FAILURES",
                                                     "20 per 10 minutes"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", 25)),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "alerts@homecare.invalid"),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "0") == "1",
        # Scheduler and outbox (see README, "Running in production").
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
        "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 6)),
        "OUTBOX_BACKOFF_SECONDS": int(os.environ.get("OUTBOX_BACKOFF_SECONDS", 30)),
        "OUTBOX_TIMEOUT_SECONDS": int(os.environ.get("OUTBOX_TIMEOUT_SECONDS", 10)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "API_TITLE": "Home care ECM API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
