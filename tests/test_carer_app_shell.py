"""The care worker app's files as the server hands them out (no browser needed)."""
import json
import struct

import pytest

from web_admin.app_shell import APP_FILES


def test_the_app_shell_is_served_with_a_strict_content_security_policy(client):
    response = client.get("/app/")
    assert response.status_code == 200
    assert b'<script type="module" src="js/app.js">' in response.data
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_without_the_slash_it_redirects_so_the_worker_scope_fits(client):
    response = client.get("/app")
    assert response.status_code == 308 and response.headers["Location"].endswith("/app/")


def test_the_service_worker_is_never_cached_by_http(client):
    response = client.get("/app/sw.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "javascript" in response.mimetype


def test_every_file_the_service_worker_precaches_exists(client):
    source = (APP_FILES / "sw.js").read_text()
    start = source.index("SHELL_FILES = [") + len("SHELL_FILES = [")
    listed = source[start:source.index("];", start)].replace("\n", " ")
    names = [part.strip().strip('"') for part in listed.split(",") if part.strip()]
    assert "js/app.js" in names
    for name in names:
        assert client.get("/app/" + ("" if name == "./" else name)).status_code == 200, name


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/app/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["start_url"] == "/app/" and manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone" and manifest["theme_color"]
    sizes = set()
    for icon in manifest["icons"]:
        data = client.get("/app/" + icon["src"]).data
        width, height = _png_size(data)
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add((icon["sizes"], icon.get("purpose", "any")))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


@pytest.mark.parametrize("path", ["/app/../backend/app.py", "/app/nothing-here.js"])
def test_nothing_outside_the_app_folder_is_served(client, path):
    assert client.get(path).status_code == 404


def test_the_icon_script_draws_a_valid_png():
    from web_admin.make_app_icons import png

    data = png(48, maskable=False)
    assert _png_size(data) == (48, 48)
