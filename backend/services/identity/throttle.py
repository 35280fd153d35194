"""Slowing password guessing without locking out the real user.

Failed sign-ins are counted per username (as typed, known or not) and client address.
The first few are free; after that each failure makes that pair wait before its next
try, the wait doubling up to a cap. Someone guessing from one address soon gets one try
per cap, while the real user signing in from their own phone or office is not held up
at all; a success from the pair clears its count. Only the wait, never the answer, says
anything: a try during the wait is refused exactly like a wrong password.

Settings (see docs/operations.md): SIGN_IN_FREE_FAILURES (5), SIGN_IN_FIRST_WAIT_SECONDS
(30), SIGN_IN_MAX_WAIT_SECONDS (900), SIGN_IN_FORGET_HOURS (24: a pair quiet this long
starts again from nothing).
"""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import SignInThrottle
from backend.services.database.dialect import insert_ignoring_duplicates

_table = SignInThrottle.__table__
_PAIR = sa.and_(_table.c.username == sa.bindparam("pair_name"),
                _table.c.address == sa.bindparam("pair_address"))
_WAIT = sa.select(_table.c.wait_until).where(_PAIR)


def _setting(name: str) -> int:
    return int(current_app.config[name])


def key(username: str | None, address: str | None) -> dict:
    """The pair a sign-in attempt is counted under."""
    return {"pair_name": (username or "").strip().lower()[:80],
            "pair_address": (address or "-")[:64]}


def must_wait(pair: dict, now: datetime) -> bool:
    """Whether this username and address must wait before another try."""
    wait_until = db.session.scalar(_WAIT, pair)
    return wait_until is not None and wait_until > now


def wait_after(failures: int) -> timedelta | None:
    """How long a pair waits after its `failures`-th failure in a row (None: no wait)."""
    over = failures - _setting("SIGN_IN_FREE_FAILURES")
    if over <= 0:
        return None
    seconds = _setting("SIGN_IN_FIRST_WAIT_SECONDS") * 2 ** min(over - 1, 20)
    return timedelta(seconds=min(seconds, _setting("SIGN_IN_MAX_WAIT_SECONDS")))


def record_failure(pair: dict, now: datetime) -> timedelta | None:
    """Count a failed sign-in for the pair; answers the wait it now owes.

    The count is raised in one UPDATE, so concurrent guesses each count."""
    forget = now - timedelta(hours=_setting("SIGN_IN_FORGET_HOURS"))
    db.session.execute(insert_ignoring_duplicates(_table).values(
        username=pair["pair_name"], address=pair["pair_address"], failures=0, last_failed_at=now))
    failures = db.session.execute(
        _table.update().where(_PAIR).values(
            failures=sa.case((_table.c.last_failed_at < forget, 1),
                             else_=_table.c.failures + 1),
            last_failed_at=now)
        .returning(_table.c.failures), pair).scalar_one()
    wait = wait_after(failures)
    if wait is not None:
        db.session.execute(_table.update().where(_PAIR).values(wait_until=now + wait), pair)
    return wait


def clear(pair: dict) -> None:
    """A success: the pair starts again from nothing."""
    db.session.execute(_table.delete().where(_PAIR), pair)


def forget_quiet(now: datetime) -> int:
    """Delete pairs with no failure for SIGN_IN_FORGET_HOURS (they would start afresh)."""
    forget = now - timedelta(hours=_setting("SIGN_IN_FORGET_HOURS"))
    return db.session.execute(
        _table.delete().where(_table.c.last_failed_at < forget)).rowcount
