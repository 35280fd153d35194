"""The scheduler's jobs. Each runs in its own app context and unit of work, under the lease.

Delivery and the day planner are the exceptions: each holds a lease of its own and
commits as it goes (delivery once per message, backend/scheduler/delivery.py; the
planner at each step of its progress), so that neither a slow mail server nor the
solver ever delays detection.
The app is passed in by the process that runs the jobs; nothing here builds one.
"""
import logging
from collections.abc import Callable

from flask import Flask

from backend.extensions import db
from backend.scheduler.delivery import deliver_due
from backend.scheduler.lease import hold_lease
from backend.services.database.outages import is_outage
from backend.services.dates import clock
from backend.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def detection() -> dict:
    """Late, missed, short ... alerts, reconciliation, escalation, notifications."""
    from backend.services.monitoring.monitor import run_detection

    return run_detection().as_dict()


def generation() -> dict:
    """Pending packages started on their start date (ended ones ended), package changes
    whose day has come applied, then visits for the rolling horizon."""
    from backend.services.administration.package_changes import apply_due_changes
    from backend.services.administration.packages import start_due_packages
    from backend.services.rota.visit_generation import generate_visits

    packages = start_due_packages(clock.today())
    applied = apply_due_changes(clock.today())
    result = generate_visits()
    return {"created": result.created, "updated": result.updated,
            "cancelled": result.cancelled, "reinstated": result.reinstated,
            "packages_started": packages["started"], "packages_ended": packages["ended"],
            "package_changes_applied": applied}


def housekeeping() -> dict:
    """Reminders for due 91-day follow-ups; expired refresh tokens, ended web sessions,
    quiet sign-in throttles, ended rate-limit windows and reads past their keeping
    period (ACCESS_LOG_RETENTION_DAYS) removed."""
    from backend.rate_limits import purge_ended_windows
    from backend.services.audit import access_log
    from backend.services.outcomes.followups import remind_due_followups
    from backend.services.identity import throttle, web_sessions
    from backend.services.identity.sessions import purge_expired

    now = clock.now()
    return {"followup_reminders": remind_due_followups(now),
            "refresh_tokens_purged": purge_expired(),
            "web_sessions_purged": web_sessions.purge_ended(now),
            "sign_in_throttles_forgotten": throttle.forget_quiet(now),
            "rate_limit_windows_purged": purge_ended_windows(now.timestamp()),
            "reads_pruned": access_log.prune(now)}


def delivery(holder: str) -> dict | None:
    """Emails and webhooks from the outbox: own lease, one unit of work per message."""
    result = deliver_due(holder)
    return None if result is None else result.as_dict()


PLANS_LEASE = "rota_plans"


def rota_plans(holder: str) -> dict | None:
    """The oldest day plan a manager asked for, solved under a lease of its own (the
    solver may take most of a minute, and detection must not wait for it), its progress
    committed as it goes so the page polling it sees it move."""
    from flask import current_app

    from backend.services.rota import plans

    with unit_of_work() as work:
        if not hold_lease(holder, clock.now(), current_app.config["SCHEDULER_LEASE_SECONDS"],
                          PLANS_LEASE):
            work.discard()
            return None
        plan_id = plans.claim_next_plan(clock.now())
    if plan_id is None:
        return {"planned": 0}

    def progress(pct: int, message: str) -> None:
        with unit_of_work():
            plans.set_progress(plan_id, pct, message)

    try:
        with unit_of_work():
            return plans.run_plan(plan_id, progress)
    except Exception as error:  # the plan says why; the scheduler goes on
        if is_outage(error):
            raise
        log.exception("rota plan %s failed", plan_id)
        with unit_of_work():
            plans.fail_plan(plan_id, f"The plan could not be made: {error}")
        return {"failed": str(plan_id)}


# Jobs run whole in one unit of work under the scheduler's lease.
JOBS: dict[str, Callable[[], dict]] = {
    "generation": generation, "detection": detection, "housekeeping": housekeeping}
# Jobs that take their own lease and end their own units of work (given the holder).
OWN_LEASE_JOBS: dict[str, Callable[[str], dict | None]] = {
    "delivery": delivery, "rota_plans": rota_plans}
JOB_NAMES = ("generation", "detection", "delivery", "housekeeping", "rota_plans")


def run_job(app: Flask, name: str, holder: str) -> dict | None:
    """Run one job under the lease in a fresh app context; None when another holder acts."""
    with app.app_context():
        try:
            if name in OWN_LEASE_JOBS:
                summary = OWN_LEASE_JOBS[name](holder)
                if summary is None:
                    log.info("%s skipped: another scheduler holds its lease", name)
                    return None
                log.info("%s done: %s", name, summary)
                return summary
            # The lease renewal and the job's work are one unit of work: a rival waits
            # on the renewed lease row (PostgreSQL) until the job commits.
            with unit_of_work() as work:
                if not hold_lease(holder, clock.now(), app.config["SCHEDULER_LEASE_SECONDS"]):
                    work.discard()
                    log.info("%s skipped: another scheduler holds the lease", name)
                    return None
                summary = JOBS[name]()
        except Exception as error:
            if is_outage(error):  # the database is down or locked: no traceback to read
                log.warning("%s could not reach the database, or waited too long for a lock "
                            "(%s); it will run again at its next tick", name,
                            str(error).splitlines()[0])
            else:
                log.exception("%s failed; it will run again at its next tick", name)
            raise
        finally:
            db.session.remove()
        log.info("%s done: %s", name, summary)
        return summary
