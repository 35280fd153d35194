#!/usr/bin/env python3
"""The two quick-start commands, with nothing but Python 3.11+ installed.

    python3 dev.py start   set up, build the demo county on SQLite, start the service
    python3 dev.py test    set up the test tools, lint, and run the whole suite

Both create ./.venv and install the project into it the first time (again only
when pyproject.toml changes).
"""
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment(extras: str = "") -> None:
    """Create the virtual environment and install the project if anything changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on any Python, to say so
        sys.exit("Python 3.11 or newer is needed.")
    if not PYTHON.exists():
        print("Creating a virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    target = f".[{extras}]" if extras else "."
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + target.encode()).hexdigest()
    stamp = VENV / f".installed{('-' + extras) if extras else ''}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"Installing dependencies ({target}) ...", flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "-q", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def flask(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a flask command inside the environment."""
    env = {**os.environ, "FLASK_APP": "backend.app:create_app"}
    return subprocess.run([PYTHON, "-m", "flask", *args], cwd=ROOT, env=env, **kwargs)


def start() -> int:
    """Set up, migrate, build (or reuse) the demo county, and serve it with its scheduler."""
    ensure_environment()
    flask("db", "upgrade", check=True)
    flask("demo", "build", check=True)
    port = os.environ.get("PORT", "5000")
    env = {**os.environ, "FLASK_APP": "backend.app:create_app"}
    scheduler = subprocess.Popen([PYTHON, "-m", "flask", "scheduler", "run"], cwd=ROOT, env=env)
    print(f"\n  Home care monitoring is running at http://127.0.0.1:{port}/", flush=True)
    print(f"  Care worker app: http://127.0.0.1:{port}/app/   API: "
          f"http://127.0.0.1:{port}/api/v1/openapi.json", flush=True)
    flask("demo", "logins")
    print("  Press Ctrl+C to stop.\n", flush=True)
    try:
        return flask("run", "--host", "127.0.0.1", "--port", port).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        scheduler.terminate()


def test(args: list[str]) -> int:
    """Install the test tools, lint, and run pytest (on TEST_DATABASE_URL if set, else
    SQLite); fails if either fails."""
    ensure_environment("dev")
    print("Linting (ruff check) ...", flush=True)
    linted = subprocess.run([PYTHON, "-m", "ruff", "check", "."], cwd=ROOT).returncode
    where = os.environ.get("TEST_DATABASE_URL", "").split("@")[-1] or "SQLite"
    print(f"Running the test suite on {where}", flush=True)
    tested = subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT).returncode
    return tested or linted


def main() -> int:
    """Dispatch `start` or `test`."""
    command, *rest = sys.argv[1:] or ["help"]
    if command == "start":
        return start()
    if command == "test":
        return test(rest)
    print(__doc__)
    return 0 if command == "help" else 2


if __name__ == "__main__":
    sys.exit(main())
