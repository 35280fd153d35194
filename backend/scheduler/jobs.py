"""The scheduler's jobs. Each runs in its own app context and unit of work, under the lease.

The app is passed in by the process that runs the jobs; nothing here builds one.
"""
import logging
from collections.abc import Callable

from flask import Flask

from backend.extensions import db
from backend.scheduler.lease import hold_lease
from backend.services.dates import clock
from backend.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def detection() -> dict:
    """Late, missed, short ... alerts, reconciliation, escalation, notifications."""
    from backend.services.monitoring.monitor import run_detection

    return run_detection().as_dict()


def generation() -> dict:
    """Pending packages started on their start date (ended ones ended), then visits for
    the rolling horizon."""
    from backend.services.administration.packages import start_due_packages
    from backend.services.rota.visit_generation import generate_visits

    packages = start_due_packages(clock.today())
    result = generate_visits()
    return {"created": result.created, "updated": result.updated,
            "cancelled": result.cancelled, "reinstated": result.reinstated,
            "packages_started": packages["started"], "packages_ended": packages["ended"]}


def delivery() -> dict:
    """Emails and webhooks from the outbox."""
    from backend.services.monitoring.outbox import deliver_due

    result = deliver_due()
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}


def housekeeping() -> dict:
    """Reminders for due 91-day follow-ups, and expired refresh tokens removed."""
    from backend.services.outcomes.followups import remind_due_followups
    from backend.services.identity.sessions import purge_expired

    return {"followup_reminders": remind_due_followups(clock.now()),
            "refresh_tokens_purged": purge_expired()}


JOBS: dict[str, Callable[[], dict]] = {
    "generation": generation, "detection": detection, "delivery": delivery,
    "housekeeping": housekeeping}


def run_job(app: Flask, name: str, holder: str) -> dict | None:
    """Run one job under the lease in a fresh app context; None when another holder acts."""
    with app.app_context():
        try:
            # The lease renewal and the job's work are one unit of work: a rival waits
            # on the renewed lease row (PostgreSQL) until the job commits.
            with unit_of_work() as work:
                if not hold_lease(holder, clock.now(), app.config["SCHEDULER_LEASE_SECONDS"]):
                    work.discard()
                    log.info("%s skipped: another scheduler holds the lease", name)
                    return None
                summary = JOBS[name]()
        except Exception:
            log.exception("%s failed; it will run again at its next tick", name)
            raise
        finally:
            db.session.remove()
        log.info("%s done: %s", name, summary)
        return summary
