"""Request bodies for the visit-event and sync endpoints."""
import uuid
from datetime import datetime

from backend.services.dates import clock
from tests.factories import HOME


def event_body(device_time=None, **fields) -> dict:
    """A check-in body standing at the home with good GPS; fields override (... drops one)."""
    device_time = device_time or clock.now()
    if isinstance(device_time, datetime):
        device_time = device_time.isoformat()
    body = {"device_time": device_time, "lat": HOME[0],
            "lon": HOME[1], "accuracy_m": 10.0, "method": "gps", "device_id": "phone-1",
            "client_event_id": uuid.uuid4().hex}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def sync_item(kind: str, visit, device_time: datetime, **fields) -> dict:
    """One queued event for /sync."""
    item = event_body(device_time, kind=kind, visit_id=str(visit.id))
    if kind == "no_access":
        item["reason"] = "no_answer"
    item.update(fields)
    return item


def north_of_home(metres: float) -> tuple[float, float]:
    """A point this many metres due north of the test home."""
    return HOME[0] + metres / 111_200, HOME[1]
