"""Offline sync: a batch of queued events, each applied exactly once, in any order.

Events are applied in device-time order and never rejected for arriving out of
order (a check-out before its check-in is stored: the check-in is still in
flight), so any shuffle, duplication or split of the same events into batches
leaves the same events and visit state. Each event answers "accepted",
"duplicate" (with the original event id; both with the location verdict) or
"rejected" (a reason code and message; field messages when the event was malformed,
which rejects that event alone).
"""
from dataclasses import dataclass
from datetime import datetime

from backend.errors import DomainError, TooLarge
from backend.models import EventKind, User
from backend.services.attendance import judging, pipeline
from backend.services.dates import clock

MAX_BATCH_EVENTS = 200
# Same device time: a check-in sorts before a no-access before a check-out.
_KIND_ORDER = {EventKind.CHECK_IN: 0, EventKind.NO_ACCESS: 1, EventKind.CHECK_OUT: 2}


@dataclass
class SyncResult:
    """The answer for one event of a batch.

    Accepted and duplicate events carry the location verdict, as the single-event
    endpoints do; a rejected one carries a code, a message and, when the event
    itself was malformed, field messages.
    """

    client_event_id: str | None
    result: str  # accepted | duplicate | rejected
    event_id: str | None = None
    visit_status: str | None = None
    distance_m: float | None = None
    verified: bool | None = None
    flags: list[str] | None = None
    code: str | None = None
    message: str | None = None
    fields: dict | None = None


@dataclass(frozen=True)
class Malformed:
    """An event of the batch that failed validation: rejected alone, the rest applied."""

    client_event_id: str | None
    fields: dict


def _sort_key(item: dict):
    return (item["device_time"], _KIND_ORDER[EventKind(item["kind"])], item["client_event_id"])


def sync_events(user: User, items: list[dict | Malformed], sent_at: datetime | None = None,
                now: datetime | None = None) -> list[SyncResult]:
    """Apply a batch; results come back in the order the events were sent."""
    if len(items) > MAX_BATCH_EVENTS:
        raise TooLarge(f"Send at most {MAX_BATCH_EVENTS} events per batch.",
                       code="batch_too_large")
    judging.require_care_worker(user.role)
    now = now or clock.now()
    results: list[SyncResult | None] = [None] * len(items)
    for index, item in enumerate(items):
        if isinstance(item, Malformed):
            results[index] = SyncResult(
                item.client_event_id, "rejected", code="invalid", fields=item.fields,
                message="This event is not valid; see the field messages.")
    valid = [i for i, item in enumerate(items) if not isinstance(item, Malformed)]
    visit_ids: dict[int, object] = {}
    for index in sorted(valid, key=lambda i: _sort_key(items[i])):
        results[index], visit_ids[index] = _sync_one(user, items[index], sent_at, now)
    statuses = pipeline.statuses({v for v in visit_ids.values() if v is not None})
    for index, visit_id in visit_ids.items():  # each visit as the whole batch left it
        if visit_id is not None:
            results[index].visit_status = statuses[visit_id].value
    return results


def _sync_one(user: User, item: dict, sent_at: datetime | None,
              now: datetime) -> tuple[SyncResult, object]:
    """One event: stored, recognised as a replay, or rejected with a reason."""
    kind = EventKind(item["kind"])
    try:
        outcome = pipeline.store(user, item["visit_id"], kind, item, now, strict=False,
                                 device_clock=sent_at, isolated=True)
    except DomainError as exc:
        return SyncResult(item["client_event_id"], "rejected", code=exc.code,
                          message=exc.message), None
    event = outcome.event
    return SyncResult(item["client_event_id"], outcome.result, str(event.id),
                      distance_m=event.distance_m, verified=event.verified,
                      flags=list(event.flags or [])), outcome.visit.id
