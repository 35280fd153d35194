"""A fake geocoder speaking Nominatim's search API over HTTP on loopback (never the network)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest


class FakeGeocoder:
    """Known addresses and their pins; every request it was sent."""

    def __init__(self):
        self.places: dict[str, tuple[float, float]] = {}
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append({"path": url.path, "agent": self.headers["User-Agent"],
                                      **query})
                pin = fake.places.get(query.get("q", ""))
                body = [] if pin is None else [{"lat": str(pin[0]), "lon": str(pin[1]),
                                                "display_name": query["q"]}]
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def fake_geocoder(app, monkeypatch):
    """The app configured to use a fake Nominatim on loopback, for this test only."""
    fake = FakeGeocoder()
    fake.thread.start()
    for key, value in (("GEOCODER", "nominatim"), ("GEOCODER_DOMAIN", fake.domain),
                       ("GEOCODER_SCHEME", "http"), ("GEOCODER_USER_AGENT", "ecm-tests"),
                       ("GEOCODER_MIN_DELAY_SECONDS", 0)):
        monkeypatch.setitem(app.config, key, value)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
