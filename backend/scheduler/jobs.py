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
    """Visits for the rolling horizon."""
    from backend.services.rota.visit_generation import generate_visits

    result = generate_visits()
    return {"created": result.created, "updated": result.updated,
            "cancelled": result.cancelled, "reinstated": result.reinstated}


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


def _commit() -> None:
    """Make what the job wrote so far visible (a plan's progress, for the page polling it)."""
    with unit_of_work():
        pass


def rota_plans() -> dict:
    """The oldest day plan a manager asked for, solved, its progress committed as it goes."""
    from backend.services.rota import plans

    plan_id = plans.claim_next_plan(clock.now())
    if plan_id is None:
        return {"planned": 0}
    _commit()

    def progress(pct: int, message: str) -> None:
        plans.set_progress(plan_id, pct, message)
        _commit()

    try:
        return plans.run_plan(plan_id, progress)
    except Exception as error:  # the plan says why; the scheduler goes on
        log.exception("rota plan %s failed", plan_id)
        with unit_of_work() as work:
            work.discard()
        plans.fail_plan(plan_id, f"The plan could not be made: {error}")
        return {"failed": str(plan_id)}


JOBS: dict[str, Callable[[], dict]] = {
    "generation": generation, "detection": detection, "delivery": delivery,
    "housekeeping": housekeeping, "rota_plans": rota_plans}


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
