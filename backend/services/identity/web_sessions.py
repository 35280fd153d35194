"""Web sign-in sessions, held on the server: the cookie carries a session id, and each
page request finds the user through an unended, unexpired session row.

A session ends when its user signs out, after an idle time without a page request
(WEB_SESSION_IDLE_MINUTES, default 30), at its absolute lifetime however busy
(WEB_SESSION_MAX_HOURS, default 12), when the user's password changes, or when the
account is deactivated. A cookie copied before any of these opens nothing after it.
"""
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.extensions import db
from backend.models import User, WebSession
from backend.services.dates import clock
from backend.services.database.deferred import at_commit

# The idle clock moves at most this often: one small write a minute per active user,
# not one per page.
TOUCH_EVERY = timedelta(minutes=1)

_table = WebSession.__table__
# Built once: run on every page request.
_USER_OF_SESSION = (
    sa.select(User, WebSession.last_seen_at, WebSession.expires_at)
    .join(WebSession, WebSession.user_id == User.id)
    .where(WebSession.id == sa.bindparam("session_id"), WebSession.ended_at.is_(None)))
_TOUCH = (_table.update().where(_table.c.id == sa.bindparam("session_id"))
          .values(last_seen_at=sa.bindparam("seen")))


def idle_timeout() -> timedelta:
    """How long a session may go without a page request (WEB_SESSION_IDLE_MINUTES)."""
    return timedelta(minutes=current_app.config["WEB_SESSION_IDLE_MINUTES"])


def max_lifetime() -> timedelta:
    """How long a session may last at most (WEB_SESSION_MAX_HOURS)."""
    return timedelta(hours=current_app.config["WEB_SESSION_MAX_HOURS"])


def start(user: User, now: datetime | None = None) -> WebSession:
    """A new session for a user whose identity is proven; its id goes in the cookie."""
    now = now or clock.now()
    row = WebSession(id=uuid.uuid4(), user_id=user.id, started_at=now, last_seen_at=now,
                     expires_at=now + max_lifetime())
    db.session.add(row)
    db.session.flush()
    return row


def _parse(session_id) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(session_id))
    except ValueError:
        return None


def user_of(session_id, now: datetime | None = None) -> User | None:
    """The active user of a live session, or None (ended, idle too long, past its lifetime,
    unknown, or the user deactivated). A live session's idle clock moves on."""
    session_id = _parse(session_id) if session_id else None
    if session_id is None:
        return None
    now = now or clock.now()
    row = db.session.execute(_USER_OF_SESSION, {"session_id": session_id}).first()
    if row is None:
        return None
    user, last_seen, expires = row
    if not user.active:
        return None
    if now >= expires:
        end(session_id, "expired", now)
        return None
    if now - last_seen >= idle_timeout():
        end(session_id, "idle", now)
        return None
    if now - last_seen >= TOUCH_EVERY:
        at_commit(_TOUCH, {"session_id": session_id, "seen": now})
    return user


def end(session_id, reason: str, now: datetime | None = None) -> int:
    """End one session (signing out, timing out); answers how many ended (0 or 1)."""
    session_id = _parse(session_id) if session_id else None
    if session_id is None:
        return 0
    return db.session.execute(
        sa.update(WebSession)
        .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
        .values(ended_at=now or clock.now(), end_reason=reason)
        .execution_options(synchronize_session=False)).rowcount


def end_all(user_id: uuid.UUID, reason: str, now: datetime | None = None) -> int:
    """End every live session of a user (a password change, a deactivated account)."""
    return end_all_of([user_id], reason, now)


def end_all_of(user_ids: list, reason: str, now: datetime | None = None) -> int:
    """end_all() for several users in one statement; returns sessions ended."""
    return db.session.execute(
        sa.update(WebSession)
        .where(WebSession.user_id.in_(user_ids), WebSession.ended_at.is_(None))
        .values(ended_at=now or clock.now(), end_reason=reason)
        .execution_options(synchronize_session=False)).rowcount


def purge_ended(now: datetime | None = None, keep: timedelta = timedelta(days=30)) -> int:
    """Delete sessions that ended, or expired, more than `keep` ago."""
    cutoff = (now or clock.now()) - keep
    return db.session.execute(
        sa.delete(WebSession).where(sa.or_(WebSession.ended_at < cutoff,
                                           WebSession.expires_at < cutoff))
        .execution_options(synchronize_session=False)).rowcount
