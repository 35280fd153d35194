"""Units of work: what a request, command or job wrote is committed once, or not at all.

A savepoint inside a unit of work must not commit on its own (on SQLite, a SAVEPOINT
sent before the transaction opens becomes the transaction, and releasing it commits);
a refusal undoes its unit of work unless it must keep what it recorded.
"""
from datetime import date

import pytest
import sqlalchemy as sa

from backend.errors import Invalid, SignInRefused
from backend.extensions import db
from backend.models import GoalProgress, ReablementEpisode, Role, SignInThrottle, User
from backend.services.outcomes.goal_progress import record_progress
from backend.services.outcomes.goals import correct_progress
from backend.services.outcomes.reablement import start_episode
from backend.unit_of_work import unit_of_work
from tests.outcome_helpers import goal


class LaterStepFailed(Exception):
    """Something after the savepoint, in the same unit of work, goes wrong."""


@pytest.fixture
def w(make):
    world = make.world()
    make.commit()
    return world


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_started_episode_goes_with_its_failed_unit_of_work(w):
    with pytest.raises(LaterStepFailed), unit_of_work():
        start_episode(w.manager, w.person.id, w.package.id, date(2026, 8, 3))
        raise LaterStepFailed
    assert count(ReablementEpisode) == 0


def test_a_corrected_progress_entry_goes_with_its_failed_unit_of_work(w):
    target = goal(w.person, package=w.package)
    original = record_progress(target, w.manager, 0)
    db.session.commit()
    with pytest.raises(LaterStepFailed), unit_of_work():
        correct_progress(w.manager, target.id, original.id, 1)
        raise LaterStepFailed
    assert count(GoalProgress) == 1


def test_a_refusal_undoes_what_its_unit_of_work_wrote(w):
    with pytest.raises(Invalid), unit_of_work():
        w.manager.display_name = "Changed before the refusal"
        db.session.flush()
        raise Invalid("refused", field="anything")
    assert db.session.get(User, w.manager.id).display_name != "Changed before the refusal"


def test_a_refused_sign_in_keeps_the_failure_it_counted(w):
    with pytest.raises(SignInRefused), unit_of_work():
        w.manager.failed_sign_ins = 3
        raise SignInRefused("Wrong username or password.")
    db.session.expire_all()
    assert db.session.get(User, w.manager.id).failed_sign_ins == 3


def test_a_discarded_unit_of_work_writes_nothing(w):
    with unit_of_work() as work:
        w.manager.display_name = "Shown again with a problem marked"
        work.discard()
    db.session.expire_all()
    assert db.session.get(User, w.manager.id).display_name != "Shown again with a problem marked"


def test_the_sign_in_page_counts_a_wrong_password_and_keeps_the_username(make, auth):
    user = make.user(Role.PROVIDER_MANAGER)
    make.commit()
    page = auth.login(user.username, "not-the-password")
    assert page.status_code == 401
    assert b"Wrong username or password" in page.data
    assert f'value="{user.username}"'.encode() in page.data
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_sign_ins == 1


def test_the_sign_in_page_keeps_the_wait_it_owes_after_repeated_failures(make, auth):
    user = make.user(Role.PROVIDER_MANAGER)
    make.commit()
    for _ in range(6):
        assert auth.login(user.username, "not-the-password").status_code == 401
    page = auth.login(user.username)
    assert page.status_code == 401 and b"wait a few minutes" in page.data
    db.session.expire_all()
    throttled = db.session.scalar(sa.select(SignInThrottle))
    assert throttled.username == user.username and throttled.failures == 7
    assert throttled.wait_until is not None


def test_a_refused_command_writes_nothing(runner, make):
    council = make.council(name="Northshire County Council")
    make.commit()
    refused = runner.invoke(args=["users", "create", "carer", "--role", "care_worker",
                                  "--organisation", council.name,
                                  "--password", "long-enough-password"])
    assert refused.exit_code != 0 and "cannot belong" in refused.output
    made = runner.invoke(args=["users", "create", "panel", "--role", "panel_member",
                               "--organisation", council.name,
                               "--password", "long-enough-password"])
    assert made.exit_code == 0, made.output
    db.session.expire_all()
    assert db.session.scalars(sa.select(User.username)).all() == ["panel"]
