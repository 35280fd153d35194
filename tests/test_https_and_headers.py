"""Production over HTTPS and the security headers on every answer.

With ECM_ENV=production the session cookie is Secure: a page over plain HTTP could never
sign in (the CSRF session token never comes back), so such a request gets a page saying
to use HTTPS. Behind a TLS proxy, ProxyFix (configured by PROXY_FIX_*) tells the app the
request was HTTPS. Every page, API answer and file carries a CSP with frame-ancestors,
nosniff and a Referrer-Policy; HSTS in production; gunicorn shows no version.
"""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import g, request

from backend.app import create_app
from tests.mail_server import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production(monkeypatch, tmp_path):
    """An app built as production builds it (settings from the environment)."""
    monkeypatch.setenv("ECM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret-for-a-test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")

    def build(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return create_app()

    return build


def test_plain_http_in_production_gets_a_page_saying_use_https(production):
    app = production()
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 403
    assert "https://" in page.get_data(as_text=True) and "CSRF" not in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers
    api = client.post("/api/v1/auth/sign-in", json={"username": "a", "password": "b"})
    assert api.status_code == 403 and api.json["error"]["code"] == "https_required"
    assert client.get("/api/v1/health").status_code in (200, 503)  # load balancers' probe


def test_over_https_the_session_cookie_is_secure_with_hsts(production):
    app = production()
    response = app.test_client().get("/login", base_url="https://care.example")
    assert response.status_code == 200
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_tls_proxy_proxyfix_comes_from_the_settings(production):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = production().test_client().get("/login", headers=forwarded)
    assert untrusted.status_code == 403  # no proxy trusted: the header proves nothing
    app = production(PROXY_FIX_X_PROTO="1", PROXY_FIX_X_FOR="1")
    seen = {}
    app.before_request(lambda: seen.update(address=request.remote_addr))
    trusted = app.test_client().get("/login", headers=forwarded)
    assert trusted.status_code == 200 and "Secure" in trusted.headers["Set-Cookie"]
    assert seen["address"] == "203.0.113.9"


def _gets(app):
    """Every GET route without arguments, plus a few with (pages, API, files, errors)."""
    urls = [rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments]
    return urls + ["/static/admin.css", "/app/index.html", "/no-such-page",
                   "/api/v1/no-such-thing", "/visits/00000000-0000-0000-0000-000000000000"]


def test_every_answer_carries_the_security_headers(app, client, make, auth):
    w = make.world()
    make.commit()
    missing = []
    for signed_in in (False, True):
        if signed_in:
            auth.login(w.manager.username)
        for url in _gets(app):
            g.pop("user", None)
            response = client.get(url)
            response.close()
            headers = response.headers
            policy = headers.get("Content-Security-Policy", "")
            if not ("frame-ancestors 'none'" in policy and "default-src" in policy
                    and headers.get("X-Content-Type-Options") == "nosniff"
                    and headers.get("Referrer-Policy") in ("same-origin", "no-referrer")
                    and headers.get("X-Frame-Options") == "DENY"):
                missing.append((url, response.status_code, dict(headers)))
    assert missing == []
    page = client.get("/board").headers["Content-Security-Policy"]
    assert "script-src 'self'" in page and "unsafe-inline" not in page
    assert "Strict-Transport-Security" not in client.get("/board").headers  # not production


def test_gunicorn_in_production_names_no_version_and_asks_for_https(tmp_path):
    port = free_port()
    environment = {**os.environ, "ECM_ENV": "production", "SECRET_KEY": "k" * 32,
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
                   "PROXY_FIX_X_PROTO": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
         "backend.app:create_app()"], cwd=ROOT, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/login"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1)
            except urllib.error.HTTPError as refused:
                plain = refused
                break
            except OSError:
                time.sleep(0.1)
        assert plain.code == 403 and "https://" in plain.read().decode()
        assert plain.headers["Server"] == "gunicorn"  # no version
        secure = urllib.request.urlopen(urllib.request.Request(
            url, headers={"X-Forwarded-Proto": "https"}), timeout=5)
        assert secure.status == 200 and "Secure" in secure.headers["Set-Cookie"]
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_signing_in_over_https_in_production_works(production):
    import re

    from backend.extensions import db
    from tests.factories import Factory

    app = production()
    with app.app_context():
        db.create_all()
        make = Factory()
        user = make.user()
        make.commit()
        client = app.test_client()
        base = "https://care.example"
        form = client.get("/login", base_url=base).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'name="csrf_token" value="([^"]+)"', form)
        data = {"username": user.username, "password": make.PASSWORD,
                "csrf_token": next(t for t in token.groups() if t)}
        # Flask-WTF checks over HTTPS that the form came from this site (the Referer the
        # pages' Referrer-Policy "same-origin" lets the browser send).
        refused = client.post("/login", base_url=base, data=data)
        assert refused.status_code == 400 and "referrer" in refused.get_data(as_text=True)
        signed_in = client.post("/login", base_url=base, data=data,
                                headers={"Referer": f"{base}/login"})
        assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[-400:]
        assert "Secure" in signed_in.headers["Set-Cookie"]
        db.session.remove()
