"""The delivery job: the outbox's emails and webhooks, one message per unit of work.

Delivery has a lease of its own (DELIVERY_LEASE) and sends with no transaction open.
Under the scheduler's lease a mail server that accepts connections and never answers
held the lease row (PostgreSQL) or the write lock (SQLite) for each send's timeout,
and detection, which renews the same lease, waited: late and missed calls went
unreported while emails timed out. Now detection never waits for mail.

Each message is claimed and committed before it is sent, and marked sent in its own
commit after, so a process killed mid-batch has sent each message at most once: the
message it was sending when it died is left "sending", and the next run shows it to
admins as interrupted rather than sending it again.
"""
import logging
from datetime import datetime, timedelta

from flask import current_app

from backend.models import DeliveryStatus
from backend.scheduler.lease import hold_lease
from backend.services.dates import clock
from backend.services.monitoring import outbox
from backend.unit_of_work import unit_of_work

DELIVERY_LEASE = "delivery"
log = logging.getLogger(__name__)


def deliver_due(holder: str | None = None, now: datetime | None = None,
                limit: int | None = None) -> outbox.DeliveryResult | None:
    """Send what is due, each message its own unit of work; None when another process
    holds the delivery lease. `holder` None runs without the lease (tests); `now` fixes
    the clock for the whole run."""
    config = current_app.config
    lease_seconds = config["SCHEDULER_LEASE_SECONDS"]
    limit = limit or config.get("OUTBOX_BATCH", 200)

    def moment() -> datetime:
        return now or clock.now()

    def renew() -> bool:
        return holder is None or hold_lease(holder, moment(), lease_seconds, DELIVERY_LEASE)

    result = outbox.DeliveryResult()
    with unit_of_work() as work:
        if not renew():
            work.discard()
            return None
        # A send still "sending" after a whole lease period belonged to a run that died.
        result.interrupted = outbox.mark_interrupted(moment(), timedelta(seconds=lease_seconds))
        queue = outbox.due(moment(), limit)
    silent: set[str] = set()  # the mail server, or webhook addresses, found not answering
    for item in queue:
        if outbox.destination(item.channel, item.address) in silent:
            result.postponed += 1  # untouched: tried again next run, no attempt counted
            continue
        with unit_of_work() as work:
            if not renew():  # the lease went to another process: it carries on from here
                work.discard()
                break
            message = outbox.claim(item.id, moment())
        if message is None:
            continue
        try:
            outbox.send(message)
        except outbox.DELIVERY_ERRORS as error:
            with unit_of_work():
                status = outbox.record_failure(message.id, error, moment())
            if status == DeliveryStatus.FAILED:
                result.failed += 1
            else:
                result.retrying += 1
            if outbox.unreachable(error):
                where = outbox.destination(message.channel, message.address)
                log.warning("%s not answering (%s); its messages wait for the next run",
                            "Mail server" if where == "smtp" else where, error)
                silent.add(where)
            continue
        with unit_of_work():
            outbox.record_sent(message.id, moment())
        result.sent += 1
    return result
