"""Where a unit of work ends: one commit, or one rollback, and nowhere else.

A unit of work is a request, a CLI command or a scheduler job. Services only flush;
what they wrote is kept when the unit of work succeeds and undone when it fails,
except that a refusal which itself recorded something (a counted failed sign-in, a
sign-in ended because its refresh token was stolen) keeps that record: such errors
say so with DomainError.keeps_changes.

This lives outside backend/services on purpose: no service may end a unit of work.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from backend.errors import DomainError
from backend.extensions import db


@dataclass
class UnitOfWork:
    """How a unit of work is to end: kept (committed) unless told otherwise."""

    keep: bool = True

    def discard(self) -> None:
        """Undo what was written even though nothing was raised (a refusal answered
        without an exception, e.g. a page shown again with the problem marked)."""
        self.keep = False


def keeps_changes(error: BaseException) -> bool:
    """Whether what was written before this error must stand (see DomainError.keeps_changes)."""
    return isinstance(error, DomainError) and error.keeps_changes


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """One unit of work: committed once when the block ends, rolled back if it raises
    (unless the error keeps its changes) or if the block discards it.

    A commit that fails is rolled back before its error goes on, so whoever answers
    the error finds the session usable.
    """
    work = UnitOfWork()
    try:
        yield work
    except BaseException as error:
        work.keep = keeps_changes(error)
        raise
    finally:
        _end(work.keep)


def _end(keep: bool) -> None:
    if not keep:
        db.session.rollback()
        return
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
