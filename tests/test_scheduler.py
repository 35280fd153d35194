"""The scheduler: one lease holder at a time, tick, two processes, killed and restarted."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Alert, AlertKind, Notification, Role, SchedulerJobRun, Visit
from backend.scheduler.lease import hold_lease, release_lease
from backend.services.dates import clock
from backend.services.monitoring.monitor import run_detection

ROOT = Path(__file__).resolve().parents[1]


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def late_world(make):
    """Committed data: visits due 20 minutes ago that nobody checked in to."""
    w = make.world()
    for visit in (w.visit, w.colleague_visit, w.other_visit):
        visit.status = "cancelled"
    extra = make.user(Role.PROVIDER_MANAGER, w.provider)
    start = clock.now().replace(microsecond=0) - timedelta(minutes=20)
    w.late = [make.visit(w.package, start=start + timedelta(seconds=i), minutes=60)
              for i in range(40)]
    w.managers = [w.manager, extra]
    make.commit()
    return w


def assert_each_alert_once(w):
    db.session.expire_all()
    late = count(Alert, Alert.kind == AlertKind.LATE)
    assert late == len(w.late)
    duplicates = db.session.execute(
        sa.select(Alert.visit_id, Alert.kind).group_by(Alert.visit_id, Alert.kind)
        .having(sa.func.count() > 1)).all()
    assert duplicates == []
    assert count(Notification) == len(w.late) * len(w.managers)


def test_lease_one_holder_then_takeover_after_expiry(app):
    now = clock.now()
    assert hold_lease("a", now, 60)
    assert not hold_lease("b", now + timedelta(seconds=59), 60)
    assert hold_lease("a", now + timedelta(seconds=59), 60)  # renewal pushes expiry out
    assert not hold_lease("b", now + timedelta(seconds=61), 60)
    assert hold_lease("b", now + timedelta(seconds=120), 60)  # a stopped renewing
    assert not hold_lease("a", now + timedelta(seconds=121), 60)
    release_lease("b", now + timedelta(seconds=122))
    assert hold_lease("a", now + timedelta(seconds=123), 60)


def test_tick_runs_every_job_once_and_twice_adds_nothing(runner, late_world):
    first = runner.invoke(args=["scheduler", "tick"])
    assert first.exit_code == 0, first.output
    assert "detection: {'raised': {'late': 40}" in first.output
    second = runner.invoke(args=["scheduler", "tick"])
    assert "'raised': {}" in second.output
    assert_each_alert_once(late_world)
    assert db.session.get(SchedulerJobRun, "detection") is not None


def _flask(app, *args, env=None):
    environment = {**os.environ, "FLASK_APP": "backend.app:create_app", "ECM_ENV": "testing",
                   "SECRET_KEY": "test-secret-key-not-for-production",
                   "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                   "SCHEDULER_LEASE_SECONDS": "3", "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def processes():
    """Subprocesses a test starts; killed at the end whatever happened."""
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_two_scheduler_processes_raise_each_alert_once(app, late_world, processes):
    processes += [_flask(app, "scheduler", "tick") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert_each_alert_once(late_world)


def test_killed_mid_run_and_restarted_finishes_without_duplicates(app, late_world, processes):
    first = _flask(app, "scheduler", "run", "--detect-every", "1", "--deliver-every", "1")
    processes.append(first)
    for line in first.stdout:  # its log, until the scheduler says it has started
        if line.startswith("Scheduler ") and "starting" in line:
            break
    time.sleep(0.5)  # its first jobs are running now: kill it wherever it is
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # A new process: it must wait for the dead one's lease to expire (3 s), then finish.
    second = _flask(app, "scheduler", "run", "--detect-every", "1", "--lifetime", "6")
    processes.append(second)
    output = second.communicate(timeout=60)[0]
    assert second.returncode == 0, output
    assert "detection done" in output
    assert_each_alert_once(late_world)


def test_job_that_dies_before_commit_leaves_nothing_and_rerun_is_whole(app, late_world):
    now = clock.now()
    run_detection(now)
    db.session.flush()
    db.session.rollback()  # the process died before its one commit
    assert count(Alert) == 0
    run_detection(now)
    db.session.commit()
    run_detection(now + timedelta(seconds=30))  # and a later pass adds nothing
    db.session.commit()
    assert_each_alert_once(late_world)


def test_concurrent_detection_without_the_lease_still_raises_each_alert_once(
        app, late_world, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers itself; this race needs PostgreSQL")
    now = clock.now()
    barrier = threading.Barrier(2)
    errors = []

    def detect():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                run_detection(now)
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=detect) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert_each_alert_once(late_world)
    assert count(Visit) >= len(late_world.late)



def test_housekeeping_job_reminds_due_followups_once(app, make):
    """The scheduler's housekeeping job sends the 91-day follow-up reminders, once."""
    from datetime import timedelta

    from backend.models import Role
    from backend.scheduler.jobs import run_job
    from backend.scheduler.lease import new_holder_id
    from backend.services.dates import clock
    from tests.outcome_helpers import episode

    w = make.world()
    today = clock.today()
    episode(w.package, start=today - timedelta(days=120), actual_end=today - timedelta(days=91),
            followup_due=today)
    make.commit()
    assert w.manager.role == Role.PROVIDER_MANAGER
    holder = new_holder_id()
    assert run_job(app, "housekeeping", holder)["followup_reminders"] == 1
    assert run_job(app, "housekeeping", holder)["followup_reminders"] == 0
