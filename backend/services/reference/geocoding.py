"""Home pins from addresses: the one place the service asks a geocoder.

Off by default (GEOCODER empty): pins then come from the import file or the person's
page. When configured, a geopy geocoder (Nominatim's API: the public service, which asks
for a real user agent and at most one request a second, or an organisation's own
server) is asked for the address and postcode, no faster than GEOCODER_MIN_DELAY_SECONDS,
and its answers are remembered for the life of the process.
"""
import threading
import time
from functools import lru_cache

from flask import current_app

GEOCODERS = ("nominatim",)


class _NoAnswer(Exception):
    """The geocoder failed (down, slow, refused): not remembered, so a later call asks again."""
_lock = threading.Lock()
_last_call = [0.0]


def enabled() -> bool:
    """Whether a geocoder is configured."""
    return bool(current_app.config.get("GEOCODER"))


def _settings() -> tuple:
    c = current_app.config
    return (c["GEOCODER"], c["GEOCODER_DOMAIN"], c["GEOCODER_SCHEME"], c["GEOCODER_USER_AGENT"],
            float(c["GEOCODER_TIMEOUT_SECONDS"]), c.get("GEOCODER_COUNTRY", "gb"))


@lru_cache(maxsize=4)
def _geocoder(kind: str, domain: str, scheme: str, user_agent: str, timeout: float):
    from geopy.geocoders import Nominatim  # loaded only when a geocoder is configured

    if kind not in GEOCODERS:
        raise ValueError(f"GEOCODER must be one of {', '.join(GEOCODERS)}, not {kind!r}")
    return Nominatim(domain=domain, scheme=scheme, user_agent=user_agent, timeout=timeout)


@lru_cache(maxsize=20_000)
def _lookup(settings: tuple, query: str) -> tuple[float, float] | None:
    from geopy.exc import GeopyError

    kind, domain, scheme, agent, timeout, country = settings
    delay = float(current_app.config["GEOCODER_MIN_DELAY_SECONDS"])
    with _lock:  # the geocoder's rate limit holds across threads
        wait = _last_call[0] + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            found = _geocoder(kind, domain, scheme, agent, timeout).geocode(
                query, exactly_one=True, country_codes=country or None)
        except GeopyError as exc:
            raise _NoAnswer from exc
        finally:
            _last_call[0] = time.monotonic()
    return None if found is None else (found.latitude, found.longitude)


def home_pin(address: str, postcode: str) -> tuple[float, float] | None:
    """The home's latitude and longitude from its address and postcode; None when no
    geocoder is configured, the geocoder does not answer, or it finds nothing."""
    if not enabled():
        return None
    query = ", ".join(part.strip() for part in ((address or "").replace("\n", ", "),
                                               postcode or "") if part and part.strip())
    if not query:
        return None
    try:
        return _lookup(_settings(), query)
    except _NoAnswer:
        return None
